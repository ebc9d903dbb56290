"""The daily update service (APScheduler)."""

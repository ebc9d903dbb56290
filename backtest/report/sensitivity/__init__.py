"""The files and pages of a sensitivity analysis (its command and the run's tornado)."""

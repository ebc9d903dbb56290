"""Fixtures of the command-line tests: the scheduler's lock holder serves ``schedule`` too."""

from tests.scheduler.conftest import other_process_holding_lock

__all__ = ["other_process_holding_lock"]

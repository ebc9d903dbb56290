"""``ScheduleConfig``, the ``[schedule]`` section, as the scheduler imports it.

It is defined in the core (``flowimpact.schedule_config``) because the study, which reads every
section of a study file, must not import the scheduler, and the scheduler must not import the
study.
"""

from flowimpact.schedule_config import ScheduleConfig

__all__ = ["ScheduleConfig"]

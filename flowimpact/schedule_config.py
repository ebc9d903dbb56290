"""``ScheduleConfig``: the ``[schedule]`` section of a study file (read by the scheduler)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowimpact.config import number, whole
from flowimpact.errors import ConfigError

_AT_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, kw_only=True)
class ScheduleConfig:
    """When the daily update runs and how much it keeps.

    - ``at``: time of day, ``"HH:MM"`` in UTC. Default ``"00:15"``: daily candles close at
      00:00 UTC on every major exchange; a quarter of an hour lets the exchange finalise the
      candle before it is fetched (assumption).
    - ``keep_days``: dated report folders kept, counting the newest (default 30, assumption:
      a month of history to compare; each report is a few MB).
    - ``misfire_grace_seconds``: how late a missed run may still start (default 86,400 = one
      day). The newest daily fire time is always less than a day old, so after any outage a
      restart catches up exactly once (missed runs are coalesced); a smaller value makes a late
      restart skip the catch-up and wait for the next day.
    - ``lock_timeout_seconds``: how long a run waits for another flowimpact process holding the
      data directory's lock before it gives up (default 600: a default study runs in a few
      minutes on this project's machines, an assumption). 0 means do not wait.
    - ``import_dir``: a folder of CSV files (Farside ETF-flow tables, candle CSVs) imported
      before each scheduled update when new or changed since the last one (by content hash,
      kept in the data directory), so dropping the day's Farside export there keeps the
      analogs, the calibration and the hindcast current. A file that cannot be imported is
      reported in the run log and the day's report and leaves the store unchanged; the update
      goes on with what is stored. Default ``""``: no folder. A relative path is taken from
      the working directory of the process (give an absolute one to a service); ``~`` is
      expanded.
    """

    at: str = "00:15"
    keep_days: int = 30
    misfire_grace_seconds: int = 86_400
    lock_timeout_seconds: float = 600.0
    import_dir: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.at, str) or not _AT_PATTERN.match(self.at.strip()):
            raise ConfigError(
                f"[schedule] at: {self.at!r} is not a time of day; write HH:MM in UTC, e.g. '00:15'"
            )
        whole("schedule", "keep_days", self.keep_days, low=1)
        whole("schedule", "misfire_grace_seconds", self.misfire_grace_seconds, low=1)
        number("schedule", "lock_timeout_seconds", self.lock_timeout_seconds, low=0.0)
        if not isinstance(self.import_dir, str):
            raise ConfigError(
                f"[schedule] import_dir: {self.import_dir!r} must be a folder path as a string, "
                'e.g. "/srv/flowimpact/inbox" (or "" for none)'
            )

    @property
    def hour(self) -> int:
        """UTC hour of ``at``."""
        return int(self.at.strip()[:2])

    @property
    def minute(self) -> int:
        """Minute of ``at``."""
        return int(self.at.strip()[3:])


__all__ = ["ScheduleConfig"]

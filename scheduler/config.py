"""``ScheduleConfig``: the ``[schedule]`` section of a study file."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    """

    at: str = "00:15"
    keep_days: int = 30
    misfire_grace_seconds: int = 86_400
    lock_timeout_seconds: float = 600.0

    def __post_init__(self) -> None:
        if not isinstance(self.at, str) or not _AT_PATTERN.match(self.at.strip()):
            raise ConfigError(
                f"[schedule] at: {self.at!r} is not a time of day; write HH:MM in UTC, e.g. '00:15'"
            )
        if isinstance(self.keep_days, bool) or not isinstance(self.keep_days, int) or (
            self.keep_days < 1
        ):
            raise ConfigError(
                f"[schedule] keep_days: {self.keep_days!r} must be a whole number of days >= 1"
            )
        if isinstance(self.misfire_grace_seconds, bool) or not isinstance(
            self.misfire_grace_seconds, int
        ) or self.misfire_grace_seconds < 1:
            raise ConfigError(
                f"[schedule] misfire_grace_seconds: {self.misfire_grace_seconds!r} must be a "
                "whole number of seconds >= 1 (86400 catches up one missed day)"
            )
        if isinstance(self.lock_timeout_seconds, bool) or not isinstance(
            self.lock_timeout_seconds, (int, float)
        ) or not 0 <= self.lock_timeout_seconds < float("inf"):
            raise ConfigError(
                f"[schedule] lock_timeout_seconds: {self.lock_timeout_seconds!r} must be a finite "
                "number of seconds >= 0"
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

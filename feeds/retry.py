"""The one retry policy for exchange calls: capped exponential backoff with jitter.

Attempt k (1-based) that fails with a ``TemporaryFeedError`` is followed by a sleep of
``min(max_delay_seconds, base_delay_seconds * 2 ** (k - 1))`` scaled by a random factor in
``[1 - jitter_fraction, 1]`` ("equal jitter" in the AWS Architecture Blog's terms, Brooker
2015: it keeps the cap, and spreads clients that failed together). Defaults are assumptions:
five attempts over about 15 s ride out a rate-limit window or a dropped connection without
stalling a daily job for long. Other errors pass through at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from feeds.errors import TemporaryFeedError
from flowimpact.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently to retry temporary exchange failures.

    ``sleep`` is injectable so that tests do not wait; ``seed`` makes the jitter reproducible.
    """

    max_attempts: int = 5
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    jitter_fraction: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(f"retry max_attempts is {self.max_attempts}: give 1 or more")
        if self.base_delay_seconds < 0 or self.max_delay_seconds < self.base_delay_seconds:
            raise ConfigError(
                "retry delays: need 0 <= base_delay_seconds <= max_delay_seconds, got "
                f"{self.base_delay_seconds} and {self.max_delay_seconds}"
            )
        if not 0.0 <= self.jitter_fraction <= 1.0:
            raise ConfigError(f"retry jitter_fraction is {self.jitter_fraction}: give 0 to 1")

    def delay_seconds(self, attempt: int, rng: random.Random) -> float:
        """Sleep after failed attempt ``attempt`` (1-based)."""
        capped = min(self.max_delay_seconds, self.base_delay_seconds * 2.0 ** (attempt - 1))
        return capped * (1.0 - self.jitter_fraction * rng.random())

    def call(
        self,
        func: Callable[[], T],
        *,
        on_retry: Callable[[int, Exception, float], None] | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> T:
        """``func()``, retried on ``TemporaryFeedError``; the last failure is re-raised with
        the number of attempts added to its message.

        Before each wait, ``on_retry(attempt, error, delay_seconds)`` is called and ``notify``
        gets one line saying what failed and when the next try is.
        """
        rng = random.Random(self.seed)
        for attempt in range(1, self.max_attempts + 1):
            try:
                return func()
            except TemporaryFeedError as exc:
                if attempt == self.max_attempts:
                    raise TemporaryFeedError(
                        f"{exc} (gave up after {attempt} attempt(s); check the network or "
                        "the exchange's status and run again: stored data is kept)"
                    ) from exc
                delay = self.delay_seconds(attempt, rng)
                if on_retry is not None:
                    on_retry(attempt, exc, delay)
                if notify is not None:
                    notify(
                        f"{exc} (attempt {attempt} of {self.max_attempts}); next try in "
                        f"{delay:.1f} s"
                    )
                self.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


__all__ = ["RetryPolicy"]

"""RetryPolicy: capped exponential backoff with jitter, only for temporary failures."""

from __future__ import annotations

import random

import pytest

from feeds.errors import PermanentFeedError, TemporaryFeedError
from feeds.retry import RetryPolicy
from flowimpact.errors import ConfigError


def test_delays_double_up_to_the_cap_within_the_jitter_band() -> None:
    policy = RetryPolicy(base_delay_seconds=1.0, max_delay_seconds=5.0, jitter_fraction=0.5)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (10, 5.0)]:
        delay = policy.delay_seconds(attempt, rng)
        assert ceiling * 0.5 <= delay <= ceiling


def test_temporary_failures_are_retried_then_succeed() -> None:
    sleeps: list[float] = []
    outcomes = iter([TemporaryFeedError("429"), TemporaryFeedError("timeout"), "ok"])

    def flaky() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(sleep=sleeps.append, jitter_fraction=0.0, base_delay_seconds=0.5)
    assert policy.call(flaky) == "ok"
    assert sleeps == [0.5, 1.0]


def test_exhausted_retries_raise_exit_3_with_the_attempt_count() -> None:
    sleeps: list[float] = []
    calls = []

    def always_down() -> None:
        calls.append(1)
        raise TemporaryFeedError("binance BTC/USDT 1d: ExchangeNotAvailable: 503")

    with pytest.raises(TemporaryFeedError, match="gave up after 3 attempt") as caught:
        RetryPolicy(max_attempts=3, sleep=sleeps.append).call(always_down)
    assert caught.value.exit_code == 3
    assert len(calls) == 3 and len(sleeps) == 2


def test_permanent_failures_are_not_retried() -> None:
    calls = []

    def bad_symbol() -> None:
        calls.append(1)
        raise PermanentFeedError("no such symbol")

    with pytest.raises(PermanentFeedError):
        RetryPolicy(sleep=lambda _s: None).call(bad_symbol)
    assert calls == [1]


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_delay_seconds": -1.0}, {"max_delay_seconds": 0.1},
     {"jitter_fraction": 1.5}],
)
def test_invalid_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        RetryPolicy(**kwargs)


def test_each_retry_says_what_failed_and_when_the_next_try_is() -> None:
    lines: list[str] = []
    seen: list[tuple[int, float]] = []
    outcomes = iter([TemporaryFeedError("binance load_markets: RequestTimeout: 10000 ms"),
                     TemporaryFeedError("binance load_markets: RequestTimeout: 10000 ms"), "ok"])

    def flaky() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(max_attempts=4, sleep=lambda _s: None, jitter_fraction=0.0)
    assert policy.call(flaky, notify=lines.append,
                       on_retry=lambda k, _e, delay: seen.append((k, delay))) == "ok"
    assert lines == [
        "binance load_markets: RequestTimeout: 10000 ms (attempt 1 of 4); next try in 1.0 s",
        "binance load_markets: RequestTimeout: 10000 ms (attempt 2 of 4); next try in 2.0 s",
    ]
    assert seen == [(1, 1.0), (2, 2.0)]

"""DataConfig: the [data] section's own checks, and the settings that bound waiting."""

from __future__ import annotations

import pytest

from feeds.ccxt_feed import ccxt_config
from feeds.config import DataConfig
from feeds.retry import RetryPolicy
from flowimpact.errors import ConfigError


def test_waiting_defaults_match_the_retry_policy_and_ccxt() -> None:
    data = DataConfig()
    assert (data.retries, data.timeout_seconds) == (4, 10.0)
    assert data.retries + 1 == RetryPolicy().max_attempts  # 5 attempts, as before
    assert data.retry_policy().max_attempts == 5


def test_timeout_seconds_reaches_ccxt_unless_the_ccxt_table_sets_one() -> None:
    assert ccxt_config(DataConfig(timeout_seconds=2.5))["timeout"] == 2500
    given = DataConfig(timeout_seconds=2.5, ccxt={"timeout": 700, "rateLimit": 5})
    assert ccxt_config(given) == {"timeout": 700, "rateLimit": 5}
    assert DataConfig().ccxt == {}  # the study's table itself is left as the user wrote it


@pytest.mark.parametrize(
    ("key", "value", "wanted"),
    [
        ("retries", -1, r"\[data\] retries: -1 must be a whole number >= 0"),
        ("retries", True, r"\[data\] retries: True must be a whole number >= 0"),
        ("timeout_seconds", 0.0, r"\[data\] timeout_seconds: 0.0 must be a finite number > 0"),
        ("timeout_seconds", float("inf"), r"\[data\] timeout_seconds: inf must be a finite"),
    ],
)
def test_bad_waiting_settings_are_refused_with_the_key(
    key: str, value: object, wanted: str
) -> None:
    with pytest.raises(ConfigError, match=wanted):
        DataConfig(**{key: value})

"""DataConfig: the [data] section's own checks, and the settings that bound waiting."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.ccxt_feed import ccxt_config
from feeds.config import DataConfig, Venue
from feeds.retry import RetryPolicy
from flowimpact.errors import ConfigError


def test_waiting_defaults_match_the_retry_policy_and_ccxt() -> None:
    data = DataConfig()
    assert (data.retries, data.timeout_seconds) == (4, 10.0)
    assert data.retries + 1 == RetryPolicy().max_attempts  # 5 attempts, as before
    assert data.retry_policy().max_attempts == 5


def test_timeout_seconds_reaches_ccxt_unless_the_ccxt_table_sets_one() -> None:
    assert ccxt_config(DataConfig(timeout_seconds=2.5))["timeout"] == 2500
    given = DataConfig(exchange="kraken", symbols=("BTC/USD",), timeout_seconds=2.5,
                       ccxt={"timeout": 700, "rateLimit": 5})
    assert ccxt_config(given) == {"timeout": 700, "rateLimit": 5}
    assert DataConfig().ccxt == {}  # the study's table itself is left as the user wrote it


def test_binance_loads_spot_markets_only_under_the_users_options() -> None:
    spot = {"fetchMarkets": {"types": ["spot"]}}
    assert ccxt_config(DataConfig())["options"] == spot
    given = DataConfig(ccxt={"options": {"defaultType": "spot", "fetchMarkets": {"x": 1}}})
    assert ccxt_config(given)["options"] == {
        "defaultType": "spot", "fetchMarkets": {"types": ["spot"], "x": 1}
    }
    own = DataConfig(ccxt={"options": {"fetchMarkets": {"types": ["spot", "linear"]}}})
    assert list(ccxt_config(own)["options"]["fetchMarkets"]["types"]) == ["spot", "linear"]
    # a swap symbol needs the other market types: ccxt's own stand
    swap = DataConfig(symbols=("BTC/USDT:USDT",))
    assert "options" not in ccxt_config(swap)


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


def test_fallbacks_load_from_a_study_file_as_venues(tmp_path: Path) -> None:
    from backtest.study.config import load_study

    path = tmp_path / "study.toml"
    path.write_text(
        '[data]\nfallbacks = [\n'
        '  { exchange = "coinbaseexchange", symbols = ["ETH/USD", "BTC/USD"] },\n'
        '  { exchange = "kraken", symbols = ["BTC/USD", "ETH/USD"], '
        'ccxt = { rateLimit = 3000 } },\n'
        ']\n'
    )
    data = load_study(path).data
    assert data.fallbacks == (
        Venue(exchange="coinbaseexchange", symbols=("ETH/USD", "BTC/USD")),
        Venue(exchange="kraken", symbols=("BTC/USD", "ETH/USD"), ccxt={"rateLimit": 3000}),
    )
    assert [v.exchange for v in data.venues()] == ["binance", "coinbaseexchange", "kraken"]
    assert data.fallbacks[0].symbol_for("BTC") == "BTC/USD"
    assert load_study(None).data.fallbacks == ()


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ('fallbacks = [{ exchange = "kraken", symbols = ["BTC/USD"] }]',
         r"\[data\] fallbacks: kraken has no symbol for ETH; give one symbol per asset of "
         r"\[data\] symbols \(BTC, ETH\)"),
        ('fallbacks = [{ exchnage = "kraken", symbols = ["BTC/USD", "ETH/USD"] }]',
         r"\[data\] fallbacks item 1: unknown key 'exchnage' \(did you mean 'exchange'\?\); "
         r"allowed: exchange, symbols, ccxt"),
        ('fallbacks = [{ symbols = ["BTC/USD", "ETH/USD"] }]',
         r"\[data\] fallbacks item 1: exchange is missing"),
        ('fallbacks = ["kraken"]',
         r"\[data\] fallbacks item 1: expected a table \(exchange, symbols, ccxt\), got 'kraken'"),
        ('fallbacks = [{ exchange = "kraken", symbols = "BTC/USD" }]',
         r"\[data\] fallbacks item 1 symbols: expected a list, got 'BTC/USD'"),
        ('fallbacks = [{ exchange = "binance", symbols = ["BTC/USDT", "ETH/USDT"] }]',
         r"\[data\] fallbacks: binance is \[data\] exchange itself"),
    ],
    ids=["asset-missing", "unknown-key", "no-exchange", "not-a-table", "symbols-not-a-list",
         "primary-again"],
)
def test_bad_fallbacks_are_one_line_naming_the_problem(
    tmp_path: Path, text: str, wanted: str
) -> None:
    from backtest.study.config import load_study

    path = tmp_path / "study.toml"
    path.write_text(f"[data]\n{text}\n")
    with pytest.raises(ConfigError, match=wanted) as caught:
        load_study(path)
    assert "\n" not in str(caught.value)

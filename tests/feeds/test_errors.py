"""ccxt errors translated into our tiers, each with the contract's exit code."""

from __future__ import annotations

import ccxt
import pytest

from feeds.errors import (
    ExchangeRefusedError,
    PermanentFeedError,
    TemporaryFeedError,
    translate,
)


@pytest.mark.parametrize(
    "exc",
    [ccxt.NetworkError("x"), ccxt.RequestTimeout("x"), ccxt.RateLimitExceeded("x"),
     ccxt.ExchangeNotAvailable("x"), ccxt.DDoSProtection("x"), ccxt.BadResponse("x"),
     ValueError("Expecting value: line 1 column 1")],
)
def test_temporary(exc: Exception) -> None:
    error = translate(exc, "binance BTC/USDT 1d")
    assert isinstance(error, TemporaryFeedError) and error.exit_code == 3
    assert str(error).startswith("binance BTC/USDT 1d: ")


@pytest.mark.parametrize(
    "exc",
    [ccxt.BadSymbol("x"), ccxt.AuthenticationError("x"), ccxt.NotSupported("x"),
     ccxt.BadRequest("x")],
)
def test_permanent(exc: Exception) -> None:
    error = translate(exc, "ctx")
    assert isinstance(error, PermanentFeedError) and error.exit_code == 2


def test_unclassified_refusal_is_not_retried_and_exits_3() -> None:
    error = translate(ccxt.ExchangeError("strange"), "ctx")
    assert type(error) is ExchangeRefusedError and error.exit_code == 3


def test_messages_stay_one_short_line() -> None:
    error = translate(ccxt.NetworkError("body\n" + "x" * 1000), "ctx")
    assert "\n" not in str(error) and len(str(error)) < 400

"""ccxt errors translated into our tiers, each with the contract's exit code."""

from __future__ import annotations

import ccxt
import pytest

from feeds.errors import (
    ExchangeRefusedError,
    LocationRefusedError,
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


def test_a_proxy_password_in_a_ccxt_message_never_reaches_the_error() -> None:
    exc = ccxt.NetworkError("binance GET https://api.binance.com via http://u:PASS-1@proxy:3128")
    error = translate(exc, "binance load_markets")
    assert "PASS-1" not in str(error) and "proxy:3128" in str(error)


# ccxt's message for Binance's answer to a US address (ccxt issue #16044): ExchangeNotAvailable
RESTRICTED = (
    'binance GET https://api.binance.com/api/v3/exchangeInfo 451  {"code":0,"msg":"Service '
    "unavailable from a restricted location according to 'b. Eligibility' in "
    'https://www.binance.com/en/terms."}'
)


def test_a_restricted_location_is_a_refusal_not_an_outage() -> None:
    error = translate(ccxt.ExchangeNotAvailable(RESTRICTED), "binance load_markets")
    assert isinstance(error, LocationRefusedError) and not isinstance(error, TemporaryFeedError)
    assert error.exit_code == 3
    assert str(error) == (
        "binance load_markets: binance refuses requests from this location (HTTP 451, "
        '"Service unavailable from a restricted location")'
    )


def test_a_451_inside_a_number_is_not_a_location_refusal() -> None:
    error = translate(ccxt.ExchangeNotAvailable("binance GET ...startTime=1704510451000 503"),
                      "ctx")
    assert type(error) is TemporaryFeedError

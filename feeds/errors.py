"""Our small error tree over ccxt's, tiered by what the caller should do::

    FeedError                                   any failure talking to an exchange
    ├── TemporaryFeedError   (DataUnavailable, exit 3)  worth retrying: network errors, timeouts,
    │                                                   rate limits, maintenance, DDoS protection,
    │                                                   malformed responses (ccxt OperationFailed)
    ├── PermanentFeedError   (InputError, exit 2)       the request itself is wrong: bad symbol,
    │                                                   unknown exchange, unsupported timeframe,
    │                                                   no OHLCV, bad credentials
    └── ExchangeRefusedError (DataUnavailable, exit 3)  the exchange said no for a reason ccxt does
        │                                               not classify; retrying would not help
        └── LocationRefusedError                        it refuses this location (Binance's HTTP
                                                        451 to US addresses, ccxt issue #16044):
                                                        use another venue (``[data] fallbacks``)

The retry policy (``feeds.retry``) retries only ``TemporaryFeedError``; when its attempts run
out the last one reaches the command line as exit 3 ("data unavailable").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import ccxt

from flowimpact.errors import DataUnavailableError, FlowImpactError, InputError
from flowimpact.secrets import redact_text


class FeedError(FlowImpactError):
    """Base of every exchange failure (never raised itself)."""


class TemporaryFeedError(FeedError, DataUnavailableError):
    """A failure that may pass: retry with backoff."""


class PermanentFeedError(FeedError, InputError):
    """The request cannot succeed as given: fix the exchange id, symbol, timeframe or keys."""


class ExchangeRefusedError(FeedError, DataUnavailableError):
    """The exchange refused the request for an unclassified reason; not retried."""


class LocationRefusedError(ExchangeRefusedError):
    """The exchange does not serve this location; another venue can (``[data] fallbacks``)."""


# ccxt raises ExchangeNotAvailable for HTTP 451 ("Service unavailable from a restricted
# location", Binance) and for CloudFront's country block (HTTP 403, Bybit and others); its
# message is "<id> <method> <url> <status> <reason> <body>", so the status stands alone.
_STATUS_451 = re.compile(r"(?<![\w=&])451(?![\w])")
_LOCATION_WORDS = ("restricted location", "block access from your country",
                   "not available in your country", "unavailable in your region")

_PERMANENT_HINTS: tuple[tuple[type[Exception], str], ...] = (
    (ccxt.BadSymbol, "check the symbol (BASE/QUOTE as the exchange lists it)"),
    (ccxt.AuthenticationError, "check the API keys given in [data.ccxt]"),
    (ccxt.PermissionDenied, "check the API keys' permissions"),
    (ccxt.AccountNotEnabled, "check the exchange account"),
    (ccxt.NotSupported, "the exchange does not offer this; choose another exchange"),
    (ccxt.BadRequest, "check the exchange, symbol and timeframe"),
)


def translate(exc: Exception, context: str) -> FeedError:
    """The ``FeedError`` for a ccxt exception; ``context`` names what was being done.

    Any ccxt ``OperationFailed`` (network errors, timeouts, rate limits, unavailable exchange,
    bad or null responses) is temporary; classified request errors are permanent; any other
    ccxt ``ExchangeError`` is an unclassified refusal. Non-ccxt exceptions from parsing a
    malformed response (ValueError, TypeError, KeyError) count as temporary too.
    """
    detail = _one_line(exc)
    if isinstance(exc, FeedError):
        return exc
    if isinstance(exc, ccxt.BaseError) and _refuses_location(str(exc)):
        exchange, reason = context.split(" ")[0], _location_reason(detail)
        return LocationRefusedError(
            f"{context}: {exchange} refuses requests from this location ({reason})"
        )
    if isinstance(exc, ccxt.OperationFailed | ValueError | TypeError | KeyError | IndexError):
        return TemporaryFeedError(f"{context}: {type(exc).__name__}: {detail}")
    for kind, hint in _PERMANENT_HINTS:
        if isinstance(exc, kind):
            return PermanentFeedError(f"{context}: {type(exc).__name__}: {detail}; {hint}")
    return ExchangeRefusedError(f"{context}: {type(exc).__name__}: {detail}")


T = TypeVar("T")


def guarded(call: Callable[[], T], context: str) -> T:
    """Run ``call()`` and turn any exception into our ``FeedError`` tree."""
    try:
        return call()
    except Exception as exc:
        raise translate(exc, context) from exc


def _refuses_location(message: str) -> bool:
    lowered = message.lower()
    return any(words in lowered for words in _LOCATION_WORDS) or bool(_STATUS_451.search(message))


def _location_reason(message: str) -> str:
    """``HTTP 451, "Service unavailable from a restricted location"``: status and the words."""
    status = "HTTP 451" if _STATUS_451.search(message) else "HTTP error"
    for words in _LOCATION_WORDS:
        found = re.search(r"[\w ,'-]{0,60}" + re.escape(words), message, re.IGNORECASE)
        if found:
            return f'{status}, "{found.group(0).strip()}"'
    return status


def _one_line(exc: Exception, limit: int = 300) -> str:
    """ccxt messages often embed a whole HTTP body: keep one short line, and no proxy's
    user:password (it would reach the terminal, the run log and the report)."""
    text = redact_text(" ".join(str(exc).split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "ExchangeRefusedError",
    "FeedError",
    "LocationRefusedError",
    "PermanentFeedError",
    "TemporaryFeedError",
    "guarded",
    "translate",
]

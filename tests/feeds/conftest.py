"""Fixtures of the feeds tests: the fake exchange server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_exchange import FakeExchangeServer, serve_fake_exchange


@pytest.fixture
def fake_exchange() -> Iterator[FakeExchangeServer]:
    """A fresh fake exchange (Binance and Bitstamp API shapes) per test."""
    with serve_fake_exchange() as server:
        yield server

"""A Dask scheduler address is checked in bounded time: every failure one line, exit 3.

Every server here is started by the test on 127.0.0.1 and closed with it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backtest.study.compute import ComputeConfig
from backtest.study.executors import SchedulerUnreachableError, check_scheduler, dask_client

TIMEOUT_S = 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"tcp://127.0.0.1:{sock.getsockname()[1]}"


class _Silent(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(400)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Silent)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def talker() -> Iterator[str]:
    """Answers every connection at once with an HTTP status line, as some proxies do."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def _refused(address: str) -> str:
    started = time.monotonic()
    with pytest.raises(SchedulerUnreachableError) as caught:
        check_scheduler(address, TIMEOUT_S)
    assert time.monotonic() - started < TIMEOUT_S + 1.0
    message = str(caught.value)
    assert caught.value.exit_code == 3
    assert "\n" not in message and address in message
    return message


def test_a_refused_port_is_named_at_once() -> None:
    assert "refused" in _refused(f"tcp://127.0.0.1:{_free_port()}")


def test_a_black_hole_ends_within_the_timeout(black_hole: str) -> None:
    assert "no Dask handshake within 1 s" in _refused(black_hole)


def test_an_http_server_ends_within_the_timeout(http_server: str) -> None:
    assert "no Dask handshake" in _refused(http_server)


def test_a_server_that_answers_http_is_named_as_such(talker: str) -> None:
    assert "answered in HTTP" in _refused(talker)


@pytest.mark.parametrize("address", ["garbage://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://:80"])
def test_a_garbage_address_is_refused_without_connecting(address: str) -> None:
    _refused(address)


def test_the_client_goes_through_the_check(black_hole: str) -> None:
    import distributed  # noqa: F401  (its import takes seconds; not part of the bound)

    compute = ComputeConfig(scheduler=black_hole, connect_timeout_seconds=TIMEOUT_S)
    started = time.monotonic()
    with pytest.raises(SchedulerUnreachableError, match="no Dask handshake"), dask_client(compute):
        pass
    assert time.monotonic() - started < TIMEOUT_S + 1.0


@pytest.mark.dask
def test_a_real_scheduler_passes_the_check() -> None:
    import asyncio

    from distributed import Scheduler

    async def probe() -> None:
        async with Scheduler(host="127.0.0.1", port=0, dashboard_address=":0") as scheduler:
            await asyncio.to_thread(check_scheduler, scheduler.address, 5.0)

    asyncio.run(probe())


def test_the_timeout_is_a_compute_setting() -> None:
    assert ComputeConfig().connect_timeout_seconds == 10
    with pytest.raises(Exception, match=r"\[compute\] connect_timeout_seconds"):
        ComputeConfig(connect_timeout_seconds=0)

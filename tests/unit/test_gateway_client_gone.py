"""The local gateway and a client that goes away before its answer (it gave up waiting, as on a tok_timeout
charge): one debug line, no traceback on the `make run` console."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any, cast

import pytest

from localdev.events import HttpRequest, HttpResponse
from localdev.gateway import Gateway, serve


class SlowGateway:
    """Answers every request after the client has hung up."""

    def __init__(self) -> None:
        self.client_gone = threading.Event()

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.client_gone.wait(10)
        return HttpResponse(200, [("Content-Type", "application/json")], b'{"ok": true}' * 50_000)


def test_a_client_that_went_away_is_one_debug_line_not_a_traceback(capfd, caplog, monkeypatch):
    monkeypatch.setenv("GATEWAY_ACCESS_LOG", "0")
    slow = SlowGateway()
    server = serve(cast("Gateway", slow), "127.0.0.1", 0)
    handled = threading.Event()
    finish = server.finish_request

    def finish_request(request: Any, address: Any) -> None:
        try:
            finish(request, address)
        finally:
            handled.set()

    server.finish_request = finish_request  # type: ignore[method-assign,assignment]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    caplog.set_level(logging.DEBUG, logger="localdev.gateway")
    try:
        client = socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=5)
        client.sendall(b"GET /api/v1/products HTTP/1.1\r\nHost: localhost\r\n\r\n")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        client.close()  # gives up before the answer (a reset, as a timed-out client's close can be)
        slow.client_gone.set()
        assert handled.wait(10)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert "Traceback" not in capfd.readouterr().err
    gone = [r for r in caplog.records if "went away" in r.getMessage()]
    assert [r.levelno for r in gone] == [logging.DEBUG]


@pytest.mark.parametrize("error", [BrokenPipeError, ConnectionResetError])
def test_both_ways_a_client_leaves_are_quiet(error, caplog):
    from localdev.gateway import _Handler

    class Gone:
        def write(self, data: bytes) -> int:
            raise error()

    handler = object.__new__(_Handler)
    handler.wfile, handler.command, handler.request_version = Gone(), "GET", "HTTP/1.1"  # type: ignore[assignment]
    handler.client_address, handler.requestline = ("127.0.0.1", 1), "GET / HTTP/1.1"
    handler.close_connection = False
    caplog.set_level(logging.DEBUG, logger="localdev.gateway")
    handler._send(HttpResponse(200, [], b"{}"))
    assert handler.close_connection is True
    assert any("went away" in r.getMessage() for r in caplog.records)

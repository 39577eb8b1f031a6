"""A loopback TCP proxy that counts round trips at the wire (tests and `make bench`; not deployed).

PostgreSQL's and Redis's protocols are request/response: the client sends, then waits for the server.
A *flight* is a burst of client bytes sent after the server last spoke (or first on a connection), so
the number of flights is the number of round trips the client paid for, however the bytes were split
into TCP segments. Several messages sent together (a pipeline) count as one flight, as they cost one.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class _Pair:
    client: socket.socket
    server: socket.socket
    last_sender: str = ""


class CountingProxy:
    """Forwards 127.0.0.1:<port> to ``target`` and counts client flights and opened connections."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self.flights = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._running = True
        self._pairs: list[_Pair] = []
        self._thread = threading.Thread(target=self._loop, name="counting-proxy", daemon=True)

    def __enter__(self) -> CountingProxy:
        self._selector.register(self._listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._running = False
        self._wake_write.send(b"x")
        self._thread.join(timeout=5)
        for pair in self._pairs:
            pair.client.close()
            pair.server.close()
        self._listener.close()
        self._wake_read.close()
        self._wake_write.close()
        self._selector.close()

    @contextmanager
    def counting(self) -> Iterator[Counted]:
        """The flights and new connections made inside the block."""
        counted = Counted()
        with self._lock:
            flights, connections = self.flights, self.connections
        yield counted
        with self._lock:
            counted.flights = self.flights - flights
            counted.connections = self.connections - connections

    def _loop(self) -> None:
        while self._running:
            for key, _ in self._selector.select(timeout=1):
                if key.data == "accept":
                    self._accept()
                elif key.data != "wake":
                    pair, direction = key.data
                    self._forward(pair, direction)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        server = socket.create_connection(self._target)
        for end in (client, server):  # as the drivers do: no Nagle delay on small messages
            end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = _Pair(client, server)
        self._pairs.append(pair)
        with self._lock:
            self.connections += 1
        self._selector.register(client, selectors.EVENT_READ, (pair, "client"))
        self._selector.register(server, selectors.EVENT_READ, (pair, "server"))

    def _forward(self, pair: _Pair, sender: str) -> None:
        source, sink = (pair.client, pair.server) if sender == "client" else (pair.server, pair.client)
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._close(pair)
            return
        if sender == "client" and pair.last_sender != "client":
            with self._lock:
                self.flights += 1
        pair.last_sender = sender
        try:
            sink.sendall(data)
        except OSError:
            self._close(pair)

    def _close(self, pair: _Pair) -> None:
        for sock in (pair.client, pair.server):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            sock.close()


@dataclass
class Counted:
    """Round trips (client flights) and connections opened during a ``counting()`` block."""

    flights: int = 0
    connections: int = 0

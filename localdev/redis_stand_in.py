"""One Redis stand-in (fakeredis over TCP) shared by every local process that uses the same database.

`make run`, a second `make run` and `make invoke` each hold a cache in front of the same database. With a
stand-in each, a write through one would leave the others serving the old product (`X-Cache: HIT`) until
the TTL ends. So the first process starts the stand-in and records it in ``.local/redis-<db>.json`` (port,
owner pid, a token stored in the stand-in, the pids using it); later processes reuse it while it answers
with that token. The stand-in lives in its owner's process: when the owner stops, the others keep the dead
URL and every read is a miss (the cache adapter turns errors into misses), and no process starts a new
stand-in until every process that shared the old one has stopped, since those would not invalidate it: a
process that moved to a new stand-in while another still wrote through the dead one would serve what that
other one changed from the new stand-in, stale, until the TTL. (The local SQS, which holds no copy of the
database, is taken over at once instead: ``localdev.sqs.KeptSqs``.) It is not silent: a process using another's
stand-in watches it (``WATCH_SECONDS``) and says once, on stderr, that it stopped and what to do.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from localdev.paths import STATE, database_state

TOKEN_KEY = "storefront:local-stand-in"  # noqa: S105 - a key name; its value tells this stand-in apart
WATCH_SECONDS = 2.0  # how often a process using another's stand-in checks that it still answers


@dataclass
class StandInRecord:
    """What ``.local/redis-<db>.json`` holds."""

    port: int
    owner: int
    token: str
    users: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def record_path(database_url: str, state: Path = STATE) -> Path:
    """Where the stand-in of ``database_url`` is recorded (one stand-in per database)."""
    return database_state("redis", database_url, state)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def shared_stand_in(database_url: str, state: Path = STATE) -> Iterator[str]:
    """The URL of the stand-in this database's processes share, started here when there is none."""
    path = record_path(database_url, state)
    state.mkdir(parents=True, exist_ok=True)
    me = os.getpid()
    server: Any = None
    with _locked(state):
        record = _read(path)
        if record is not None:
            record.users = [pid for pid in record.users if pid != me and _alive(pid)]
        alive = record is not None and _answers(record)
        if record is None or not (alive or record.users):
            server, record = _start()
        elif not alive:
            print(
                f"The cache stand-in of process {record.owner} has stopped: every read is a cache miss "
                "until the processes that shared it stop.",
                file=sys.stderr,
            )
        record.users.append(me)
        _write(path, record)
    stop_watching = threading.Event()
    if server is None and alive:  # another process's stand-in: say when it goes away
        threading.Thread(target=_watch, args=(record, stop_watching), name="stand-in watch", daemon=True).start()
    try:
        yield record.url
    finally:
        stop_watching.set()
        with _locked(state):
            latest = _read(path)
            if latest is not None and latest.token == record.token:
                latest.users = [pid for pid in latest.users if pid != me and _alive(pid)]
                if latest.users:
                    _write(path, latest)
                else:
                    path.unlink()
        if server is not None:
            server.shutdown()
            server.server_close()


def _watch(record: StandInRecord, stop: threading.Event) -> None:
    """Print one line when the stand-in of ``record`` stops answering (its owner stopped)."""
    while not stop.wait(WATCH_SECONDS):
        if not _answers(record):
            print(
                f"The cache stand-in of process {record.owner} has stopped: every read is now a cache miss (the "
                "database answers) until the processes that shared it stop; restart this run for a new one.",
                file=sys.stderr,
                flush=True,
            )
            return


def stand_in_url(database_url: str, state: Path = STATE) -> str | None:
    """The URL of the stand-in recorded for ``database_url`` (None when there is none)."""
    record = _read(record_path(database_url, state))
    return record.url if record is not None else None


# The reads the stand-in counts as keyspace hits or misses, one per key, as Redis's lookupKeyRead does for them:
# the string reads the cache and the limiter make (a value: a hit; nil: a miss).
COUNTED_READS = frozenset({b"get", b"getex", b"mget"})


@dataclass
class KeyspaceStats:
    """The stand-in's keyspace_hits and keyspace_misses since it started (every connection's reads together)."""

    hits: int = 0
    misses: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, reply: Any) -> None:
        """Count the values of a counted read's reply (a list for MGET)."""
        if isinstance(reply, Exception):
            return
        values = reply if isinstance(reply, list) else [reply]
        found = sum(value is not None for value in values)
        with self.lock:
            self.hits += found
            self.misses += len(values) - found

    def info(self) -> bytes:
        """INFO's reply (the ``# Stats`` section's keyspace fields, which is what the metrics read)."""
        with self.lock:
            return f"# Stats\r\nkeyspace_hits:{self.hits}\r\nkeyspace_misses:{self.misses}\r\n".encode()


def _counting_server(address: tuple[str, int]) -> Any:
    """A fakeredis TCP server that answers INFO with its keyspace hits and misses (fakeredis has no INFO: the
    local /api/v1/metrics reported its cache source down and no hit ratio)."""
    from fakeredis import TcpFakeServer
    from fakeredis._clients._sync import FakeRedisConnection
    from fakeredis._clients._tcp_server import TCPFakeRequestHandler
    from fakeredis._socket import FakeSocket

    stats = KeyspaceStats()

    class CountingSocket(FakeSocket):
        _reading = False

        def _process_command(self, fields: list[bytes]) -> None:
            name = fields[0].lower() if fields else b""
            if name == b"info":
                self.put_response(stats.info())
                return
            self._reading = name in COUNTED_READS
            try:
                super()._process_command(fields)
            finally:
                self._reading = False

        def put_response(self, msg: Any) -> None:
            if self._reading:
                stats.count(msg)
            super().put_response(msg)

    class CountingConnection(FakeRedisConnection):
        def _connect(self) -> Any:
            plain = super()._connect()
            plain.__class__ = CountingSocket  # same state, the counting commands
            return plain

    class CountingHandler(TCPFakeRequestHandler):
        def setup(self) -> None:
            super().setup()
            if not isinstance(self.current_client, CountingConnection) and self.current_client._sock is None:
                self.current_client.__class__ = CountingConnection

    server = TcpFakeServer(address)
    server.RequestHandlerClass = CountingHandler
    return server


def _start() -> tuple[Any, StandInRecord]:
    from redis import Redis

    port = free_port()
    server = _counting_server(("127.0.0.1", port))
    server.daemon_threads = True
    # shutdown() waits for the loop to look again: every 50 ms, not the default half second (each `make invoke`
    # stops three servers)
    poll = {"poll_interval": 0.05}
    threading.Thread(target=server.serve_forever, kwargs=poll, name="fake-redis", daemon=True).start()
    record = StandInRecord(port=port, owner=os.getpid(), token=str(uuid.uuid4()))
    with Redis(host="127.0.0.1", port=port) as client:
        client.set(TOKEN_KEY, record.token)
    return server, record


def _answers(record: StandInRecord) -> bool:
    """True when the recorded stand-in is up and is the one recorded (not another server on that port)."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        with Redis(host="127.0.0.1", port=record.port, socket_timeout=0.5, socket_connect_timeout=0.5) as client:
            return bool(client.get(TOKEN_KEY) == record.token.encode())
    except RedisError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> StandInRecord | None:
    try:
        data = json.loads(path.read_text())
        return StandInRecord(int(data["port"]), int(data["owner"]), str(data["token"]), list(data["users"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: Path, record: StandInRecord) -> None:
    path.write_text(json.dumps(asdict(record)))


@contextmanager
def _locked(state: Path) -> Iterator[None]:
    with open(state / "redis-stand-in.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield

"""The local run's SQS: moto's server in this process, with the template's queues.

Queues, their VisibilityTimeout, MessageRetentionPeriod and redrive policies (DLQ, maxReceiveCount) are
read from template.yaml. moto applies a redrive policy as SQS does: a message already received
maxReceiveCount times moves to the DLQ on the next receive (moto/sqs/models.py, receive_messages).
``SQS_VISIBILITY_TIMEOUT=<seconds>`` shortens every queue's visibility timeout locally (the same queues
and code path, just less waiting for a failed message to come back).

The server is recorded in ``.local/sqs-<hash of the database URL>.json`` (endpoint, owner pid) while it runs,
so `make redrive`, `make invoke` and a second `make run` on the same database find it; a process that finds
a live record for its database uses that server. One SQS per database: a message names rows of the database
it was written to, so a local run (or an end-to-end test's gateway) on another database must never consume
it (its consumers would find no such order and drop it). The messages outlive a graceful stop of the process
that runs the server (``localdev.sqs_state``: written next to the record, restored by the next start).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from localdev import sqs_state
from localdev.aws_events import ACCOUNT, REGION, queue_arn
from localdev.paths import STATE, database_state
from localdev.template import Api, QueueResource

log = logging.getLogger("localdev.sqs")

# The functions reach moto with these (never real AWS from the local run).
LOCAL_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass(frozen=True)
class LocalSqs:
    """A running local SQS: its endpoint and the URL of each template queue (by logical id)."""

    endpoint: str
    urls: dict[str, str]

    def environment(self, api: Api) -> dict[str, str]:
        """What the functions get: the endpoint, local credentials, and every queue URL under its variable."""
        env = {**LOCAL_AWS, "AWS_ENDPOINT_URL_SQS": self.endpoint}
        for logical_id, url in self.urls.items():
            env[url_variable(logical_id)] = url
        return env

    def client(self) -> Any:
        """A boto3 SQS client on this endpoint."""
        import boto3

        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=LOCAL_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_AWS["AWS_SECRET_ACCESS_KEY"],
        )


def url_variable(logical_id: str) -> str:
    """The environment variable holding a queue's URL: OrderProcessingQueue -> ORDER_PROCESSING_QUEUE_URL."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id).upper() + "_URL"


def visibility_override() -> int | None:
    """SQS_VISIBILITY_TIMEOUT, when set: every local queue's visibility timeout in seconds."""
    value = os.environ.get("SQS_VISIBILITY_TIMEOUT", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > 43200:
        raise SystemExit(f"SQS_VISIBILITY_TIMEOUT must be 0 to 43200 seconds, not {value!r}")
    return int(value)


def create_queues(client: Any, queues: Mapping[str, QueueResource], visibility: int | None = None) -> dict[str, str]:
    """Create the template's queues (dead-letter queues first, so the redrive policies can name them) with
    their attributes; returns each queue's URL by logical id. Existing queues get the attributes again."""
    urls: dict[str, str] = {}
    ordered = sorted(queues.values(), key=lambda q: q.dead_letter is not None)
    for queue in ordered:
        attributes = {
            "VisibilityTimeout": str(queue.visibility_timeout if visibility is None else visibility),
            "MessageRetentionPeriod": str(queue.retention_seconds),
        }
        if queue.dead_letter is not None:
            target = queues[queue.dead_letter]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": queue_arn(target.name), "maxReceiveCount": queue.max_receive_count or 1}
            )
        url = client.create_queue(QueueName=queue.name)["QueueUrl"]
        client.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        urls[queue.logical_id] = url
    return urls


def _answers(endpoint: str) -> bool:
    address = urlsplit(endpoint)
    try:
        with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_database_url(state: Path = STATE) -> str:
    """The database of `make run` when DATABASE_URL names none (as ``localdev.stack.local_stack`` picks it)."""
    return f"sqlite:///{Path(state, 'storefront.db')}"


def record_path(database_url: str | None = None, state: Path = STATE) -> Path:
    """Where the local SQS of ``database_url`` (default: `make run`'s) is recorded: one SQS per database."""
    return database_state("sqs", database_url or default_database_url(state), state)


def snapshot_path(database_url: str | None = None, state: Path = STATE) -> Path:
    """Where the messages of ``database_url``'s local SQS wait between a stop and the next start (``sqs_state``)."""
    return database_state("sqs-messages", database_url or default_database_url(state), state)


def running_endpoint(state: Path = STATE, database_url: str | None = None) -> str | None:
    """The endpoint of the local SQS another process runs for ``database_url`` (default: `make run`'s), if
    it still answers."""
    try:
        record = json.loads(record_path(database_url, state).read_text())
    except (OSError, ValueError):
        return None
    endpoint = record.get("endpoint")
    if not isinstance(endpoint, str) or not _alive(int(record.get("owner", 0))) or not _answers(endpoint):
        return None
    return endpoint


@contextmanager
def _starting(record: Path, share: bool) -> Iterator[None]:
    """Hold the lock of ``record`` (a file lock next to it) while a shared SQS is looked for and, if none runs,
    started and recorded: two `make run` on one database started in the same second find one server, not two."""
    if not share:
        yield
        return
    record.parent.mkdir(parents=True, exist_ok=True)
    with record.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process is killed
        yield


class KeptSqs:
    """The local SQS a process uses for one database, kept usable for as long as the process runs.

    Another process's server (a first `make run` whose SQS a second one reuses) goes away with that process.
    ``recover`` then moves to the server a third process may have started meanwhile, or starts one here and
    records it (under the same file lock as the first start): the pollers and the functions' publishers are
    re-pointed to it (``localdev.gateway``). A server started here restores, before it is recorded, the messages
    the last owner's graceful stop wrote (``localdev.sqs_state``); ``close`` stops the servers started here,
    writes their messages for the next start and removes their record while it names this process."""

    def __init__(self, api: Api, state: Path, host: str, share: bool, database_url: str | None) -> None:
        self._api, self._state, self._host, self._share = api, state, host, share
        self._database_url = database_url
        self._record = record_path(database_url, state)
        self._snapshot = snapshot_path(database_url, state)
        self._visibility = visibility_override()
        self._servers: list[Any] = []
        self._lock = threading.Lock()
        self._closing = False
        self.current = self._find_or_start()

    def _find_or_start(self) -> LocalSqs:
        """The recorded live server of this database, else one started here (under the file lock)."""
        with _starting(self._record, self._share):
            endpoint = running_endpoint(self._state, self._database_url)
            server: Any = None
            if endpoint is None:
                server = _start_moto(self._host)
                bound_host, port = server.get_host_and_port()
                endpoint = f"http://{bound_host}:{port}"
            try:
                sqs = LocalSqs(
                    endpoint, create_queues(LocalSqs(endpoint, {}).client(), self._api.queues, self._visibility)
                )
                if server is not None and self._share:
                    # Before the record names it, so nothing polls it yet: the messages the last owner left.
                    restored = sqs_state.restore(self._snapshot)
                    if restored:
                        log.warning("the local SQS restored %d message(s) from %s", restored, self._snapshot)
                    self._record.write_text(json.dumps({"endpoint": endpoint, "owner": os.getpid()}))
            except BaseException:
                if server is not None:
                    server.stop()
                raise
        if server is not None:
            self._servers.append(server)
        return sqs

    @property
    def started_here(self) -> bool:
        """Whether the server in use runs in this process."""
        return bool(self._servers) and self.current.endpoint == self._endpoint_of(self._servers[-1])

    @staticmethod
    def _endpoint_of(server: Any) -> str:
        host, port = server.get_host_and_port()
        return f"http://{host}:{port}"

    def recover(self) -> LocalSqs:
        """The SQS to use now: the current one while it answers, else another process's live one or a new one
        started here (one line says which). Safe from several threads: one moves, the others get its result."""
        with self._lock:
            # A run that is stopping takes nothing over: a server started now would never be stopped or saved, and
            # could restore (and so take) the messages the stopped owner kept for the next start.
            if self._closing or _answers(self.current.endpoint):
                return self.current
            stopped = self.current.endpoint
            self.current = self._find_or_start()
            whose = "started here" if self.started_here else "another process's"
            log.warning("the local SQS at %s stopped; now using %s (%s)", stopped, self.current.endpoint, whose)
            return self.current

    def close(self) -> None:
        """Stop the servers started here, then (when shared) write their messages next to the record for the next
        process that starts this database's SQS; forget the record while it names this process. Under the
        record's file lock, so a process taking over finds either this server or its snapshot."""
        with self._lock:
            self._closing = True
        with _starting(self._record, self._share):
            for server in self._servers:
                server.stop()  # first: no request changes the queues while they are written
            if self._servers and self._share:
                saved = sqs_state.save(self._snapshot)
                if saved:
                    log.warning("the local SQS kept %d message(s) in %s for the next start", saved, self._snapshot)
            with suppress(OSError, ValueError):
                if json.loads(self._record.read_text()).get("owner") == os.getpid():
                    self._record.unlink()


@contextmanager
def kept_sqs(
    api: Api,
    state: Path = STATE,
    host: str = "127.0.0.1",
    *,
    share: bool = True,
    database_url: str | None = None,
) -> Iterator[KeptSqs]:
    """The local SQS of ``database_url`` (default: `make run`'s) for a long-running process: the one another
    process records, else a moto server started here (recorded in ``state`` while it runs when ``share``); it
    can ``recover`` when the server it uses stops. Looking for one and starting one happen under a file lock."""
    kept = KeptSqs(api, state, host, share, database_url)
    try:
        yield kept
    finally:
        kept.close()


@contextmanager
def local_sqs(
    api: Api,
    state: Path = STATE,
    host: str = "127.0.0.1",
    *,
    share: bool = True,
    database_url: str | None = None,
) -> Iterator[LocalSqs]:
    """The local SQS with the template's queues, as ``kept_sqs`` finds or starts it (stopped on the way out
    when started here), for a process that does not outlive it (`make invoke`, `make redrive`, tests)."""
    with kept_sqs(api, state, host, share=share, database_url=database_url) as kept:
        yield kept.current


def _start_moto(host: str) -> Any:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per SQS call (the pollers call often)
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    return server


__all__ = [
    "ACCOUNT",
    "KeptSqs",
    "LocalSqs",
    "create_queues",
    "kept_sqs",
    "local_sqs",
    "record_path",
    "running_endpoint",
    "snapshot_path",
    "url_variable",
]

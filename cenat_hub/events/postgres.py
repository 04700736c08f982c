"""Events across worker processes through PostgreSQL ``LISTEN``/``NOTIFY``.

Every worker keeps one direct asyncpg connection that LISTENs on one channel
and hands what it hears to its local hub. Publishing hands the events to the
publishing worker's own streams at once and sends a ``NOTIFY`` (through the
application's pool) for the other workers. Each payload names the hub that
sent it, so a worker skips its own notifications instead of delivering them
twice. When the listening connection drops, it is opened again with growing
pauses, and a ``resync`` event tells the local streams that something may have
been missed.
"""

import asyncio
import json
import secrets
from typing import Any

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from cenat_hub.events.hub import RESYNC, Event, EventHub

log = structlog.get_logger(__name__)

CHANNEL = "cenat_hub_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD_BYTES = 7900
HEALTH_CHECK_SECONDS = 5.0
RECONNECT_DELAYS_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


def encode_event(event: Event, origin: str = "") -> str:
    payload = json.dumps(
        {"kind": event.kind, "data": event.data, "origin": origin}, default=str
    )
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        log.warning("events.payload_too_large", kind=event.kind)
        return json.dumps({"kind": RESYNC, "data": {}, "origin": origin})
    return payload


def decode_notification(payload: str) -> tuple[Event, str] | None:
    """Return the event of a notification and the hub that sent it, or None."""
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("kind"), str):
        return None
    data = document.get("data")
    origin = document.get("origin")
    return (
        Event(document["kind"], data if isinstance(data, dict) else {}),
        origin if isinstance(origin, str) else "",
    )


def asyncpg_connect_args(database_url: str) -> dict[str, Any]:
    url = make_url(database_url)
    return {
        "host": url.host,
        "port": url.port or 5432,
        "user": url.username,
        "password": url.password,
        "database": url.database,
    }


class PostgresEventHub(EventHub):
    """An EventHub whose events travel through PostgreSQL to every worker."""

    def __init__(self, engine: AsyncEngine, database_url: str) -> None:
        super().__init__()
        self._engine = engine
        self._connect_args = asyncpg_connect_args(database_url)
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        # Marks this hub's notifications, which its own streams already got.
        self._origin = secrets.token_hex(8)

    async def start(self) -> None:
        """Start listening; return once the first LISTEN is in place."""
        self._task = asyncio.create_task(self._listen_forever())
        try:
            await asyncio.wait_for(self._listening.wait(), timeout=10)
        except TimeoutError:
            log.warning("events.listener_not_ready")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._close_connection()

    @property
    def is_listening(self) -> bool:
        return self._listening.is_set()

    @property
    def listener_pid(self) -> int | None:
        """The server process id of the LISTEN connection (for diagnostics)."""
        return self._connection.get_server_pid() if self._connection else None

    async def publish(self, events: list[Event]) -> None:
        if not events:
            return
        self.deliver(events)
        try:
            async with self._engine.connect() as connection:
                # One statement for all events; NOTIFY keeps their order.
                await connection.execute(
                    text(
                        "SELECT pg_notify(:channel, payload) "
                        "FROM unnest(CAST(:payloads AS text[])) "
                        "WITH ORDINALITY AS e(payload, position) ORDER BY position"
                    ),
                    {
                        "channel": CHANNEL,
                        "payloads": [
                            encode_event(event, self._origin) for event in events
                        ],
                    },
                )
                await connection.commit()
        except Exception:
            # Other workers miss these, and their streams catch up only when
            # they reconnect. This worker's streams already have them.
            log.exception("events.notify_failed", count=len(events))

    async def _listen_forever(self) -> None:
        attempt = 0
        connected_before = False
        while True:
            lost = asyncio.Event()
            try:
                await self._open_connection(lost)
            except Exception as exc:  # any failure to connect is retried
                delay = RECONNECT_DELAYS_SECONDS[
                    min(attempt, len(RECONNECT_DELAYS_SECONDS) - 1)
                ]
                log.warning("events.listen_failed", error=str(exc), retry_in=delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            attempt = 0
            self._listening.set()
            log.info("events.listening", reconnected=connected_before)
            if connected_before:
                self.deliver([Event(RESYNC)])
            connected_before = True
            await self._watch(lost)
            self._listening.clear()
            await self._close_connection()
            log.warning("events.listener_lost")

    async def _open_connection(self, lost: asyncio.Event) -> None:
        connection = await asyncpg.connect(**self._connect_args, timeout=10)
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(CHANNEL, self._on_notification)
        self._connection = connection

    async def _watch(self, lost: asyncio.Event) -> None:
        """Return when the connection is gone, which a failed ping also means."""
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), timeout=HEALTH_CHECK_SECONDS)
            except TimeoutError:
                pass
            else:
                return
            connection = self._connection
            if connection is None or connection.is_closed():
                return
            try:
                await asyncio.wait_for(
                    connection.execute("SELECT 1"), timeout=HEALTH_CHECK_SECONDS
                )
            except Exception:  # a broken connection fails in many ways
                return

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await asyncio.wait_for(connection.close(), timeout=2)
            except Exception:  # closing a broken connection may fail too
                connection.terminate()

    def _on_notification(
        self, _connection: object, _pid: int, _channel: str, payload: str
    ) -> None:
        decoded = decode_notification(payload)
        if decoded is None:
            log.warning("events.unreadable_notification")
            return
        event, origin = decoded
        if origin == self._origin:
            return
        self.deliver([event])

"""In-process publish/subscribe of small events.

Events carry kinds and ids only, and the browser streams render what they
need from the database, once per user for each event. Publishers call
``publish`` after their transaction commits.
The browser stream renders these kinds (others pass through unrendered):

- ``message.new``, ``message.status``, ``message.updated``: ``message_id``
- ``conversation.updated``: ``conversation_id``
- ``contact.updated``: ``contact_id``
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger(__name__)

SUBSCRIBER_QUEUE_SIZE = 1000

# Sent to every local subscriber when events may have been lost (the
# cross-worker listener reconnected, or a subscriber's queue overflowed).
# Streams respond to it by replaying from the database.
RESYNC = "resync"


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    # Renderings of this event by user id, filled by the streams of this
    # process. Every subscriber queue receives this same object, so a user
    # with many open pages has the event rendered once.
    renderings: dict[int, "asyncio.Future[Any]"] = field(
        default_factory=dict, compare=False, repr=False
    )


class EventHub:
    """Fans each published event out to every subscriber's queue in this process."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[Event]] = set()

    async def start(self) -> None:
        """Do nothing: one process needs no start-up (PostgresEventHub does)."""

    async def stop(self) -> None:
        """Do nothing: one process needs no shutdown (PostgresEventHub does)."""

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE_SIZE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers.discard(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def publish(self, events: list[Event]) -> None:
        self.deliver(events)

    def deliver(self, events: list[Event]) -> None:
        """Put events on every local subscriber's queue."""
        for event in events:
            for queue in list(self._subscribers):
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.warning("events.subscriber_queue_full", kind=event.kind)
                    _replace_backlog_with_resync(queue)


def _replace_backlog_with_resync(queue: asyncio.Queue[Event]) -> None:
    """Replace a full queue's backlog with one resync, so the stream replays it."""
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(Event(RESYNC))

"""Background processing of archived webhook bodies, in batches.

Each process runs one loop. The acknowledgement puts the archived body's id in
the loop's queue and wakes it; the loop takes up to ``BATCH_SIZE`` queued ids,
applies those bodies in one transaction (``cenat_hub.webhook.batch``), commits
once and then publishes their events. An idle loop starts on the first id at
once, so a lone body waits for no timer, and a busy loop takes everything
that queued up meanwhile into its next batch.

A periodic sweep queues the bodies an earlier attempt left pending (a crash,
a restart, an error) and applies statuses that arrived before their message.
"""

import asyncio
from collections.abc import Callable, Iterable

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cenat_hub.db.session import unit_of_work
from cenat_hub.events.hub import Event
from cenat_hub.messages.statuses import (
    apply_pending_statuses,
    unapplied_status_message_ids,
)
from cenat_hub.models import WebhookDelivery
from cenat_hub.models.webhook import DELIVERY_PENDING
from cenat_hub.webhook.batch import (
    CHUNK_SIZE,
    MAX_ATTEMPTS,
    BatchApplier,
    Publisher,
)

log = structlog.get_logger(__name__)

__all__ = ["BATCH_SIZE", "CHUNK_SIZE", "MAX_ATTEMPTS", "WebhookWorker"]

# Maximum bodies applied in one transaction. A batch keeps its transaction
# open while it applies all of them. On SQLite that transaction holds the
# single write lock, which the acknowledgement's archive insert also needs.
# About 4 to 5 ms of CPU per message body was measured on a 2-core machine
# (docs/benchmarks.md), so a full batch holds the lock for about 0.25 s.
BATCH_SIZE = 50
SWEEP_LIMIT = 1000
# Ids kept in memory at most. During a longer burst the rest wait in the
# archive, still pending, until a sweep queues them.
MAX_QUEUED = 20_000


class WebhookWorker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publish: Publisher,
        sweep_interval_seconds: float = 5.0,
        first_sweep_delay_seconds: float = 0.0,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._session_factory = session_factory
        self._publish = publish
        self._sweep_interval = sweep_interval_seconds
        self._first_sweep_delay = first_sweep_delay_seconds
        self._batch_size = batch_size
        self._applier = BatchApplier(session_factory, publish)
        # Ids waiting for the loop, oldest first (a dict keeps insertion order).
        self._queue: dict[int, None] = {}
        # Ids of the batch the loop is applying now.
        self._active: set[int] = set()
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._loop: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def schedule(self, delivery_id: int) -> None:
        """Queue an archived body and wake the processing loop.

        A body that finds the queue full stays pending for the next sweep.
        """
        if delivery_id in self._active or len(self._queue) >= MAX_QUEUED:
            return
        self._queue[delivery_id] = None
        self._wake.set()
        self._ensure_loop()

    def start(self) -> None:
        self._ensure_loop()
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        """Stop sweeping, apply what is queued, then stop the loop."""
        if self._sweeper:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await self.drain()
        if self._loop:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None

    async def drain(self) -> None:
        """Wait until every scheduled body is processed (used by tests and the CLI)."""
        await self._wait_until(lambda: not self._queue and not self._active)

    async def process(self, delivery_id: int) -> None:
        """Queue one body and wait until the loop has handled it."""
        self.schedule(delivery_id)
        await self._wait_for([delivery_id])

    async def sweep(self) -> int:
        """Process every pending body and apply late statuses; return bodies handled."""
        async with self._session_factory() as session:
            ids = list(
                (
                    await session.execute(
                        select(WebhookDelivery.id)
                        .where(WebhookDelivery.state == DELIVERY_PENDING)
                        .order_by(WebhookDelivery.id)
                        .limit(SWEEP_LIMIT)
                    )
                ).scalars()
            )
        for delivery_id in ids:
            self.schedule(delivery_id)
        await self._wait_for(ids)
        await self._apply_late_statuses()
        return len(ids)

    def _ensure_loop(self) -> None:
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = self._take_batch()
                self._active.update(batch)
                try:
                    await self._applier.apply(batch)
                except Exception:
                    # The applier records failures itself; whatever escapes it
                    # leaves the bodies pending for the next sweep.
                    log.exception("webhook.batch_crashed", size=len(batch))
                finally:
                    self._active.difference_update(batch)
                    async with self._changed:
                        self._changed.notify_all()

    def _take_batch(self) -> list[int]:
        batch: list[int] = []
        for delivery_id in self._queue:
            batch.append(delivery_id)
            if len(batch) == self._batch_size:
                break
        for delivery_id in batch:
            del self._queue[delivery_id]
        return batch

    async def _wait_for(self, ids: Iterable[int]) -> None:
        waiting = set(ids)
        await self._wait_until(
            lambda: (
                not any(
                    delivery_id in self._queue or delivery_id in self._active
                    for delivery_id in waiting
                )
            )
        )

    async def _wait_until(self, done: Callable[[], bool]) -> None:
        async with self._changed:
            while not done():
                # A loop that died with ids still queued would never notify.
                self._ensure_loop()
                self._wake.set()
                await self._changed.wait()

    async def _apply_late_statuses(self) -> None:
        async with unit_of_work(self._session_factory) as session:
            events: list[Event] = []
            for wa_message_id in await unapplied_status_message_ids(session):
                events += await apply_pending_statuses(session, wa_message_id)
        await self._publish(events)

    async def _sweep_forever(self) -> None:
        await asyncio.sleep(self._first_sweep_delay)
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("webhook.sweep_failed")
            await asyncio.sleep(self._sweep_interval)

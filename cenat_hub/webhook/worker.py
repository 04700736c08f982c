"""Background processing of archived webhook bodies.

A body is processed right after it is archived, and again by a periodic
sweep when a previous attempt stopped half-way (crash, restart, error).
Processing a body and marking it processed happen in one transaction, so a
body is either fully applied or not at all. On PostgreSQL, ``FOR UPDATE SKIP
LOCKED`` keeps two workers from processing the same body.
"""

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.events.hub import Event
from cenat_hub.messages.statuses import (
    apply_pending_statuses,
    unapplied_status_message_ids,
)
from cenat_hub.models import WebhookDelivery
from cenat_hub.models.webhook import (
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_PROCESSED,
)
from cenat_hub.ops.metrics import WEBHOOK_PROCESSING_LAG
from cenat_hub.webhook.processing import (
    UnreadableBodyError,
    WorkItem,
    apply_items,
    parse_body,
    plan_payload,
)

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
# Items applied per transaction when a body is large.
CHUNK_SIZE = 50
# Maximum bodies processed at once per process. Processing shares the
# connection pool (5 + 5 on SQLite, 10 + 10 on PostgreSQL) with the webhook's
# acknowledgement, which archives the body. Keeping processing well under the
# pool size leaves the acknowledgement a free connection during a burst.
MAX_CONCURRENT_BODIES = 4

Publisher = Callable[[list[Event]], Awaitable[None]]


class WebhookWorker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publish: Publisher,
        sweep_interval_seconds: float = 5.0,
        first_sweep_delay_seconds: float = 0.0,
    ) -> None:
        self._session_factory = session_factory
        self._publish = publish
        self._sweep_interval = sweep_interval_seconds
        self._first_sweep_delay = first_sweep_delay_seconds
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_BODIES)

    def schedule(self, delivery_id: int) -> None:
        """Start processing an archived body in the background."""
        task = asyncio.create_task(self.process(delivery_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        """Stop sweeping and wait for the bodies being processed now."""
        if self._sweeper:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drain(self) -> None:
        """Wait until every scheduled body is processed (used by tests and the CLI)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def process(self, delivery_id: int) -> None:
        if delivery_id in self._in_flight:
            return
        self._in_flight.add(delivery_id)
        try:
            async with self._slots:
                await self._process_once(delivery_id)
        except Exception as exc:
            log.exception("webhook.processing_failed", delivery_id=delivery_id)
            try:
                await self._record_failure(delivery_id, exc)
            except Exception:
                # The body stays pending and the next sweep tries again.
                log.exception("webhook.failure_not_recorded", delivery_id=delivery_id)
        finally:
            self._in_flight.discard(delivery_id)

    async def _process_once(self, delivery_id: int) -> None:
        """Apply a body: in one transaction when small, in chunks when large.

        Every item is stored under a unique WhatsApp id, so committing a large
        body chunk by chunk and starting again after a crash gives the same
        result as one transaction, while SQLite's write lock is held only
        for one chunk at a time.
        """
        async with unit_of_work(self._session_factory) as session:
            delivery = await _claim(session, delivery_id)
            if delivery is None:
                return
            delivery.attempts += 1
            try:
                payload = parse_body(delivery.body)
            except UnreadableBodyError as exc:
                delivery.state = DELIVERY_FAILED
                delivery.last_error = str(exc)[:2000]
                log.warning("webhook.unreadable_body", delivery_id=delivery_id)
                return
            received_at = delivery.received_at
            items = plan_payload(payload, received_at)
            if len(items) <= CHUNK_SIZE:
                try:
                    async with session.begin_nested():
                        events = await apply_items(session, items)
                except Exception:
                    log.warning("webhook.batch_failed", delivery_id=delivery_id)
                else:
                    _mark_processed(delivery, skipped=[])
                    WEBHOOK_PROCESSING_LAG.observe(_lag(delivery))
                    await session.commit()
                    await self._publish(events)
                    return
        skipped = await self._apply_in_chunks(delivery_id, items)
        async with unit_of_work(self._session_factory) as session:
            delivery = await session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                return
            _mark_processed(delivery, skipped)
        WEBHOOK_PROCESSING_LAG.observe(_lag(delivery))

    async def _apply_in_chunks(
        self, delivery_id: int, items: list[WorkItem]
    ) -> list[str]:
        """Apply items a chunk per transaction; return the items that failed alone."""
        skipped: list[str] = []
        for start in range(0, len(items), CHUNK_SIZE):
            chunk = items[start : start + CHUNK_SIZE]
            try:
                async with unit_of_work(self._session_factory) as session:
                    events = await apply_items(session, chunk)
            except Exception:
                log.warning(
                    "webhook.chunk_failed", delivery_id=delivery_id, start=start
                )
                events = []
                for item in chunk:
                    events += await self._apply_alone(delivery_id, item, skipped)
            await self._publish(events)
        return skipped

    async def _apply_alone(
        self, delivery_id: int, item: WorkItem, skipped: list[str]
    ) -> list[Event]:
        """Apply one item in its own transaction, so a bad item cannot sink the rest."""
        try:
            async with unit_of_work(self._session_factory) as session:
                return await apply_items(session, [item])
        except Exception:
            log.exception(
                "webhook.item_failed", delivery_id=delivery_id, item=item.label
            )
            skipped.append(item.label)
            return []

    async def _record_failure(self, delivery_id: int, exc: Exception) -> None:
        async with unit_of_work(self._session_factory) as session:
            delivery = await session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                return
            delivery.attempts += 1
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = DELIVERY_FAILED

    async def sweep(self) -> int:
        """Process every pending body and apply late statuses; return bodies handled."""
        async with self._session_factory() as session:
            ids = list(
                (
                    await session.execute(
                        select(WebhookDelivery.id)
                        .where(WebhookDelivery.state == DELIVERY_PENDING)
                        .order_by(WebhookDelivery.id)
                        .limit(1000)
                    )
                ).scalars()
            )
        for delivery_id in ids:
            await self.process(delivery_id)
        await self._apply_late_statuses()
        return len(ids)

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


def _mark_processed(delivery: WebhookDelivery, skipped: list[str]) -> None:
    delivery.state = DELIVERY_PROCESSED
    delivery.processed_at = utcnow()
    delivery.last_error = (
        f"{len(skipped)} items could not be stored: {', '.join(skipped)}"[:2000]
        if skipped
        else None
    )


def _lag(delivery: WebhookDelivery) -> float:
    assert delivery.processed_at is not None
    return (delivery.processed_at - delivery.received_at).total_seconds()


async def _claim(session: AsyncSession, delivery_id: int) -> WebhookDelivery | None:
    statement = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.state == DELIVERY_PENDING
        )
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()

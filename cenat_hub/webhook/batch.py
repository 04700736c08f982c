"""Apply a batch of archived webhook bodies in one transaction.

Each body of a batch is applied inside its own savepoint, so a body that fails
rolls back alone while the others are marked processed and committed
together. Applying a body and marking it processed happen in one transaction,
so a crash leaves it pending, never half-applied. Two exceptions are applied
item by item afterwards, in short transactions: a body of more than
``CHUNK_SIZE`` items, and a body whose savepoint failed (so its good items are
stored and only the bad one is skipped). Every item is stored under a unique
WhatsApp id, so applying such a body again after a crash stores only what is
missing.

On PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP LOCKED``: a body that
another process is applying is skipped here and finished there.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cenat_hub.db.session import unit_of_work, write_turn
from cenat_hub.db.types import utcnow
from cenat_hub.events.hub import Event
from cenat_hub.messages.inbound import claims_for
from cenat_hub.models import Channel, WebhookDelivery
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
MAX_ERROR_CHARS = 2000

Publisher = Callable[[list[Event]], Awaitable[None]]


@dataclass
class _BatchResult:
    """Outcome of one batch transaction, for the steps that follow its commit."""

    events: list[Event] = field(default_factory=list)
    # (id, received_at) of the bodies applied and marked processed.
    processed: list[tuple[int, datetime]] = field(default_factory=list)
    processed_at: datetime | None = None
    # Bodies to apply item by item after the commit.
    item_by_item: list[tuple[int, list[WorkItem]]] = field(default_factory=list)
    # Attempts that failed before any item was applied: id -> (new state, error).
    failed: dict[int, tuple[str, str]] = field(default_factory=dict)


class BatchApplier:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], publish: Publisher
    ) -> None:
        self._session_factory = session_factory
        self._publish = publish

    async def apply(self, ids: list[int], *, reconnect: bool = True) -> None:
        """Apply the pending bodies among ``ids``; record failures on their bodies.

        When the batch transaction itself fails (a deadlock, a failed
        commit), nothing of it is kept and each body is tried again alone, so
        one body cannot keep the others from being stored. A batch that failed
        because its pooled connection was closed by the server is first tried
        again as it is, on a new connection.
        """
        try:
            result = await self._apply_together(ids)
        except Exception as exc:
            if reconnect and _is_disconnect(exc):
                log.warning("webhook.batch_reconnected", size=len(ids))
                await self.apply(ids, reconnect=False)
                return
            if len(ids) > 1:
                log.warning(
                    "webhook.batch_failed", size=len(ids), error=type(exc).__name__
                )
                for delivery_id in ids:
                    await self.apply([delivery_id], reconnect=False)
                return
            log.exception("webhook.processing_failed", delivery_id=ids[0])
            await self._record_failure(ids[0], exc)
            return
        for _, received_at in result.processed:
            assert result.processed_at is not None
            lag = result.processed_at - received_at
            WEBHOOK_PROCESSING_LAG.observe(lag.total_seconds())
        await self._publish(result.events)
        for delivery_id, items in result.item_by_item:
            try:
                await self._apply_item_by_item(delivery_id, items)
            except Exception as exc:
                log.exception("webhook.processing_failed", delivery_id=delivery_id)
                await self._record_failure(delivery_id, exc)

    async def _apply_together(self, ids: list[int]) -> _BatchResult:
        result = _BatchResult()
        factory = self._session_factory
        async with write_turn(factory), unit_of_work(factory) as session:
            planned = [
                (delivery, items)
                for delivery in await _claim(session, ids)
                if (items := _plan(delivery, result)) is not None
            ]
            # Two batches that lock the same leads' rows in the same order
            # wait for each other instead of deadlocking. The sort is stable,
            # so one lead's bodies keep the order in which they arrived.
            planned.sort(key=lambda pair: _lock_order(pair[1]))
            # Channels by phone number id, shared by every body of the batch.
            channels: dict[str | None, Channel | None] = {}
            for delivery, items in planned:
                await _apply_body(session, delivery, items, channels, result)
            await _record_results(session, result)
        return result

    async def _apply_item_by_item(
        self, delivery_id: int, items: list[WorkItem]
    ) -> None:
        skipped = await self._apply_in_chunks(delivery_id, items)
        async with unit_of_work(self._session_factory) as session:
            delivery = await session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                return
            _mark_processed(delivery, skipped)
        WEBHOOK_PROCESSING_LAG.observe(_lag_seconds(delivery))

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
        """Count a failed attempt; the body stays pending until ``MAX_ATTEMPTS``."""
        try:
            async with unit_of_work(self._session_factory) as session:
                delivery = await session.get(WebhookDelivery, delivery_id)
                if delivery is None:
                    return
                delivery.attempts += 1
                delivery.last_error = _describe(exc)
                if delivery.attempts >= MAX_ATTEMPTS:
                    delivery.state = DELIVERY_FAILED
        except Exception:
            # The body stays pending and the next sweep tries again.
            log.exception("webhook.failure_not_recorded", delivery_id=delivery_id)


def _plan(delivery: WebhookDelivery, result: _BatchResult) -> list[WorkItem] | None:
    """Parse a body into items, or record why it cannot be and return None."""
    try:
        return plan_payload(parse_body(delivery.body), delivery.received_at)
    except UnreadableBodyError as exc:
        log.warning("webhook.unreadable_body", delivery_id=delivery.id)
        result.failed[delivery.id] = (DELIVERY_FAILED, str(exc))
    except Exception as exc:
        log.exception("webhook.processing_failed", delivery_id=delivery.id)
        last_attempt = delivery.attempts + 1 >= MAX_ATTEMPTS
        state = DELIVERY_FAILED if last_attempt else DELIVERY_PENDING
        result.failed[delivery.id] = (state, _describe(exc))
    return None


def _lock_order(items: list[WorkItem]) -> tuple[str, str]:
    """Key of the rows that a body's first item locks: its number, then its lead or message.

    The number comes first because the message counts are kept per channel:
    two batches then reach the count rows of their channels in the same order.
    """
    if not items:
        return "", ""
    item = items[0]
    number = item.phone_number_id or ""
    if item.status is not None:
        return number, f"status {item.status.wa_message_id}"
    if item.echo_recipient is not None:
        return number, f"contact {item.echo_recipient.address or ''}"
    if item.message is not None:
        return number, f"contact {claims_for(item.message, item.profile).address or ''}"
    return number, ""


async def _apply_body(
    session: AsyncSession,
    delivery: WebhookDelivery,
    items: list[WorkItem],
    channels: dict[str | None, Channel | None],
    result: _BatchResult,
) -> None:
    if len(items) > CHUNK_SIZE:
        result.item_by_item.append((delivery.id, items))
        return
    try:
        async with session.begin_nested():
            events = await apply_items(session, items, channels)
    except Exception as exc:
        if _is_lock_conflict(exc):
            # Rolling back to the savepoint keeps the locks of the earlier
            # bodies, so the other transaction would stay blocked and the next
            # body would deadlock again: give up the whole batch instead.
            raise
        log.warning("webhook.body_failed", delivery_id=delivery.id, exc_info=True)
        # The savepoint's rollback leaves objects in the session that may
        # describe rows it removed; later bodies load what they need again.
        session.expunge_all()
        channels.clear()
        result.item_by_item.append((delivery.id, items))
        return
    result.events += events
    result.processed.append((delivery.id, delivery.received_at))


async def _claim(session: AsyncSession, ids: list[int]) -> list[WebhookDelivery]:
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.state == DELIVERY_PENDING)
        .order_by(WebhookDelivery.id)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(statement)).scalars())


async def _record_results(session: AsyncSession, result: _BatchResult) -> None:
    """Count the attempt on every claimed body; mark the applied ones processed.

    One UPDATE covers all processed bodies of the batch. A body left for
    item-by-item application stays pending until that is done.
    """
    table = WebhookDelivery
    if result.processed:
        result.processed_at = utcnow()
        await session.execute(
            update(table)
            .where(table.id.in_([delivery_id for delivery_id, _ in result.processed]))
            .values(
                state=DELIVERY_PROCESSED,
                attempts=table.attempts + 1,
                processed_at=result.processed_at,
                last_error=None,
            ),
            execution_options={"synchronize_session": False},
        )
    if result.item_by_item:
        ids = [delivery_id for delivery_id, _ in result.item_by_item]
        await session.execute(
            update(table).where(table.id.in_(ids)).values(attempts=table.attempts + 1),
            execution_options={"synchronize_session": False},
        )
    for delivery_id, (state, error) in result.failed.items():
        values: dict[str, Any] = {
            "state": state,
            "attempts": table.attempts + 1,
            "last_error": error[:MAX_ERROR_CHARS],
        }
        await session.execute(
            update(table).where(table.id == delivery_id).values(**values),
            execution_options={"synchronize_session": False},
        )


def _mark_processed(delivery: WebhookDelivery, skipped: list[str]) -> None:
    delivery.state = DELIVERY_PROCESSED
    delivery.processed_at = utcnow()
    delivery.last_error = (
        f"{len(skipped)} items could not be stored: {', '.join(skipped)}"[
            :MAX_ERROR_CHARS
        ]
        if skipped
        else None
    )


def _is_disconnect(exc: Exception) -> bool:
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


# PostgreSQL's deadlock_detected and serialization_failure.
LOCK_CONFLICT_STATES = frozenset({"40P01", "40001"})


def _is_lock_conflict(exc: Exception) -> bool:
    """Tell whether PostgreSQL aborted a statement to break a deadlock."""
    if not isinstance(exc, DBAPIError):
        return False
    for error in (exc.orig, getattr(exc.orig, "__cause__", None)):
        if getattr(error, "sqlstate", None) in LOCK_CONFLICT_STATES:
            return True
    return False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


def _lag_seconds(delivery: WebhookDelivery) -> float:
    assert delivery.processed_at is not None
    return (delivery.processed_at - delivery.received_at).total_seconds()

"""Tools over the raw webhook archive: list, reprocess and prune deliveries."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.db.types import utcnow
from cenat_hub.errors import InvalidInputError, NotFoundError
from cenat_hub.models import WebhookDelivery
from cenat_hub.models.webhook import (
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    DELIVERY_PROCESSED,
)

STATES = (DELIVERY_PENDING, DELIVERY_PROCESSED, DELIVERY_FAILED)


@dataclass
class DeliverySummary:
    id: int
    state: str
    attempts: int
    size: int
    received_at: datetime
    processed_at: datetime | None
    last_error: str | None


async def list_deliveries(
    session: AsyncSession, state: str | None, limit: int
) -> list[DeliverySummary]:
    if state is not None and state not in STATES:
        raise InvalidInputError(
            f"State {state!r} is invalid; use one of {', '.join(STATES)}."
        )
    statement = select(
        WebhookDelivery.id,
        WebhookDelivery.state,
        WebhookDelivery.attempts,
        func.length(WebhookDelivery.body),
        WebhookDelivery.received_at,
        WebhookDelivery.processed_at,
        WebhookDelivery.last_error,
    ).order_by(WebhookDelivery.id.desc())
    if state is not None:
        statement = statement.where(WebhookDelivery.state == state)
    rows = (await session.execute(statement.limit(limit))).all()
    return [DeliverySummary(*row) for row in rows]


async def mark_for_reprocessing(
    session: AsyncSession, delivery_id: int | None, include_processed: bool
) -> list[int]:
    """Put one delivery, or every failed one, back to pending; return their ids.

    Reprocessing a body that was processed already changes nothing, because
    messages and statuses are stored once by their WhatsApp ids.
    """
    states = [DELIVERY_FAILED] + ([DELIVERY_PROCESSED] if include_processed else [])
    statement = select(WebhookDelivery.id).where(WebhookDelivery.state.in_(states))
    if delivery_id is not None:
        found = await session.get(WebhookDelivery, delivery_id)
        if found is None:
            raise NotFoundError(f"Webhook delivery {delivery_id} not found.")
        if found.state == DELIVERY_PROCESSED and not include_processed:
            raise InvalidInputError(
                f"Webhook delivery {delivery_id} is already processed; "
                "pass --include-processed to process it again."
            )
        statement = statement.where(WebhookDelivery.id == delivery_id)
    ids = list((await session.execute(statement)).scalars())
    if ids:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(state=DELIVERY_PENDING, attempts=0, last_error=None)
        )
    return ids


async def prune_processed(session: AsyncSession, older_than: timedelta) -> int:
    """Delete processed deliveries received before ``older_than`` ago; return how many."""
    if older_than < timedelta(days=1):
        raise InvalidInputError(
            "Pruning keeps at least one day of deliveries; use 1 day or more."
        )
    cutoff = utcnow() - older_than
    result = await session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.state == DELIVERY_PROCESSED,
            WebhookDelivery.received_at < cutoff,
        )
    )
    return result.rowcount or 0

"""The funnel as it was computed before ``contacts.reached_statuses`` existed.

``old_statuses_reached`` is the former dashboard query, which read every
cohort lead's status events on each call. ``recomputed_reached`` derives the
reached bits of every contact from its current status and its events in
Python. The tests hold the stored column and the new query to both.
"""

from sqlalchemy import and_, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import channel_clause
from cenat_hub.dashboard.period import Period
from cenat_hub.dashboard.queries import EVENT_STATUS_CHANGED
from cenat_hub.models import Contact, LeadEvent
from cenat_hub.models.contact import NOVO_BIT, status_bit


async def old_statuses_reached(
    session: AsyncSession, scope: set[int] | None, period: Period
) -> tuple[int, dict[str, int]]:
    cohort = and_(
        channel_clause(Contact.channel_id, scope),
        Contact.created_at >= period.starts_at,
        Contact.created_at <= period.now,
    )
    cohort_size = (
        await session.execute(select(func.count(Contact.id)).where(cohort))
    ).scalar_one()
    event_status = LeadEvent.new_value["lead_status"].as_string()
    reached = union(
        select(
            Contact.id.label("contact_id"), Contact.lead_status.label("status")
        ).where(cohort),
        select(LeadEvent.contact_id, event_status)
        .join(Contact, Contact.id == LeadEvent.contact_id)
        .where(
            cohort, LeadEvent.kind == EVENT_STATUS_CHANGED, event_status.is_not(None)
        ),
    ).subquery("reached")
    statement = select(reached.c.status, func.count()).group_by(reached.c.status)
    counts = {
        status: count for status, count in (await session.execute(statement)).all()
    }
    return cohort_size, counts


async def recomputed_reached(session: AsyncSession) -> dict[int, int]:
    """Return each contact's reached bits, derived from its status and events."""
    rows = await session.execute(select(Contact.id, Contact.lead_status))
    reached = {contact_id: NOVO_BIT | status_bit(status) for contact_id, status in rows}
    events = await session.execute(
        select(LeadEvent.contact_id, LeadEvent.new_value).where(
            LeadEvent.kind == EVENT_STATUS_CHANGED
        )
    )
    for contact_id, value in events:
        if isinstance(value, dict):
            reached[contact_id] |= status_bit(value.get("lead_status"))
    return reached


async def stored_reached(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(select(Contact.id, Contact.reached_statuses))
    return {contact_id: bits for contact_id, bits in rows}

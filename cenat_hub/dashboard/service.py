"""Assemble the dashboard figures for one user, channel filter and period."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import ensure_channel_visible
from cenat_hub.dashboard import queries
from cenat_hub.dashboard.period import Period, build_period
from cenat_hub.dashboard.response_times import (
    DIMENSION_AGENT,
    DIMENSION_ALL,
    DIMENSION_CHANNEL,
    ResponseTimes,
    first_response_times,
)
from cenat_hub.dashboard.schemas import (
    DailyActivity,
    DashboardStats,
    FirstResponse,
    FunnelStep,
    LostReasonCount,
    PeriodOut,
    ResponseTimeOut,
    StatusCount,
    Waiting,
    WaitingConversation,
)
from cenat_hub.models import Channel, User
from cenat_hub.models.contact import LEAD_STATUSES

# The pipeline in order; "perdido" can follow any step and is reported apart.
PIPELINE = ("novo", "contato", "qualificado", "matriculado")


def figure_scope(visible: set[int] | None, channel_id: int | None) -> set[int] | None:
    """Return the channels a figure covers: the filter, within what the user sees."""
    if channel_id is None:
        return visible
    ensure_channel_visible(visible, channel_id)
    return {channel_id}


async def dashboard_stats(
    session: AsyncSession,
    *,
    visible: set[int] | None,
    channel_id: int | None,
    days: int,
    timezone: str,
    now: datetime,
) -> DashboardStats:
    period = build_period(days, timezone, now)
    scope = figure_scope(visible, channel_id)
    sent, received = await queries.count_messages(session, scope, period)
    cohort_size, reached = await queries.statuses_reached(session, scope, period)
    return DashboardStats(
        period=PeriodOut(
            days=days,
            timezone=timezone,
            first_day=period.days[0].date,
            last_day=period.days[-1].date,
            starts_at=period.starts_at,
        ),
        channel_id=channel_id,
        generated_at=now,
        active_conversations=await queries.count_active_conversations(
            session, scope, now
        ),
        new_leads_24h=await queries.count_new_leads(
            session, scope, now - queries.LAST_24_HOURS
        ),
        messages_sent=sent,
        messages_received=received,
        leads_by_status=await _leads_by_status(session, scope),
        funnel_leads=cohort_size,
        funnel=_funnel(cohort_size, reached),
        lost_reasons=[
            LostReasonCount(reason_id=reason_id, name=name, count=count)
            for reason_id, name, count in await queries.lost_reasons(
                session, scope, period
            )
        ],
        first_response=await _first_response(session, scope, period),
        waiting=await _waiting(session, scope, now),
        daily=await _daily(session, scope, period),
    )


async def _leads_by_status(
    session: AsyncSession, scope: set[int] | None
) -> list[StatusCount]:
    counts = await queries.leads_by_status(session, scope)
    known = [
        StatusCount(status=status, count=counts.get(status, 0))
        for status in LEAD_STATUSES
    ]
    other = [
        StatusCount(status=status, count=count)
        for status, count in sorted(counts.items())
        if status not in LEAD_STATUSES
    ]
    return known + other


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _funnel(cohort_size: int, reached: dict[str, int]) -> list[FunnelStep]:
    """Turn reached counts into pipeline steps; every lead reached ``novo``."""
    counts = {**reached, "novo": cohort_size}
    steps = []
    previous: int | None = None
    for status in PIPELINE:
        count = counts.get(status, 0)
        steps.append(
            FunnelStep(
                status=status,
                reached=count,
                share_of_leads=_ratio(count, cohort_size),
                rate_from_previous=_ratio(count, previous)
                if previous is not None
                else None,
            )
        )
        previous = count
    lost = counts.get(queries.STATUS_LOST, 0)
    steps.append(
        FunnelStep(
            status=queries.STATUS_LOST,
            reached=lost,
            share_of_leads=_ratio(lost, cohort_size),
            rate_from_previous=None,
        )
    )
    return steps


async def _first_response(
    session: AsyncSession, scope: set[int] | None, period: Period
) -> FirstResponse:
    rows = await first_response_times(session, scope, period)
    by_dimension: dict[str, list[ResponseTimes]] = {}
    for row in rows:
        by_dimension.setdefault(row.dimension, []).append(row)
    overall = by_dimension.get(DIMENSION_ALL, [])
    agent_names = await _names(
        session, User, [r.key for r in by_dimension.get(DIMENSION_AGENT, [])]
    )
    channel_names = await _names(
        session, Channel, [r.key for r in by_dimension.get(DIMENSION_CHANNEL, [])]
    )
    return FirstResponse(
        overall=_response_out(overall[0])
        if overall
        else ResponseTimeOut(count=0, median_seconds=None, p90_seconds=None),
        by_agent=_sorted_outs(by_dimension.get(DIMENSION_AGENT, []), agent_names),
        by_channel=_sorted_outs(by_dimension.get(DIMENSION_CHANNEL, []), channel_names),
    )


def _response_out(row: ResponseTimes, name: str | None = None) -> ResponseTimeOut:
    return ResponseTimeOut(
        id=row.key if row.dimension != DIMENSION_ALL else None,
        name=name,
        count=row.count,
        median_seconds=row.median_seconds,
        p90_seconds=row.p90_seconds,
    )


def _sorted_outs(
    rows: list[ResponseTimes], names: dict[int, str]
) -> list[ResponseTimeOut]:
    outs = [_response_out(row, names.get(row.key)) for row in rows]
    return sorted(outs, key=lambda out: ((out.name or "").lower(), out.id or 0))


async def _names(
    session: AsyncSession, model: type[User] | type[Channel], ids: list[int]
) -> dict[int, str]:
    if not ids:
        return {}
    statement = select(model.id, model.name).where(model.id.in_(ids))
    return {row_id: name for row_id, name in (await session.execute(statement)).all()}


async def _waiting(
    session: AsyncSession, scope: set[int] | None, now: datetime
) -> Waiting:
    buckets = await queries.waiting_buckets(session, scope, now)
    longest = [
        WaitingConversation(
            conversation_id=conversation_id,
            contact_name=name,
            wa_id=wa_id,
            channel_name=channel_name,
            waiting_since=since,
            wait_seconds=max(0, int((now - since).total_seconds())),
        )
        for conversation_id, name, wa_id, channel_name, since in await queries.longest_waiting(
            session, scope
        )
    ]
    return Waiting(
        count=sum(buckets.values()),
        longest_wait_seconds=longest[0].wait_seconds if longest else None,
        buckets=buckets,
        longest=longest,
    )


async def _daily(
    session: AsyncSession, scope: set[int] | None, period: Period
) -> list[DailyActivity]:
    messages = await queries.daily_messages(session, scope, period)
    leads = await queries.daily_new_leads(session, scope, period)
    activity = []
    for day in period.days:
        key = day.date.isoformat()
        received, sent = messages.get(key, (0, 0))
        activity.append(
            DailyActivity(
                date=day.date,
                messages_in=received,
                messages_out=sent,
                new_leads=leads.get(key, 0),
            )
        )
    return activity

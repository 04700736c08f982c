"""First-response times: how long leads wait for an agent, as medians and p90s.

A lead starts waiting with an inbound message that follows an agent's
message (or opens the conversation), and stops waiting at the next message an
agent sends. Inbound messages in between do not restart the wait. Messages
sent without an agent (from the WhatsApp Business app, say), failed sends and
reactions are left out of the sequence. A wait belongs to the period in which
it started.

The waits are not recomputed here: ``cenat_hub.conversations.waits`` stores
one ``response_waits`` row per answered wait as messages arrive, and this
module only takes the percentiles of the rows of the period.

The percentiles are continuous (linear interpolation between the two nearest
ranks), as PostgreSQL's ``percentile_cont`` computes them. SQLite has no such
aggregate, so there the same value comes from a window-function query that
numbers the rows of each group.
"""

from dataclasses import dataclass

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Integer,
    Subquery,
    case,
    cast,
    func,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import channel_clause
from cenat_hub.dashboard.period import Period
from cenat_hub.models import ResponseWait

MEDIAN = 0.5
P90 = 0.9
DIMENSION_ALL = "all"
DIMENSION_AGENT = "agent"
DIMENSION_CHANNEL = "channel"


@dataclass(frozen=True)
class ResponseTimes:
    """Answered waits of one group and their median and 90th percentile in seconds."""

    dimension: str
    key: int
    count: int
    median_seconds: float
    p90_seconds: float


def _responses(scope: set[int] | None, period: Period) -> CTE:
    """Select channel, agent and seconds of each answered wait that began in the period.

    A CTE, not a subquery: the grouping reads it three times, and both
    databases compute a CTE read more than once a single time.
    """
    return (
        select(
            ResponseWait.channel_id,
            ResponseWait.agent_id,
            cast(ResponseWait.seconds, Float).label("seconds"),
        )
        .where(
            channel_clause(ResponseWait.channel_id, scope),
            ResponseWait.started_at >= period.starts_at,
            ResponseWait.started_at <= period.now,
        )
        .cte("responses")
    )


def _grouped(responses: CTE) -> Subquery:
    """Label each answered wait three times: overall, by agent and by channel."""
    return union_all(
        select(
            literal(DIMENSION_ALL).label("dimension"),
            literal(0).label("key"),
            responses.c.seconds,
        ),
        select(literal(DIMENSION_AGENT), responses.c.agent_id, responses.c.seconds),
        select(literal(DIMENSION_CHANNEL), responses.c.channel_id, responses.c.seconds),
    ).subquery("grouped")


# GROUPING(agent_id, channel_id) of each grouping set: a bit is 1 for a
# column the set does not group by.
_DIMENSION_OF_GROUPING = {
    0b11: DIMENSION_ALL,
    0b01: DIMENSION_AGENT,
    0b10: DIMENSION_CHANNEL,
}


async def _percentile_cont(
    session: AsyncSession, responses: CTE
) -> list[ResponseTimes]:
    """Compute the percentiles with PostgreSQL's ordered-set aggregate.

    GROUPING SETS groups the waits overall, by agent and by channel in one
    statement, and one ``percentile_cont`` over both fractions sorts each
    group once. On 335,000 waits (PostgreSQL 15, two busy CPUs) this took
    0.3 s, where grouping the three-way UNION ALL of ``_grouped`` took 1.1 s.
    """
    agent = responses.c.agent_id
    channel = responses.c.channel_id
    fractions = postgresql.array([MEDIAN, P90])
    statement = select(
        func.grouping(agent, channel),
        agent,
        channel,
        func.count(),
        func.percentile_cont(fractions).within_group(responses.c.seconds),
    ).group_by(func.grouping_sets(tuple_(), tuple_(agent), tuple_(channel)))
    results = []
    for grouping, agent_id, channel_id, count, percentiles in (
        await session.execute(statement)
    ).all():
        if count == 0:
            # The overall set yields a row even when no wait is in the period.
            continue
        dimension = _DIMENSION_OF_GROUPING[grouping]
        key = {
            DIMENSION_ALL: 0,
            DIMENSION_AGENT: agent_id,
            DIMENSION_CHANNEL: channel_id,
        }[dimension]
        median, p90 = percentiles
        results.append(ResponseTimes(dimension, key, count, median, p90))
    return results


def _floor(dialect: str, value: ColumnElement[float]) -> ColumnElement[int]:
    if dialect == "postgresql":
        # PostgreSQL rounds when it casts a float to an integer.
        return cast(func.floor(value), Integer)
    # SQLite truncates, which is the floor for the positions here (never negative).
    return cast(value, Integer)


def _interpolated(
    dialect: str,
    fraction: float,
    rank: ColumnElement[int],
    count: ColumnElement[int],
    seconds: ColumnElement[float],
) -> ColumnElement[float]:
    """Interpolate the ``fraction`` percentile inside a GROUP BY over ranked rows.

    With 0-based position ``fraction * (count - 1)``, the value is the row at
    its floor plus the fractional part times the step to the next row.
    """
    position = literal(fraction, Float) * (count - 1)
    lower = _floor(dialect, position)
    upper = case((position > lower, lower + 1), else_=lower)
    lower_value = func.max(case((rank == lower + 1, seconds)))
    upper_value = func.max(case((rank == upper + 1, seconds)))
    step = func.max(position - lower)
    return lower_value + step * (upper_value - lower_value)


async def _window_percentiles(
    session: AsyncSession, dialect: str, grouped: Subquery
) -> list[ResponseTimes]:
    """Compute the same percentiles with ROW_NUMBER and COUNT window functions."""
    partition = (grouped.c.dimension, grouped.c.key)
    ranked = select(
        grouped.c.dimension,
        grouped.c.key,
        grouped.c.seconds,
        func.row_number()
        .over(partition_by=partition, order_by=grouped.c.seconds)
        .label("rank"),
        func.count().over(partition_by=partition).label("total"),
    ).subquery("ranked")
    statement = select(
        ranked.c.dimension,
        ranked.c.key,
        func.max(ranked.c.total),
        _interpolated(dialect, MEDIAN, ranked.c.rank, ranked.c.total, ranked.c.seconds),
        _interpolated(dialect, P90, ranked.c.rank, ranked.c.total, ranked.c.seconds),
    ).group_by(ranked.c.dimension, ranked.c.key)
    return [ResponseTimes(*row) for row in (await session.execute(statement)).all()]


async def first_response_times(
    session: AsyncSession,
    scope: set[int] | None,
    period: Period,
    *,
    use_window_functions: bool | None = None,
) -> list[ResponseTimes]:
    """Return response times overall, per agent and per channel for waits in the period.

    ``use_window_functions`` forces one implementation; by default PostgreSQL
    uses ``percentile_cont`` and SQLite the window-function query.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    responses = _responses(scope, period)
    if use_window_functions is None:
        use_window_functions = dialect != "postgresql"
    if use_window_functions:
        rows = await _window_percentiles(session, dialect, _grouped(responses))
    else:
        rows = await _percentile_cont(session, responses)
    return [
        ResponseTimes(
            dimension=row.dimension,
            key=int(row.key),
            count=int(row.count),
            median_seconds=round(float(row.median_seconds), 1),
            p90_seconds=round(float(row.p90_seconds), 1),
        )
        for row in rows
        if row.key is not None
    ]

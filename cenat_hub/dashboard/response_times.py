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
ranks), as PostgreSQL's ``percentile_cont`` computes them, and exact. They are
found in two statements on both databases: one counts the period's waits per
logarithmic bucket of seconds, which tells in which bucket each needed rank
lies, and one sorts the waits of those few buckets only. Sorting all the
waits three times, as ``percentile_cont`` over grouping sets (PostgreSQL) or
a window-function query (SQLite) do, took most of the 90-day dashboard; both
remain as references.
"""

import math
from dataclasses import dataclass

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Integer,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import channel_clause
from cenat_hub.dashboard.period import Period
from cenat_hub.db.types import UTCDateTime
from cenat_hub.models import ResponseWait

MEDIAN = 0.5
P90 = 0.9
DIMENSION_ALL = "all"
DIMENSION_AGENT = "agent"
DIMENSION_CHANNEL = "channel"
METHOD_BUCKETS = "buckets"
METHOD_WINDOW = "window"
METHOD_PERCENTILE_CONT = "percentile_cont"


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


# Buckets per unit of ln(seconds): bucket b >= 1 contains the waits from
# exp((b - 1) / K) to exp(b / K) seconds, 6.5 % wide for K = 16, and bucket 0
# contains the waits shorter than one second. More buckets make the first
# statement's aggregate larger and the second statement's sort smaller; 16
# and 32 took about the same time at 90 days, 16 less at 7 days.
BUCKETS_PER_UNIT = 16

# A group's dimension and key, and the bucket of one of its waits.
GroupBucket = tuple[str, int, int]


def _bucket(dialect: str, seconds: ColumnElement[int]) -> ColumnElement[int]:
    """Number the logarithmic bucket of a wait; a longer wait never gets a lower one."""
    # SQLite builds without math functions get ln() from
    # cenat_hub.db.session.provide_math_functions.
    scaled = func.ln(cast(seconds, Float)) * literal(BUCKETS_PER_UNIT, Float)
    return case((seconds > 0, _floor(dialect, scaled) + 1), else_=0)


def _bucket_bounds(bucket: int) -> tuple[int | None, int]:
    """Return whole seconds surely covering ``bucket``, a little wider on each side.

    The bucket of each wait is the database's; these bounds only narrow the
    rows read, so their margin absorbs rounding differences in the logarithm.
    """
    if bucket == 0:
        return None, 1
    low = math.floor(math.exp((bucket - 1) / BUCKETS_PER_UNIT)) - 1
    high = math.ceil(math.exp(bucket / BUCKETS_PER_UNIT)) + 1
    return max(low, 1), high


def _positions(count: int) -> list[tuple[int, int, float]]:
    """Return the 0-based ranks around the median's and p90's positions and their step.

    As ``percentile_cont``: position ``fraction * (count - 1)`` in doubles,
    the ranks its floor and ceiling.
    """
    positions = []
    for fraction in (MEDIAN, P90):
        position = fraction * (count - 1)
        lower = math.floor(position)
        positions.append((lower, math.ceil(position), position - lower))
    return positions


def _in_period(
    scope: set[int] | None, period: Period, *, inline: bool = False
) -> list[ColumnElement[bool]]:
    """Keep the waits of the visible channels that started in the period.

    ``inline`` writes the bounds into the statement instead of sending them
    as parameters.
    """
    starts_at = bindparam(None, period.starts_at, UTCDateTime, literal_execute=inline)
    now = bindparam(None, period.now, UTCDateTime, literal_execute=inline)
    return [
        channel_clause(ResponseWait.channel_id, scope),
        ResponseWait.started_at >= starts_at,
        ResponseWait.started_at <= now,
    ]


def _three_ways(cte: CTE, *columns: str) -> Subquery:
    """Label each row of ``cte`` three times: overall, by agent and by channel."""
    selected = [cte.c[name] for name in columns]
    return union_all(
        select(
            literal(DIMENSION_ALL).label("dimension"),
            literal(0).label("key"),
            *selected,
        ),
        select(literal(DIMENSION_AGENT), cte.c.agent_id, *selected).where(
            cte.c.agent_id.is_not(None)
        ),
        select(literal(DIMENSION_CHANNEL), cte.c.channel_id, *selected),
    ).subquery("three_ways")


async def _bucket_counts(
    session: AsyncSession, dialect: str, scope: set[int] | None, period: Period
) -> dict[GroupBucket, tuple[int, int, int]]:
    """Count the waits of each group per bucket; keep the buckets near a percentile.

    The period's rows are counted per agent, channel and bucket in one hash
    aggregate, without a sort; the three groupings add those few counts up.
    Returns, for each bucket that may hold a needed rank, the waits in it,
    the waits up to its end and the group's total.
    """
    bucket = _bucket(dialect, ResponseWait.seconds)
    cells = (
        select(
            ResponseWait.agent_id,
            ResponseWait.channel_id,
            bucket.label("bucket"),
            func.count().label("waits"),
        )
        .where(*_in_period(scope, period))
        .group_by(ResponseWait.agent_id, ResponseWait.channel_id, bucket)
        .cte("cells")
    )
    grouped = _three_ways(cells, "bucket", "waits")
    summed = (
        select(
            grouped.c.dimension,
            grouped.c.key,
            grouped.c.bucket,
            func.sum(grouped.c.waits).label("waits"),
        )
        .group_by(grouped.c.dimension, grouped.c.key, grouped.c.bucket)
        .subquery("summed")
    )
    group = (summed.c.dimension, summed.c.key)
    counted = select(
        *summed.c,
        func.sum(summed.c.waits)
        .over(partition_by=group, order_by=summed.c.bucket)
        .label("through"),
        func.sum(summed.c.waits).over(partition_by=group).label("total"),
    ).subquery("counted")
    # A bucket of ranks (through - waits) to (through - 1) that meets
    # position - 1 to position + 1 contains the floor or the ceiling of the
    # position. The margin leaves the exact rounding to Python.
    near = []
    for fraction in (MEDIAN, P90):
        position = literal(fraction, Float) * (counted.c.total - 1)
        near.append(
            and_(
                counted.c.through >= position,
                counted.c.through - counted.c.waits <= position + 1,
            )
        )
    statement = select(
        counted.c.dimension,
        counted.c.key,
        counted.c.bucket,
        counted.c.waits,
        counted.c.through,
        counted.c.total,
    ).where(or_(*near))
    return {
        (dimension, int(key), bucket): (int(waits), int(through), int(total))
        for dimension, key, bucket, waits, through, total in (
            await session.execute(statement)
        ).all()
    }


async def _values_at(
    session: AsyncSession,
    dialect: str,
    scope: set[int] | None,
    period: Period,
    wanted: set[tuple[str, int, int, int]],
) -> dict[tuple[str, int, int, int], int]:
    """Return the wait at each (dimension, key, bucket, 0-based rank in the bucket).

    Reads only the waits whose seconds fall near the wanted buckets, and
    sorts only those.
    """
    buckets = sorted({bucket for _, _, bucket, _ in wanted})
    # After five runs of a prepared statement PostgreSQL may keep a generic
    # plan, made without the parameters' values. Here that plan reads the
    # whole period through ix_response_waits_started_at (120 to 140 ms at 90
    # days) instead of the ranges of seconds through ix_response_waits_seconds
    # (25 to 50 ms). Values written into the text are planned for.
    inline = dialect == "postgresql"
    ranges = []
    for bucket in buckets:
        low, high = _bucket_bounds(bucket)
        seconds = ResponseWait.seconds
        high_value = bindparam(None, high, Integer, literal_execute=inline)
        if low is None:
            ranges.append(seconds <= high_value)
        else:
            low_value = bindparam(None, low, Integer, literal_execute=inline)
            ranges.append(seconds.between(low_value, high_value))
    near = (
        select(
            ResponseWait.agent_id,
            ResponseWait.channel_id,
            ResponseWait.seconds,
            _bucket(dialect, ResponseWait.seconds).label("bucket"),
        )
        .where(*_in_period(scope, period, inline=inline), or_(*ranges))
        .cte("near")
    )
    grouped = _three_ways(near, "bucket", "seconds")
    group_buckets = {(dimension, key, bucket) for dimension, key, bucket, _ in wanted}
    ranked = (
        select(
            grouped.c.dimension,
            grouped.c.key,
            grouped.c.bucket,
            grouped.c.seconds,
            (
                func.row_number().over(
                    partition_by=(grouped.c.dimension, grouped.c.key, grouped.c.bucket),
                    order_by=grouped.c.seconds,
                )
                - 1
            ).label("rank"),
        )
        .where(
            or_(
                *(
                    and_(
                        grouped.c.dimension == dimension,
                        grouped.c.key == key,
                        grouped.c.bucket == bucket,
                    )
                    for dimension, key, bucket in sorted(group_buckets)
                )
            )
        )
        .subquery("ranked")
    )
    statement = select(
        ranked.c.dimension,
        ranked.c.key,
        ranked.c.bucket,
        ranked.c.rank,
        ranked.c.seconds,
    ).where(ranked.c.rank.in_(sorted({rank for *_, rank in wanted})))
    values = {
        (dimension, int(key), bucket, rank): seconds
        for dimension, key, bucket, rank, seconds in (
            await session.execute(statement)
        ).all()
    }
    return {target: values[target] for target in wanted}


async def _bucketed_percentiles(
    session: AsyncSession, dialect: str, scope: set[int] | None, period: Period
) -> list[ResponseTimes]:
    """Compute exact percentiles from bucket counts and the waits of a few buckets.

    The first statement's counts locate each needed rank of each group in a
    bucket. The second sorts the waits of those buckets only and returns
    the waits at those ranks.
    """
    counts = await _bucket_counts(session, dialect, scope, period)
    buckets_of_group: dict[tuple[str, int], list[int]] = {}
    totals: dict[tuple[str, int], int] = {}
    for (dimension, key, bucket), (_, _, total) in counts.items():
        buckets_of_group.setdefault((dimension, key), []).append(bucket)
        totals[(dimension, key)] = total

    def locate(dimension: str, key: int, rank: int) -> tuple[str, int, int, int]:
        for bucket in buckets_of_group[(dimension, key)]:
            waits, through, _ = counts[(dimension, key, bucket)]
            if through - waits <= rank < through:
                return dimension, key, bucket, rank - (through - waits)
        raise LookupError(f"Rank {rank} of {dimension} {key} not found in any bucket.")

    located = {
        group: [
            (locate(*group, lower), locate(*group, upper), step)
            for lower, upper, step in _positions(total)
        ]
        for group, total in totals.items()
    }
    wanted = {
        target
        for positions in located.values()
        for lower, upper, _ in positions
        for target in (lower, upper)
    }
    values = await _values_at(session, dialect, scope, period, wanted) if wanted else {}

    results = []
    for (dimension, key), positions in located.items():
        percentiles = []
        for lower, upper, step in positions:
            low_value = float(values[lower])
            high_value = float(values[upper])
            # percentile_cont's interpolation, operation for operation.
            percentiles.append(low_value + step * (high_value - low_value))
        results.append(
            ResponseTimes(dimension, key, totals[(dimension, key)], *percentiles)
        )
    return results


async def first_response_times(
    session: AsyncSession,
    scope: set[int] | None,
    period: Period,
    *,
    method: str = METHOD_BUCKETS,
) -> list[ResponseTimes]:
    """Return response times overall, per agent and per channel for waits in the period.

    ``method`` picks the implementation; all give the same figures.
    ``percentile_cont`` exists only on PostgreSQL, and the window-function
    query sorts every group, so both serve as references.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if method == METHOD_BUCKETS:
        rows = await _bucketed_percentiles(session, dialect, scope, period)
    elif method == METHOD_WINDOW:
        responses = _responses(scope, period)
        rows = await _window_percentiles(session, dialect, _grouped(responses))
    elif method == METHOD_PERCENTILE_CONT:
        rows = await _percentile_cont(session, _responses(scope, period))
    else:
        raise ValueError(f"Unknown percentile method {method!r}.")
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

"""The bucketed percentiles equal percentile_cont's on awkward groups of waits.

The waits go straight into ``response_waits``, so each group contains exactly
the seconds a case needs. Every result is checked against a plain Python
computation of the continuous percentile and against the window-function
query (and ``percentile_cont`` on PostgreSQL).
"""

import math
import random
from datetime import timedelta

import pytest

from cenat_hub.dashboard import response_times
from cenat_hub.dashboard.period import build_period
from cenat_hub.dashboard.response_times import (
    BUCKETS_PER_UNIT,
    DIMENSION_AGENT,
    DIMENSION_ALL,
    DIMENSION_CHANNEL,
    METHOD_BUCKETS,
    METHOD_PERCENTILE_CONT,
    METHOD_WINDOW,
    ResponseTimes,
    first_response_times,
)
from cenat_hub.db.session import unit_of_work
from cenat_hub.models import ResponseWait
from cenat_hub.web.state import AppState
from tests.dashboard.dataset import NOW, Builder

SAO_PAULO = "America/Sao_Paulo"
LARGEST = 2_147_483_647


def _bucket(seconds: int) -> int:
    """The bucket the database gives a wait, as Python computes it."""
    if seconds <= 0:
        return 0
    return math.floor(math.log(seconds) * BUCKETS_PER_UNIT) + 1


def _continuous(values: list[int], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    low, high = float(ordered[lower]), float(ordered[math.ceil(position)])
    return round(low + (position - lower) * (high - low), 1)


def _expected(groups: dict[tuple[str, int], list[int]]) -> list[ResponseTimes]:
    return sorted(
        (
            ResponseTimes(
                dimension,
                key,
                len(values),
                _continuous(values, 0.5),
                _continuous(values, 0.9),
            )
            for (dimension, key), values in groups.items()
        ),
        key=repr,
    )


class Waits:
    """Agents and channels with waits of chosen seconds in the last 30 days."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.rows: list[tuple[int, int | None, int]] = []
        self.channels: list[int] = []
        self.conversations: dict[int, int] = {}

    async def setup(self, channels: int) -> None:
        async with unit_of_work(self.state.session_factory) as session:
            make = Builder(session)
            for number in range(channels):
                channel = await make.channel(
                    f"Canal {number}", f"1000000000001{number:02d}"
                )
                contact = await make.contact(
                    f"55119000000{number + 1:02d}", channel, "2026-03-01 12:00"
                )
                conversation = await make.conversation(
                    contact,
                    channel,
                    [("2026-03-01 12:00", "inbound", None, "received")],
                )
                self.channels.append(channel.id)
                self.conversations[channel.id] = conversation.id

    async def agents(self, count: int) -> list[int]:
        async with unit_of_work(self.state.session_factory) as session:
            make = Builder(session)
            start = len(self.rows) + 1000
            return [
                (await make.user(f"Atendente {n}", f"agente{n}@teste.invalid")).id
                for n in range(start, start + count)
            ]

    async def add(
        self,
        channel_id: int,
        agent_id: int | None,
        seconds: list[int],
        *,
        days_ago: float = 1,
    ) -> None:
        async with unit_of_work(self.state.session_factory) as session:
            started = NOW - timedelta(days=days_ago)
            for value in seconds:
                session.add(
                    ResponseWait(
                        conversation_id=self.conversations[channel_id],
                        channel_id=channel_id,
                        agent_id=agent_id,
                        started_at=started,
                        answered_at=started + timedelta(seconds=min(value, 10**8)),
                        seconds=value,
                    )
                )
        if days_ago < 30:
            self.rows.extend((channel_id, agent_id, value) for value in seconds)

    def groups(self, scope: set[int] | None = None) -> dict[tuple[str, int], list[int]]:
        groups: dict[tuple[str, int], list[int]] = {}
        for channel_id, agent_id, value in self.rows:
            if scope is not None and channel_id not in scope:
                continue
            groups.setdefault((DIMENSION_ALL, 0), []).append(value)
            groups.setdefault((DIMENSION_CHANNEL, channel_id), []).append(value)
            if agent_id is not None:
                groups.setdefault((DIMENSION_AGENT, agent_id), []).append(value)
        return groups

    async def check(self, scope: set[int] | None = None) -> list[ResponseTimes]:
        """Assert that every method gives the expected figures; return them."""
        period = build_period(30, SAO_PAULO, NOW)
        expected = _expected(self.groups(scope))
        async with self.state.session_factory() as session:
            methods = [METHOD_BUCKETS, METHOD_WINDOW]
            if session.bind.dialect.name == "postgresql":
                methods.append(METHOD_PERCENTILE_CONT)
            for method in methods:
                rows = await first_response_times(session, scope, period, method=method)
                assert sorted(rows, key=repr) == expected, method
        return expected


@pytest.fixture
async def waits(state: AppState) -> Waits:
    waits = Waits(state)
    await waits.setup(channels=2)
    return waits


async def test_small_groups_and_equal_values(waits: Waits) -> None:
    one, two, equal, zeros, large = await waits.agents(5)
    first, second = waits.channels
    await waits.add(first, one, [7])
    await waits.add(first, two, [0, 5])
    await waits.add(second, equal, [60] * 40 + [59, 61])
    await waits.add(second, zeros, [0] * 9 + [1])
    await waits.add(first, large, [LARGEST, LARGEST - 1, 1_000_000_000, 3])
    # Outside the period: counted nowhere.
    await waits.add(first, one, [1, 2, 3], days_ago=45)

    figures = {(row.dimension, row.key): row for row in await waits.check()}

    assert figures[(DIMENSION_AGENT, one)] == ResponseTimes(
        DIMENSION_AGENT, one, 1, 7.0, 7.0
    )
    assert figures[(DIMENSION_AGENT, two)].median_seconds == 2.5
    assert figures[(DIMENSION_AGENT, two)].p90_seconds == 4.5
    assert figures[(DIMENSION_AGENT, equal)].median_seconds == 60.0
    assert figures[(DIMENSION_AGENT, zeros)].median_seconds == 0.0
    assert figures[(DIMENSION_AGENT, zeros)].p90_seconds == 0.1
    assert figures[(DIMENSION_AGENT, large)].p90_seconds == 2147483646.7


async def test_waits_without_agent(waits: Waits) -> None:
    (agent,) = await waits.agents(1)
    first, second = waits.channels
    await waits.add(first, None, [10, 20, 30, 40, 50])
    await waits.add(second, None, [1000])
    await waits.add(second, agent, [5, 15])

    figures = await waits.check()

    assert [row.key for row in figures if row.dimension == DIMENSION_AGENT] == [agent]
    overall = next(row for row in figures if row.dimension == DIMENSION_ALL)
    assert overall.count == 8


async def test_ranks_across_bucket_boundary(waits: Waits) -> None:
    """The two ranks around a position lie in different buckets."""
    below, above = await waits.agents(2)
    first, _ = waits.channels
    # Bucket b starts at the smallest whole second s with floor(ln s * K) = b - 1.
    boundary = math.ceil(math.exp(100 / BUCKETS_PER_UNIT))
    while _bucket(boundary - 1) == _bucket(boundary):
        boundary += 1
    assert _bucket(boundary - 1) + 1 == _bucket(boundary)
    # Ten waits: the median sits between ranks 4 and 5 (0-based), the p90
    # between ranks 8 and 9.
    values = [boundary - 1] * 5 + [boundary] * 5
    await waits.add(first, below, values)
    await waits.add(first, above, [1, 2, 3, 4, 5, 6, 7, 8, boundary - 1, boundary])

    figures = {(row.dimension, row.key): row for row in await waits.check()}

    assert figures[(DIMENSION_AGENT, below)].median_seconds == boundary - 0.5
    assert figures[(DIMENSION_AGENT, above)].p90_seconds == boundary - 0.9


async def test_random_waits_and_channel_scope(waits: Waits) -> None:
    generator = random.Random(20261205)
    agents = await waits.agents(4)
    first, second = waits.channels
    for channel_id in (first, second):
        for agent_id in [*agents, None]:
            count = generator.choice([1, 2, 3, 17, 150])
            values = [
                min(int(generator.lognormvariate(8, 3)), LARGEST) for _ in range(count)
            ]
            # Repeats make ties inside buckets.
            values += generator.choices(values, k=count // 3)
            await waits.add(channel_id, agent_id, values)

    await waits.check()
    await waits.check(scope={second})
    await waits.check(scope=set())


async def test_no_waits_in_period(waits: Waits) -> None:
    (agent,) = await waits.agents(1)
    await waits.add(waits.channels[0], agent, [30], days_ago=45)

    assert await waits.check() == []


def test_bucket_bounds_cover_each_bucket() -> None:
    """The seconds read for a bucket include all of the bucket's waits."""
    assert response_times._bucket_bounds(0) == (None, 1)
    for bucket in range(1, _bucket(LARGEST) + 1):
        low, high = response_times._bucket_bounds(bucket)
        assert low is not None
        assert _bucket(low) < bucket or low == 1
        assert _bucket(high) > bucket

import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest

from cenat_hub.dashboard.period import build_period
from cenat_hub.dashboard.response_times import (
    METHOD_PERCENTILE_CONT,
    METHOD_WINDOW,
    first_response_times,
)
from cenat_hub.dashboard.schemas import DashboardStats
from cenat_hub.dashboard.service import dashboard_stats
from cenat_hub.db.session import unit_of_work
from cenat_hub.errors import InvalidInputError, PermissionDeniedError
from cenat_hub.web.state import AppState
from tests.dashboard.dataset import NOW, Builder, Dataset, build_dataset

SAO_PAULO = "America/Sao_Paulo"


@pytest.fixture
async def dataset(state: AppState) -> Dataset:
    async with unit_of_work(state.session_factory) as session:
        return await build_dataset(session)


async def _stats(
    state: AppState,
    days: int = 7,
    channel_id: int | None = None,
    visible: set[int] | None = None,
) -> DashboardStats:
    async with state.session_factory() as session:
        return await dashboard_stats(
            session,
            visible=visible,
            channel_id=channel_id,
            days=days,
            timezone=SAO_PAULO,
            now=NOW,
        )


def _daily(stats: DashboardStats) -> dict[date, tuple[int, int, int]]:
    return {
        day.date: (day.messages_in, day.messages_out, day.new_leads)
        for day in stats.daily
    }


async def test_headline_counts(state: AppState, dataset: Dataset) -> None:
    stats = await _stats(state)
    assert stats.active_conversations == 3
    assert stats.new_leads_24h == 2
    assert stats.messages_received == 10
    assert stats.messages_sent == 9


async def test_period_in_sao_paulo_days(state: AppState, dataset: Dataset) -> None:
    stats = await _stats(state)
    assert stats.period.first_day == date(2026, 3, 4)
    assert stats.period.last_day == date(2026, 3, 10)
    assert stats.period.starts_at.isoformat() == "2026-03-04T03:00:00+00:00"
    assert len(stats.daily) == 7


async def test_daily_activity(state: AppState, dataset: Dataset) -> None:
    daily = _daily(await _stats(state))
    assert daily[date(2026, 3, 4)] == (1, 2, 1)
    assert daily[date(2026, 3, 5)] == (0, 0, 0)
    assert daily[date(2026, 3, 6)] == (0, 0, 0)
    assert daily[date(2026, 3, 7)] == (0, 0, 0)
    assert daily[date(2026, 3, 9)] == (2, 4, 1)
    assert daily[date(2026, 3, 10)] == (6, 3, 2)


async def test_daily_midnight_boundary(state: AppState, dataset: Dataset) -> None:
    """A message and a lead at 02:30 UTC on 9 March belong to 8 March."""
    daily = _daily(await _stats(state))
    assert daily[date(2026, 3, 8)] == (1, 0, 1)


async def test_leads_by_status(state: AppState, dataset: Dataset) -> None:
    stats = await _stats(state)
    counts = {item.status: item.count for item in stats.leads_by_status}
    assert counts == {
        "novo": 2,
        "contato": 1,
        "qualificado": 1,
        "matriculado": 1,
        "perdido": 2,
    }
    assert stats.leads_by_status[0].status == "novo"


async def test_funnel_of_period_leads(state: AppState, dataset: Dataset) -> None:
    stats = await _stats(state)
    steps = {step.status: step for step in stats.funnel}
    assert stats.funnel_leads == 5
    assert [step.status for step in stats.funnel] == [
        "novo",
        "contato",
        "qualificado",
        "matriculado",
        "perdido",
    ]
    assert steps["novo"].reached == 5
    assert steps["contato"].reached == 3
    assert steps["qualificado"].reached == 2
    assert steps["matriculado"].reached == 1
    assert steps["perdido"].reached == 1
    assert steps["novo"].rate_from_previous is None
    assert steps["contato"].rate_from_previous == 0.6
    assert steps["qualificado"].rate_from_previous == 0.6667
    assert steps["matriculado"].rate_from_previous == 0.5
    assert steps["perdido"].share_of_leads == 0.2


async def test_lost_reasons_by_period(state: AppState, dataset: Dataset) -> None:
    week = await _stats(state)
    month = await _stats(state, days=30)
    assert [(r.name, r.count) for r in week.lost_reasons] == [("Preço", 1)]
    assert sorted((r.name or "", r.count) for r in month.lost_reasons) == [
        ("", 1),
        ("Preço", 1),
    ]


async def test_first_response_times(state: AppState, dataset: Dataset) -> None:
    response = (await _stats(state)).first_response
    by_agent = {item.id: item for item in response.by_agent}
    by_channel = {item.id: item for item in response.by_channel}

    assert response.overall.count == 5
    assert response.overall.median_seconds == 600
    assert response.overall.p90_seconds == 2640
    assert by_agent[dataset.ana].name == "Ana Atendente"
    assert by_agent[dataset.ana].count == 3
    assert by_agent[dataset.ana].median_seconds == 600
    assert by_agent[dataset.ana].p90_seconds == 1080
    assert by_agent[dataset.bruno].count == 2
    assert by_agent[dataset.bruno].median_seconds == 1830
    assert by_agent[dataset.bruno].p90_seconds == 3246
    assert by_channel[dataset.channel_a].name == "Canal A"
    assert by_channel[dataset.channel_a].median_seconds == 600
    assert by_channel[dataset.channel_a].p90_seconds == 1080
    assert by_channel[dataset.channel_b].median_seconds == 1830
    assert by_channel[dataset.channel_b].p90_seconds == 3246


async def test_first_response_times_month(state: AppState, dataset: Dataset) -> None:
    response = (await _stats(state, days=30)).first_response
    by_agent = {item.id: item for item in response.by_agent}
    assert response.overall.count == 6
    assert response.overall.median_seconds == 450
    assert response.overall.p90_seconds == 2400
    assert by_agent[dataset.ana].median_seconds == 450
    assert by_agent[dataset.ana].p90_seconds == 1020


async def test_waiting_conversations(state: AppState, dataset: Dataset) -> None:
    waiting = (await _stats(state)).waiting
    assert waiting.count == 3
    assert waiting.buckets == {
        "under_1h": 1,
        "from_1h_to_4h": 1,
        "from_4h_to_24h": 0,
        "over_24h": 1,
    }
    assert waiting.longest_wait_seconds == 36 * 3600 + 30 * 60
    assert [item.conversation_id for item in waiting.longest] == [
        dataset.conversations["c4"],
        dataset.conversations["c7"],
        dataset.conversations["c3"],
    ]
    assert [item.wait_seconds for item in waiting.longest] == [131400, 9000, 1800]


async def test_channel_filter(state: AppState, dataset: Dataset) -> None:
    stats = await _stats(state, channel_id=dataset.channel_b)
    counts = {item.status: item.count for item in stats.leads_by_status}
    assert stats.messages_received == 5
    assert stats.messages_sent == 5
    assert stats.active_conversations == 1
    assert stats.new_leads_24h == 0
    assert stats.waiting.count == 2
    assert counts["novo"] == 1
    assert counts["matriculado"] == 1
    assert counts["perdido"] == 1
    assert [item.id for item in stats.first_response.by_agent] == [dataset.bruno]
    assert stats.first_response.overall.median_seconds == 1830


async def test_visible_channels_limit_figures(
    state: AppState, dataset: Dataset
) -> None:
    limited = await _stats(state, visible={dataset.channel_b})
    filtered = await _stats(state, channel_id=dataset.channel_b)
    assert limited.model_dump(exclude={"channel_id"}) == filtered.model_dump(
        exclude={"channel_id"}
    )
    with pytest.raises(PermissionDeniedError):
        await _stats(state, channel_id=dataset.channel_a, visible={dataset.channel_b})


async def test_thirty_and_ninety_days(state: AppState, dataset: Dataset) -> None:
    month = await _stats(state, days=30)
    quarter = await _stats(state, days=90)
    assert len(month.daily) == 30
    assert month.period.first_day == date(2026, 2, 9)
    assert month.messages_received == 11
    assert month.funnel_leads == 7
    assert _daily(month)[date(2026, 3, 3)] == (1, 0, 1)
    assert _daily(month)[date(2026, 2, 20)] == (0, 0, 1)
    assert len(quarter.daily) == 90


async def test_invalid_days_rejected(state: AppState) -> None:
    with pytest.raises(InvalidInputError):
        await _stats(state, days=14)


def test_period_days_across_clock_change() -> None:
    """Days are 23 or 25 hours where the zone changes its clock."""
    now = NOW.replace(year=2026, month=3, day=10)
    period = build_period(7, "America/New_York", now)
    lengths = {day.date: day.ends_at - day.starts_at for day in period.days}
    assert lengths[date(2026, 3, 8)] == timedelta(hours=23)
    assert lengths[date(2026, 3, 9)] == timedelta(hours=24)


async def test_percentile_methods_agree(state: AppState, dataset: Dataset) -> None:
    """On PostgreSQL, percentile_cont and the window-function query agree."""
    async with state.session_factory() as session:
        if session.bind.dialect.name != "postgresql":
            pytest.skip("percentile_cont exists only on PostgreSQL")
        for days in (7, 30):
            period = build_period(days, SAO_PAULO, NOW)
            native = await first_response_times(
                session, None, period, method=METHOD_PERCENTILE_CONT
            )
            window = await first_response_times(
                session, None, period, method=METHOD_WINDOW
            )
            assert sorted(native, key=repr) == sorted(window, key=repr)


async def test_generated_response_times(state: AppState) -> None:
    """Percentiles of 240 random waits match a plain Python computation."""
    generator = random.Random(20260310)
    waits: dict[tuple[str, int], list[float]] = {}
    async with unit_of_work(state.session_factory) as session:
        make = Builder(session)
        channels = [
            await make.channel("Canal X", "100000000000021"),
            await make.channel("Canal Y", "100000000000022"),
        ]
        agents = [
            await make.user(f"Atendente {n}", f"atendente{n}@teste.invalid")
            for n in range(3)
        ]
        for number in range(60):
            channel = channels[number % 2]
            contact = await make.contact(
                f"55119100{number:05d}", channel, "2026-03-05 12:00"
            )
            clock = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
            messages = []
            for _ in range(4):
                started = clock
                for _burst in range(generator.randint(1, 3)):
                    messages.append((clock, "inbound", None, "received"))
                    clock += timedelta(seconds=generator.randint(1, 30))
                agent = generator.choice(agents)
                replied = clock + timedelta(seconds=generator.randint(1, 20000))
                clock = replied
                messages.append((clock, "outbound", agent, "read"))
                clock += timedelta(minutes=generator.randint(1, 600))
                seconds = (replied - started).total_seconds()
                for key in (("all", 0), ("agent", agent.id), ("channel", channel.id)):
                    waits.setdefault(key, []).append(seconds)
            await make.conversation(
                contact,
                channel,
                [
                    (when.strftime("%Y-%m-%d %H:%M:%S"), *rest)
                    for when, *rest in messages
                ],
            )

    async with state.session_factory() as session:
        period = build_period(30, SAO_PAULO, NOW)
        rows = await first_response_times(session, None, period)
        window = await first_response_times(session, None, period, method=METHOD_WINDOW)

    assert sorted(window, key=repr) == sorted(rows, key=repr)

    assert len(rows) == len(waits)
    for row in rows:
        values = sorted(waits[(row.dimension, row.key)])
        deciles = statistics.quantiles(values, n=10, method="inclusive")
        assert row.count == len(values)
        assert row.median_seconds == round(statistics.median(values), 1)
        assert row.p90_seconds == round(deciles[8], 1)

"""message_counts stays equal to a recount of messages, and the dashboard's
message figures read from it equal the figures counted from messages."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.dashboard import queries
from cenat_hub.dashboard.buckets import EPOCH, split_into_buckets
from cenat_hub.dashboard.period import Day, Period, build_period
from cenat_hub.db.session import unit_of_work
from cenat_hub.models import Channel, Contact, Conversation, Message
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.dashboard.recount import recount, stored_counts
from tests.factories import make_channel, text_message_payload

NOW = datetime(2026, 3, 10, 15, 7, 30, 250_000, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class Inbox:
    """Add messages to one conversation per channel, with the fields counted."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.conversations: dict[int, Conversation] = {}
        self.sequence = 0

    async def channels(self, count: int) -> list[Channel]:
        channels = [
            Channel(
                name=f"Canal {index}",
                phone_number="5511900000100",
                phone_number_id=f"10000000000009{index}",
                whatsapp_token="not-used",
                is_active=True,
            )
            for index in range(count)
        ]
        self.session.add_all(channels)
        await self.session.flush()
        for index, channel in enumerate(channels):
            contact = Contact(
                wa_id=f"551190000000{index + 1}",
                name="Ana Teste",
                channel_id=channel.id,
            )
            self.session.add(contact)
            await self.session.flush()
            conversation = Conversation(
                channel_id=channel.id, contact_id=contact.id, unread_count=0
            )
            self.session.add(conversation)
            await self.session.flush()
            self.conversations[channel.id] = conversation
        return channels

    def message(
        self,
        channel: Channel,
        when: datetime,
        direction: str = "inbound",
        message_type: str = "text",
        status: str = "received",
    ) -> Message:
        self.sequence += 1
        conversation = self.conversations[channel.id]
        message = Message(
            wa_message_id=f"wamid.MC{self.sequence}",
            channel_id=channel.id,
            contact_id=conversation.contact_id,
            conversation_id=conversation.id,
            contact_wa_id="5511900000001",
            direction=direction,
            message_type=message_type,
            content=f"mensagem {self.sequence}",
            timestamp=when,
            status=status,
        )
        self.session.add(message)
        return message


async def _assert_counts_match(state: AppState) -> None:
    async with state.session_factory() as session:
        stored = await stored_counts(session)
        recounted = await recount(session)
    assert stored == recounted


async def test_counts_follow_inserts(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        inbox = Inbox(session)
        a, b = await inbox.channels(2)
        for minute in range(0, 60, 7):
            when = NOW - timedelta(minutes=minute)
            inbox.message(a, when)
            inbox.message(b, when, "outbound", status="sent")
            inbox.message(a, when, "outbound", status="failed")
            inbox.message(b, when, message_type="reaction")
            inbox.message(a, when, "outbound", "template", "read")
    await _assert_counts_match(state)
    async with state.session_factory() as session:
        stored = await stored_counts(session)
    assert sum(received for received, _ in stored.values()) == 9
    assert sum(sent for _, sent in stored.values()) == 18


async def test_counts_follow_webhook_messages(
    state: AppState, client: httpx.AsyncClient
) -> None:
    await make_channel(state)
    for index in range(3):
        payload = text_message_payload(
            wamid=f"wamid.MCW{index}", timestamp=1767225600 + index * 600
        )
        response = await post_webhook(client, payload, state)
        assert response.status_code == 200
    # A redelivered message is skipped by its unique WhatsApp id.
    redelivered = text_message_payload(wamid="wamid.MCW0", timestamp=1767225600)
    assert (await post_webhook(client, redelivered, state)).status_code == 200
    await _assert_counts_match(state)
    async with state.session_factory() as session:
        stored = await stored_counts(session)
    assert sum(received for received, _ in stored.values()) == 3


async def test_counts_follow_failed_and_back(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        inbox = Inbox(session)
        a, _ = await inbox.channels(2)
        message = inbox.message(a, NOW, "outbound", status="sent")
        await session.flush()
        message_id = message.id
    await _assert_counts_match(state)
    for status in ("failed", "delivered", "failed", "read"):
        async with unit_of_work(state.session_factory) as session:
            await session.execute(
                update(Message).where(Message.id == message_id).values(status=status)
            )
        await _assert_counts_match(state)
    async with state.session_factory() as session:
        assert sum(sent for _, sent in (await stored_counts(session)).values()) == 1


async def test_counts_follow_type_change(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        inbox = Inbox(session)
        a, _ = await inbox.channels(2)
        message = inbox.message(a, NOW)
        await session.flush()
        message_id = message.id
    for message_type in ("reaction", "text", "image"):
        async with unit_of_work(state.session_factory) as session:
            await session.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(message_type=message_type)
            )
        await _assert_counts_match(state)


async def test_counts_follow_time_and_channel_moves(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        inbox = Inbox(session)
        a, b = await inbox.channels(2)
        inbound = inbox.message(a, NOW)
        outbound = inbox.message(a, NOW, "outbound", status="sent")
        await session.flush()
        ids = [inbound.id, outbound.id]
    changes = [
        {"timestamp": NOW - timedelta(days=3, minutes=20)},
        {"channel_id": b.id},
        {"timestamp": NOW - timedelta(seconds=1), "status": "failed"},
    ]
    for values in changes:
        async with unit_of_work(state.session_factory) as session:
            await session.execute(
                update(Message).where(Message.id.in_(ids)).values(**values)
            )
        await _assert_counts_match(state)


async def test_counts_before_1970(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        inbox = Inbox(session)
        a, _ = await inbox.channels(2)
        for seconds in (-901, -900, -899, -1, 0, 1):
            inbox.message(a, EPOCH + timedelta(seconds=seconds, microseconds=500))
    await _assert_counts_match(state)


async def test_counts_follow_delete(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        inbox = Inbox(session)
        a, b = await inbox.channels(2)
        for minute in range(5):
            inbox.message(a, NOW - timedelta(minutes=minute))
            inbox.message(b, NOW - timedelta(minutes=minute), "outbound", status="sent")
        await session.flush()
    async with unit_of_work(state.session_factory) as session:
        await session.execute(
            delete(Message).where(Message.channel_id == a.id, Message.id % 2 == 0)
        )
    await _assert_counts_match(state)
    async with unit_of_work(state.session_factory) as session:
        await session.execute(delete(Message))
    async with state.session_factory() as session:
        assert await stored_counts(session) == {}


def test_split_into_buckets_edges() -> None:
    start = datetime(2026, 3, 9, 18, 15, tzinfo=UTC)
    end = datetime(2026, 3, 10, 18, 15, tzinfo=UTC)
    whole = split_into_buckets(start, end)
    assert whole.end - whole.first == 96
    assert whole.edges == ()
    now = datetime(2026, 3, 10, 9, 20, 5, tzinfo=UTC)
    partial = split_into_buckets(start, now)
    assert partial.edges == ((datetime(2026, 3, 10, 9, 15, tzinfo=UTC), now),)
    odd = split_into_buckets(start + timedelta(minutes=7), start + timedelta(minutes=9))
    assert odd.first == odd.end
    assert odd.edges == ((start + timedelta(minutes=7), start + timedelta(minutes=9)),)


# Zones whose local midnights fall on different quarter hours of UTC.
ZONES = (
    "America/Sao_Paulo",  # UTC-3
    "Asia/Kathmandu",  # UTC+05:45
    "America/St_Johns",  # UTC-03:30, and UTC-02:30 from 8 March 2026
    "Pacific/Chatham",  # UTC+13:45 in March, daylight saving time
    "UTC",
)


async def _messages_around_midnights(state: AppState) -> None:
    """Add messages just before, at and after each zone's recent midnights and now."""
    instants = {NOW - MICROSECOND, NOW, NOW + MICROSECOND, NOW + timedelta(hours=2)}
    for zone in ZONES:
        for day in build_period(7, zone, NOW).days:
            for offset in (-MICROSECOND, timedelta(0), MICROSECOND, timedelta(14)):
                instants.add(day.starts_at + offset)
    async with unit_of_work(state.session_factory) as session:
        inbox = Inbox(session)
        a, b = await inbox.channels(2)
        for index, when in enumerate(sorted(instants)):
            channel = a if index % 3 else b
            inbox.message(channel, when)
            inbox.message(channel, when, "outbound", status="delivered")
            inbox.message(channel, when, "outbound", status="failed")
            inbox.message(channel, when, message_type="reaction")


@pytest.mark.parametrize("zone", ZONES)
async def test_daily_messages_match_direct_count(state: AppState, zone: str) -> None:
    await _messages_around_midnights(state)
    async with state.session_factory() as session:
        channel_ids = list((await session.execute(select(Channel.id))).scalars())
        for scope in (None, {channel_ids[0]}):
            period = build_period(7, zone, NOW)
            days = [
                (day.date.isoformat(), day.starts_at, day.ends_at)
                for day in period.days
            ]
            stored = await queries.daily_messages(session, scope, period)
            direct = await queries.count_messages_by_interval(session, scope, days)
            assert stored == direct
            assert sum(received for received, _ in stored.values()) > 0


@pytest.mark.parametrize("zone", ZONES)
async def test_count_messages_match_direct_count(state: AppState, zone: str) -> None:
    """The period runs from the first local midnight to ``now``, both included."""
    await _messages_around_midnights(state)
    async with state.session_factory() as session:
        period = build_period(7, zone, NOW)
        sent, received = await queries.count_messages(session, None, period)
        direct = await queries.count_messages_by_interval(
            session, None, [("period", period.starts_at, NOW + MICROSECOND)]
        )
    assert (received, sent) == direct["period"]
    assert received > 0


async def test_daily_messages_unaligned_days(state: AppState) -> None:
    """Days that start 7 minutes past a quarter hour read their edges directly."""
    offset = timedelta(minutes=7)
    utc_days = build_period(7, "UTC", NOW).days
    period = Period(
        timezone="UTC",
        now=NOW,
        days=[
            Day(day.date, day.starts_at + offset, day.ends_at + offset)
            for day in utc_days
        ],
    )
    async with unit_of_work(state.session_factory) as session:
        inbox = Inbox(session)
        (a,) = await inbox.channels(1)
        for day in period.days:
            for seconds in (-421, -420, -1, 0, 1, 60, 480, 481):
                when = day.starts_at + timedelta(seconds=seconds)
                inbox.message(a, when)
                inbox.message(a, when, "outbound", status="sent")
    async with state.session_factory() as session:
        stored = await queries.daily_messages(session, None, period)
        days = [
            (day.date.isoformat(), day.starts_at, day.ends_at) for day in period.days
        ]
        direct = await queries.count_messages_by_interval(session, None, days)
    assert stored == direct
    # Three of the 56 inbound messages are before the first day.
    assert sum(received for received, _ in stored.values()) == 53

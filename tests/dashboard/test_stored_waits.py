"""The stored waits follow the messages through the real write paths.

After each step the ``response_waits`` rows and the conversation's wait
columns must equal what the former queries (``tests.dashboard.reference``)
compute from the messages.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.identity import IdentityClaims
from cenat_hub.dashboard import queries, response_times
from cenat_hub.dashboard.schemas import DashboardStats
from cenat_hub.dashboard.service import dashboard_stats
from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.integrations.whatsapp.inbound import (
    parse_inbound_message,
    parse_status,
)
from cenat_hub.messages.inbound import ingest_echo, ingest_inbound
from cenat_hub.messages.sending import store_pending
from cenat_hub.messages.statuses import mark_failed, record_status
from cenat_hub.models import Channel, Contact, Conversation, Message, ResponseWait
from cenat_hub.web.state import AppState
from tests.dashboard.dataset import NOW, build_dataset
from tests.dashboard.reference import (
    old_responses,
    old_waiting_conversations,
    reference_state,
    stored_state,
)
from tests.factories import make_channel, make_user

LEAD = "5511900000001"
SAO_PAULO = "America/Sao_Paulo"
BASE = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def _at(minutes: int, milliseconds: int = 0) -> datetime:
    return BASE + timedelta(minutes=minutes, milliseconds=milliseconds)


class Inbox:
    """One lead writing to one channel, and agents answering, through the write paths."""

    def __init__(self, state: AppState, channel_id: int) -> None:
        self.state = state
        self.channel_id = channel_id

    def _raw(
        self, wamid: str, minutes: int, lead: str = LEAD, **body: Any
    ) -> dict[str, Any]:
        raw = {
            "from": lead,
            "id": wamid,
            "timestamp": str(int(_at(minutes).timestamp())),
            **body,
        }
        return raw

    async def inbound(self, wamid: str, minutes: int, lead: str = LEAD) -> None:
        raw = self._raw(wamid, minutes, lead, type="text", text={"body": "Olá"})
        await self._ingest(raw)

    async def reaction(
        self, wamid: str, minutes: int, to_wamid: str, lead: str = LEAD
    ) -> None:
        raw = self._raw(
            wamid,
            minutes,
            lead,
            type="reaction",
            reaction={"message_id": to_wamid, "emoji": "👍"},
        )
        await self._ingest(raw)

    async def _ingest(self, raw: dict[str, Any]) -> None:
        parsed = parse_inbound_message(raw, utcnow())
        assert parsed is not None
        async with unit_of_work(self.state.session_factory) as session:
            channel = await session.get(Channel, self.channel_id)
            assert channel is not None
            await ingest_inbound(session, channel, parsed, None)

    async def echo(self, wamid: str, minutes: int, lead: str = LEAD) -> None:
        """Store a message sent from the WhatsApp Business app (no agent)."""
        raw = self._raw(
            wamid, minutes, lead, type="text", text={"body": "Enviado do app"}
        )
        parsed = parse_inbound_message(raw, utcnow())
        assert parsed is not None
        async with unit_of_work(self.state.session_factory) as session:
            channel = await session.get(Channel, self.channel_id)
            assert channel is not None
            await ingest_echo(session, channel, parsed, IdentityClaims(phone=lead))

    async def reply(
        self,
        wamid: str,
        minutes: int,
        agent_id: int,
        status: str = "sent",
        milliseconds: int = 0,
        lead: str = LEAD,
    ) -> int:
        """Store an agent's message as the send path does; return its id."""
        async with unit_of_work(self.state.session_factory) as session:
            conversation = await _conversation(session, lead)
            message = Message(
                wa_message_id=wamid,
                channel_id=conversation.channel_id,
                contact_id=conversation.contact_id,
                conversation_id=conversation.id,
                contact_wa_id=lead,
                direction="outbound",
                message_type="text",
                content="Resposta",
                timestamp=_at(minutes, milliseconds),
                status=status,
                sent_by_user_id=agent_id,
            )
            stored, created = await store_pending(session, conversation, message)
            assert created
            return stored.id

    async def status(self, wamid: str, status: str, minutes: int) -> None:
        raw: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(_at(minutes).timestamp())),
            "recipient_id": LEAD,
        }
        if status == "failed":
            raw["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
        parsed = parse_status(raw, utcnow())
        assert parsed is not None
        async with unit_of_work(self.state.session_factory) as session:
            await record_status(session, parsed)

    async def send_fails(self, message_id: int) -> None:
        async with unit_of_work(self.state.session_factory) as session:
            message = await session.get(Message, message_id)
            assert message is not None
            await mark_failed(session, message, 131000, "Something went wrong", None)


async def _conversation(session: AsyncSession, lead: str = LEAD) -> Conversation:
    statement = (
        select(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Contact.wa_id == lead)
    )
    return (await session.execute(statement)).scalar_one()


async def _assert_matches_reference(state: AppState, step: str) -> None:
    async with state.session_factory() as session:
        stored = await stored_state(session)
        reference = await reference_state(session)
    assert stored.waits == reference.waits, step
    assert stored.open_waits == reference.open_waits, step
    assert stored.waiting == reference.waiting, step


@pytest.fixture
async def inbox(state: AppState) -> Inbox:
    channel = await make_channel(state)
    return Inbox(state, channel.id)


async def test_write_paths_keep_waits(state: AppState, inbox: Inbox) -> None:
    ana = await make_user(state, email="ana@teste.invalid", role="atendente")
    bruno = await make_user(state, email="bruno@teste.invalid", role="atendente")

    steps = [
        ("first inbound", lambda: inbox.inbound("wamid.W1", 0)),
        ("second inbound", lambda: inbox.inbound("wamid.W2", 2)),
        ("reaction", lambda: inbox.reaction("wamid.W3", 3, "wamid.W1")),
        ("send from the business app", lambda: inbox.echo("wamid.W4", 4)),
        ("inbound after the app send", lambda: inbox.inbound("wamid.W5", 5)),
        # Half a second past the minute: the wait rounds up to 601 s.
        ("agent reply", lambda: inbox.reply("wamid.W6", 10, ana.id, milliseconds=500)),
        ("inbound", lambda: inbox.inbound("wamid.W7", 20)),
        ("second agent reply", lambda: inbox.reply("wamid.W8", 30, bruno.id)),
        ("older inbound", lambda: inbox.inbound("wamid.W9", 15)),
        ("inbound", lambda: inbox.inbound("wamid.W10", 35)),
        ("reply", lambda: inbox.reply("wamid.W11", 40, bruno.id)),
        ("reply fails", lambda: inbox.status("wamid.W11", "failed", 41)),
        ("failed reply delivered", lambda: inbox.status("wamid.W11", "delivered", 42)),
        ("inbound", lambda: inbox.inbound("wamid.W12", 45)),
    ]
    for step, action in steps:
        await action()
        await _assert_matches_reference(state, step)

    pending = await inbox.reply("wamid.W13", 50, ana.id, status="pending")
    await _assert_matches_reference(state, "pending reply")
    await inbox.send_fails(pending)
    await _assert_matches_reference(state, "send fails")
    await inbox.reply("wamid.W14", 60, ana.id)
    await _assert_matches_reference(state, "reply after the failure")
    await inbox.inbound("wamid.W15", 60)
    await _assert_matches_reference(state, "inbound at the reply's time")

    async with state.session_factory() as session:
        waits = (
            (await session.execute(select(ResponseWait).order_by(ResponseWait.id)))
            .scalars()
            .all()
        )
        conversation = await _conversation(session)
    assert sorted((w.started_at, w.answered_at, w.agent_id) for w in waits) == [
        (_at(0), _at(10, 500), ana.id),
        (_at(15), _at(30), bruno.id),
        (_at(35), _at(40), bruno.id),
        (_at(45), _at(60), ana.id),
    ]
    assert sorted(w.seconds for w in waits) == [300, 601, 900, 900]
    assert conversation.open_wait_started_at == _at(60)
    assert conversation.waiting_since is None


async def test_tied_inbound_still_counts_as_waiting(
    state: AppState, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An inbound message at the same time as the last reply has no waiting time.

    The conversation's last message is the lead's, so it is counted as
    waiting (in the over-24-hours bucket, as before), but not listed.
    """
    ana = await make_user(state, email="ana@teste.invalid", role="atendente")
    await inbox.inbound("wamid.T1", 0)
    await inbox.reply("wamid.T2", 5, ana.id)
    await inbox.inbound("wamid.T3", 5)

    new, old = await _stats_new_and_old(state, monkeypatch, _at(10), 7)

    assert new.waiting.count == 1
    assert new.waiting.buckets["over_24h"] == 1
    assert new.waiting.longest == []
    assert new.waiting == old.waiting


@contextmanager
def _statements(state: AppState) -> Iterator[list[str]]:
    """Collect the SQL statements the application's engine sends."""
    statements: list[str] = []

    def collect(*args: Any) -> None:
        statements.append(args[2])

    engine = state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", collect)


def _touching_waits(statements: list[str]) -> list[str]:
    return [s.split()[0] for s in statements if "response_waits" in s]


def _conversation_updates(statements: list[str]) -> int:
    return sum(1 for s in statements if s.startswith("UPDATE conversations"))


async def test_common_case_adds_one_insert(state: AppState, inbox: Inbox) -> None:
    """In-order messages write waits with the conversation's one UPDATE.

    Only a reply that answers a wait adds a statement (its INSERT); an older
    message rebuilds the conversation's waits.
    """
    ana = await make_user(state, email="ana@teste.invalid", role="atendente")
    await inbox.inbound("wamid.S1", 0)

    with _statements(state) as inbound_statements:
        await inbox.inbound("wamid.S2", 1)
    with _statements(state) as reply_statements:
        await inbox.reply("wamid.S3", 2, ana.id)
    with _statements(state) as older_statements:
        await inbox.inbound("wamid.S4", 1)

    assert _touching_waits(inbound_statements) == []
    assert _touching_waits(reply_statements) == ["INSERT"]
    assert _conversation_updates(inbound_statements) == 1
    assert _conversation_updates(reply_statements) == 1
    assert _touching_waits(older_statements) == ["DELETE", "INSERT"]


async def _stats_new_and_old(
    state: AppState,
    monkeypatch: pytest.MonkeyPatch,
    now: datetime,
    days: int,
    channel_id: int | None = None,
) -> tuple[DashboardStats, DashboardStats]:
    """Compute the dashboard with the stored waits, then with the former queries."""

    async def stats() -> DashboardStats:
        async with state.session_factory() as session:
            return await dashboard_stats(
                session,
                visible=None,
                channel_id=channel_id,
                days=days,
                timezone=SAO_PAULO,
                now=now,
            )

    new = await stats()
    dialect = state.engine.dialect.name
    with monkeypatch.context() as patch:
        patch.setattr(
            response_times,
            "_responses",
            lambda scope, period: old_responses(dialect, scope, period),
        )
        patch.setattr(queries, "_waiting_conversations", old_waiting_conversations)
        old = await stats()
    return new, old


async def test_random_traffic_matches_old_queries(
    state: AppState, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = random.Random(20261204)
    agents = [
        await make_user(state, email=f"agente{n}@teste.invalid", role="atendente")
        for n in range(2)
    ]
    leads = [f"55119000000{n:02d}" for n in range(1, 5)]
    clocks = dict.fromkeys(leads, 0)
    replies: list[str] = []
    for lead in leads:
        await inbox.inbound(f"wamid.first-{lead}", 0, lead)
    for number in range(120):
        lead = generator.choice(leads)
        clocks[lead] += generator.randint(1, 240)
        minutes = clocks[lead]
        wamid = f"wamid.R{number}"
        kind = generator.choices(
            ["inbound", "reply", "echo", "reaction", "older", "status"],
            weights=[35, 30, 5, 5, 10, 15],
        )[0]
        if kind == "inbound":
            await inbox.inbound(wamid, minutes, lead)
        elif kind == "older":
            await inbox.inbound(wamid, minutes - generator.randint(1, 600), lead)
        elif kind == "reply":
            agent = generator.choice(agents)
            milliseconds = generator.randint(0, 999)
            await inbox.reply(
                wamid, minutes, agent.id, lead=lead, milliseconds=milliseconds
            )
            replies.append(wamid)
        elif kind == "echo":
            await inbox.echo(wamid, minutes, lead)
        elif kind == "reaction":
            await inbox.reaction(wamid, minutes, f"wamid.first-{lead}", lead)
        elif replies:
            status = generator.choice(["failed", "delivered", "read"])
            await inbox.status(generator.choice(replies), status, minutes)
        # A later rebuild would hide a wrong step, so check every step.
        await _assert_matches_reference(state, f"{kind} {wamid}")

    now = _at(max(clocks.values()) + 60)
    for days in (7, 30, 90):
        new, old = await _stats_new_and_old(state, monkeypatch, now, days)
        assert new.first_response.overall.count > 0
        assert new.waiting.count > 0
        assert new.first_response == old.first_response, days
        assert new.waiting == old.waiting, days


@pytest.mark.parametrize("days", [7, 30, 90])
async def test_dataset_figures_match_old_queries(
    state: AppState, monkeypatch: pytest.MonkeyPatch, days: int
) -> None:
    async with unit_of_work(state.session_factory) as session:
        dataset = await build_dataset(session)
    for channel_id in (None, dataset.channel_a, dataset.channel_b):
        new, old = await _stats_new_and_old(state, monkeypatch, NOW, days, channel_id)
        assert new.first_response == old.first_response, channel_id
        assert new.waiting == old.waiting, channel_id

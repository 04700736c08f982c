"""Fragments the browser stream renders for each kind of event."""

from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from cenat_hub.db.session import unit_of_work
from cenat_hub.i18n import locale_in_use
from cenat_hub.inbox.live import FragmentRenderer
from cenat_hub.models import Contact, Message, User, UserChannel
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import CHANNEL_2, make_channel, make_user
from tests.inbox.helpers import conversation_for, lead_writes, now_ts, setup_inbox
from tests.inbox.test_rendering import _reaction

ZONE = ZoneInfo("America/Sao_Paulo")


async def _render(state: AppState, email: str, kind: str, data: dict[str, object]):
    async with state.session_factory() as session:
        user = (
            await session.execute(select(User).where(User.email == email))
        ).scalar_one()
        return await FragmentRenderer(session, user, ZONE).for_event(kind, data)


async def test_contact_change_renders_rows(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.LV1")
    async with unit_of_work(state.session_factory) as session:
        contact = (await session.execute(select(Contact))).scalar_one()
        contact.lead_status = "matriculado"
        contact_id = contact.id

    with locale_in_use("pt_BR"):
        fragments = await _render(
            state, "admin@teste.invalid", "contact.updated", {"contact_id": contact_id}
        )

    assert [fragment.kind for fragment in fragments] == ["contact", "conversation"]
    assert fragments[0].data == {
        "contact_id": contact_id,
        "wa_id": "5511900000001",
        "lead_status": "matriculado",
        "lead_status_label": "Matriculado",
    }
    assert fragments[1].data["wa_id"] == "5511900000001"
    assert "Matriculado" in fragments[1].data["html"]


async def test_reaction_renders_target(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.LV2", body="Fechado!")
    await post_webhook(
        client, _reaction("wamid.LV3", "wamid.LV2", "❤️", now_ts()), state
    )
    async with state.session_factory() as session:
        reaction = (
            await session.execute(
                select(Message).where(Message.wa_message_id == "wamid.LV3")
            )
        ).scalar_one()

    fragments = await _render(
        state, "admin@teste.invalid", "message.new", {"message_id": reaction.id}
    )

    bubble = fragments[0]
    assert bubble.kind == "message"
    assert "Fechado!" in bubble.data["html"]
    assert "❤️" in bubble.data["html"]


async def test_hidden_channel_renders_nothing(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await make_channel(state, CHANNEL_2)
    agent = await make_user(
        state, email="agente@teste.invalid", password="senha-agente-1", role="atendente"
    )
    async with unit_of_work(state.session_factory) as session:
        session.add(UserChannel(user_id=agent.id, channel_id=2))
    await lead_writes(client, state, wamid="wamid.LV4")
    conversation = await conversation_for(state, "5511900000001")

    for kind, data in [
        ("conversation.updated", {"conversation_id": conversation.id}),
        ("message.new", {"message_id": 1}),
        ("message.new", {"message_id": "1"}),
    ]:
        assert await _render(state, "agente@teste.invalid", kind, data) == []
    assert await _render(state, "admin@teste.invalid", "message.new", {"message_id": 1})

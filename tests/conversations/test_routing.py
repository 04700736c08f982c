import httpx
from sqlalchemy import select

from cenat_hub.models import Contact, Conversation, Message
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import (
    CHANNEL_1,
    CHANNEL_2,
    admin_headers,
    make_channel,
    text_message_payload,
)


async def test_lead_on_two_numbers_has_two_conversations(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first = await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    for channel, wamid in ((CHANNEL_1, "wamid.R1"), (CHANNEL_2, "wamid.R2")):
        payload = text_message_payload(
            wamid=wamid,
            body=f"Olá, {channel['name']}",
            phone_number_id=channel["phone_number_id"],
        )
        await post_webhook(client, payload, state)

    async with state.session_factory() as session:
        contacts = list((await session.execute(select(Contact))).scalars())
        conversations = list(
            (
                await session.execute(select(Conversation).order_by(Conversation.id))
            ).scalars()
        )
        messages = {
            message.wa_message_id: message
            for message in (await session.execute(select(Message))).scalars()
        }

    assert len(contacts) == 1
    assert [c.channel_id for c in conversations] == [first.id, second.id]
    assert {c.contact_id for c in conversations} == {contacts[0].id}
    assert messages["wamid.R1"].channel_id == first.id
    assert messages["wamid.R2"].channel_id == second.id
    assert messages["wamid.R1"].conversation_id == conversations[0].id
    assert messages["wamid.R2"].conversation_id == conversations[1].id


async def test_payload_routes_by_phone_number_id(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    headers = await admin_headers(client, state)
    payload = text_message_payload(
        wamid="wamid.R3", phone_number_id=CHANNEL_2["phone_number_id"]
    )
    await post_webhook(client, payload, state)

    by_channel = await client.get(
        "/api/conversations", params={"channel_id": second.id}, headers=headers
    )
    everything = await client.get("/api/conversations", headers=headers)

    assert [item["channel_id"] for item in by_channel.json()] == [second.id]
    assert [item["channel_id"] for item in everything.json()] == [second.id]


async def test_unknown_phone_number_id_stores_nothing(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state, CHANNEL_1)
    payload = text_message_payload(wamid="wamid.R4", phone_number_id="100000000000777")
    response = await post_webhook(client, payload, state)
    assert response.status_code == 200
    async with state.session_factory() as session:
        assert (await session.execute(select(Message))).first() is None

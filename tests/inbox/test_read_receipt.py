"""The read receipt sent after a conversation is opened never raises."""

import httpx
from sqlalchemy import update

from cenat_hub.db.session import unit_of_work
from cenat_hub.inbox.reading import ReadReceipt, send_read_receipt
from cenat_hub.models import Channel
from cenat_hub.web.state import AppState
from tests.inbox.helpers import conversation_for, lead_writes, setup_inbox


async def test_undecryptable_token_is_logged_not_raised(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.RR1")
    conversation = await conversation_for(state, "5511900000001")
    async with unit_of_work(state.session_factory) as session:
        await session.execute(
            update(Channel).values(whatsapp_token="not-a-fernet-token")
        )

    receipt = ReadReceipt(conversation.id, conversation.channel_id, "wamid.RR1")

    assert await send_read_receipt(state, receipt) is None

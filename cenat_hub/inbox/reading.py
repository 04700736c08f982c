"""Reading a conversation: clear its unread count and tell WhatsApp."""

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.db.session import unit_of_work
from cenat_hub.events.hub import Event
from cenat_hub.inbox import queries
from cenat_hub.integrations.whatsapp.errors import GraphAPIError
from cenat_hub.models import Channel, Conversation
from cenat_hub.web.state import AppState

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ReadReceipt:
    """The work that follows the commit that cleared a conversation's unread count."""

    conversation_id: int
    channel_id: int
    wa_message_id: str | None

    @property
    def event(self) -> Event:
        return Event("conversation.updated", {"conversation_id": self.conversation_id})


async def mark_conversation_read(
    session: AsyncSession, conversation: Conversation
) -> ReadReceipt | None:
    """Clear the unread count and return the receipt to send, or None if none was unread."""
    if not conversation.unread_count:
        return None
    conversation.unread_count = 0
    await session.flush()
    wa_message_id = await queries.last_inbound_wa_message_id(session, conversation.id)
    return ReadReceipt(conversation.id, conversation.channel_id, wa_message_id)


async def send_read_receipt(state: AppState, receipt: ReadReceipt) -> None:
    """Mark the lead's last message as read on WhatsApp, logging failures.

    This runs after the response as a background task, where an exception
    would make the server close the browser's keep-alive connection, so every
    failure is logged here instead of raised.
    """
    if receipt.wa_message_id is None:
        return
    try:
        async with unit_of_work(state.session_factory) as session:
            channel = await session.get(Channel, receipt.channel_id)
            if channel is None or not channel.is_active:
                return
            token = state.cipher.decrypt(channel.whatsapp_token)
            phone_number_id = channel.phone_number_id
        await state.graph.mark_as_read(phone_number_id, token, receipt.wa_message_id)
    except GraphAPIError as exc:
        log.warning(
            "conversation.read_receipt_failed",
            conversation_id=receipt.conversation_id,
            code=exc.code,
            http_status=exc.http_status,
        )
    except Exception:
        log.exception(
            "conversation.read_receipt_failed", conversation_id=receipt.conversation_id
        )

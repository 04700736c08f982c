"""Rules of a conversation: creation, the 24-hour window, last activity."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.db.types import utcnow
from cenat_hub.db.upsert import insert_or_ignore
from cenat_hub.models import Contact, Conversation

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
PREVIEW_CHARS = 200

# Message types that a person sees as a new bubble in the chat.
_VISIBLE_TYPES_EXCLUDED = frozenset({"reaction", "edit", "revoke"})


async def get_or_create_conversation(
    session: AsyncSession, channel_id: int, contact_id: int
) -> Conversation:
    await insert_or_ignore(
        session,
        Conversation,
        {
            "channel_id": channel_id,
            "contact_id": contact_id,
            "unread_count": 0,
            "created_at": utcnow(),
        },
        ["channel_id", "contact_id"],
    )
    statement = select(Conversation).where(
        Conversation.channel_id == channel_id, Conversation.contact_id == contact_id
    )
    return (await session.execute(statement)).scalar_one()


def window_closes_at(conversation: Conversation | None) -> datetime | None:
    if conversation is None or conversation.last_inbound_at is None:
        return None
    return conversation.last_inbound_at + CUSTOMER_SERVICE_WINDOW


def is_window_open(
    conversation: Conversation | None, now: datetime | None = None
) -> bool:
    closes_at = window_closes_at(conversation)
    return closes_at is not None and (now or utcnow()) < closes_at


def message_preview(message_type: str, content: str | None) -> str:
    """Return the short text shown in the conversation list."""
    if content:
        return content[:PREVIEW_CHARS]
    return PREVIEW_LABELS.get(message_type, "Mensagem")


PREVIEW_LABELS = {
    "image": "📷 Imagem",
    "video": "🎥 Vídeo",
    "audio": "🎤 Áudio",
    "document": "📄 Documento",
    "sticker": "Figurinha",
    "location": "📍 Localização",
    "contacts": "👤 Contato",
    "order": "🛒 Pedido",
    "template": "Template",
    "unsupported": "Mensagem não suportada",
    "system": "Aviso do sistema",
    "request_welcome": "Abriu a conversa",
}


def record_message(
    conversation: Conversation,
    *,
    contact: Contact,
    message_type: str,
    content: str | None,
    timestamp: datetime,
    direction: str,
    sender_wa_id: str | None = None,
) -> None:
    """Move the conversation's last activity, window and unread count forward.

    The contact's ``last_message_at``, which orders the pipeline, moves with it.
    """
    if message_type in _VISIBLE_TYPES_EXCLUDED:
        return
    if direction == "inbound":
        if (
            conversation.last_inbound_at is None
            or timestamp > conversation.last_inbound_at
        ):
            conversation.last_inbound_at = timestamp
            if sender_wa_id:
                conversation.recipient_wa_id = sender_wa_id
        conversation.unread_count += 1
    elif sender_wa_id and not conversation.recipient_wa_id:
        conversation.recipient_wa_id = sender_wa_id
    if (
        conversation.last_message_at is None
        or timestamp >= conversation.last_message_at
    ):
        conversation.last_message_at = timestamp
        conversation.last_message_preview = message_preview(message_type, content)
        conversation.last_message_direction = direction
    if contact.last_message_at is None or timestamp > contact.last_message_at:
        contact.last_message_at = timestamp

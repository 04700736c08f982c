"""Store what leads send: messages, reactions, edits, deletions, number changes."""

from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.identity import (
    IdentityClaims,
    add_identity,
    resolve_contact,
)
from cenat_hub.conversations.service import get_or_create_conversation, record_message
from cenat_hub.conversations.waits import record_message_waits
from cenat_hub.db.types import utcnow
from cenat_hub.db.upsert import insert_or_ignore
from cenat_hub.events.hub import Event
from cenat_hub.integrations.whatsapp.inbound import InboundMessage, text
from cenat_hub.integrations.whatsapp.webhook_models import WebhookContact
from cenat_hub.media.service import record_inbound_media
from cenat_hub.models import Channel, Contact, Message
from cenat_hub.models.message import (
    DIRECTION_INBOUND,
    DIRECTION_OUTBOUND,
    STATUS_RECEIVED,
    STATUS_SENT,
    message_search_text,
)

log = structlog.get_logger(__name__)


def claims_for(
    message: InboundMessage, profile: WebhookContact | None
) -> IdentityClaims:
    """Combine the sender ids of a message with its ``contacts[]`` entry."""
    return IdentityClaims(
        phone=message.from_phone or (profile.wa_id if profile else None),
        user_id=message.from_user_id or (profile.user_id if profile else None),
        parent_user_id=message.from_parent_user_id
        or (profile.parent_user_id if profile else None),
        name=text(profile.name, 255) if profile else None,
        username=text(profile.username, 150) if profile else None,
    )


async def ingest_inbound(
    session: AsyncSession,
    channel: Channel,
    message: InboundMessage,
    profile: WebhookContact | None,
) -> list[Event]:
    """Store one inbound message once; return the events it causes."""
    claims = claims_for(message, profile)
    if message.edit_of or message.revoke_of:
        return await _apply_change_to_original(session, message)
    # Both rows are locked: record_message moves their counters and times on
    # from the values read here, and another worker may store the lead's
    # next message at the same time.
    resolved = await resolve_contact(session, claims, channel.id, lock=True)
    if resolved is None:
        log.warning(
            "webhook.message_without_sender", wa_message_id=message.wa_message_id
        )
        return []
    contact, new_contact = resolved
    conversation = await get_or_create_conversation(
        session, channel.id, contact.id, new_contact=new_contact, lock=True
    )
    message_id = await _insert_message(
        session,
        message,
        channel_id=channel.id,
        contact_id=contact.id,
        conversation_id=conversation.id,
        contact_wa_id=contact.wa_id,
        direction=DIRECTION_INBOUND,
        status=STATUS_RECEIVED,
    )
    if message_id is None:
        return []
    await record_message_waits(
        session,
        conversation,
        direction=DIRECTION_INBOUND,
        message_type=message.message_type,
        timestamp=message.timestamp,
        status=STATUS_RECEIVED,
        sent_by_user_id=None,
    )
    record_message(
        conversation,
        contact=contact,
        message_type=message.message_type,
        content=message.columns.get("content"),
        timestamp=message.timestamp,
        direction=DIRECTION_INBOUND,
        sender_wa_id=claims.address,
    )
    await _apply_side_effects(session, message, contact_id=contact.id)
    downloads = await record_inbound_media(session, message, message_id, channel.id)
    return [
        Event(
            "message.new",
            {
                "message_id": message_id,
                "conversation_id": conversation.id,
                "channel_id": channel.id,
                "direction": DIRECTION_INBOUND,
            },
        ),
        *downloads,
    ]


async def ingest_echo(
    session: AsyncSession,
    channel: Channel,
    message: InboundMessage,
    recipient: IdentityClaims,
) -> list[Event]:
    """Store a message the business sent from the WhatsApp Business app.

    Echoes are outbound: they thread with the lead's messages but neither open
    nor extend the 24-hour window.
    """
    if message.edit_of or message.revoke_of:
        return await _apply_change_to_original(session, message)
    resolved = await resolve_contact(session, recipient, channel.id, lock=True)
    if resolved is None:
        return []
    contact, new_contact = resolved
    conversation = await get_or_create_conversation(
        session, channel.id, contact.id, new_contact=new_contact, lock=True
    )
    message_id = await _insert_message(
        session,
        message,
        channel_id=channel.id,
        contact_id=contact.id,
        conversation_id=conversation.id,
        contact_wa_id=contact.wa_id,
        direction=DIRECTION_OUTBOUND,
        status=STATUS_SENT,
    )
    if message_id is None:
        return []
    await record_message_waits(
        session,
        conversation,
        direction=DIRECTION_OUTBOUND,
        message_type=message.message_type,
        timestamp=message.timestamp,
        status=STATUS_SENT,
        sent_by_user_id=None,
    )
    record_message(
        conversation,
        contact=contact,
        message_type=message.message_type,
        content=message.columns.get("content"),
        timestamp=message.timestamp,
        direction=DIRECTION_OUTBOUND,
        sender_wa_id=recipient.address,
    )
    downloads = await record_inbound_media(session, message, message_id, channel.id)
    return [
        Event(
            "message.new",
            {
                "message_id": message_id,
                "conversation_id": conversation.id,
                "channel_id": channel.id,
                "direction": DIRECTION_OUTBOUND,
            },
        ),
        *downloads,
    ]


async def _insert_message(
    session: AsyncSession, message: InboundMessage, **values: Any
) -> int | None:
    columns = message.columns
    row = {
        "wa_message_id": message.wa_message_id,
        "message_type": message.message_type,
        "timestamp": message.timestamp,
        "created_at": utcnow(),
        "updated_at": utcnow(),
        "search_text": message_search_text(
            columns.get("content"),
            columns.get("media_filename"),
            columns.get("location_name"),
            columns.get("location_address"),
        ),
        "media_voice": False,
        "media_animated": False,
        "forwarded": False,
        "frequently_forwarded": False,
        "edited": False,
        "revoked": False,
        **columns,
        **values,
    }
    return await insert_or_ignore(session, Message, row, ["wa_message_id"])


async def _find_message(
    session: AsyncSession, wa_message_id: str | None
) -> Message | None:
    if not wa_message_id:
        return None
    statement = select(Message).where(Message.wa_message_id == wa_message_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def _apply_change_to_original(
    session: AsyncSession, message: InboundMessage
) -> list[Event]:
    original = await _find_message(session, message.edit_of or message.revoke_of)
    if original is None:
        log.info(
            "webhook.change_for_unknown_message",
            wa_message_id=message.wa_message_id,
            message_type=message.message_type,
        )
        return []
    if message.edit_of:
        original.content = message.columns.get("content")
        original.edited = True
    else:
        original.revoked = True
    return [
        Event(
            "message.updated",
            {"message_id": original.id, "conversation_id": original.conversation_id},
        )
    ]


async def _apply_side_effects(
    session: AsyncSession, message: InboundMessage, contact_id: int
) -> None:
    if message.message_type == "reaction":
        target = await _find_message(
            session, message.columns.get("reaction_to_wa_message_id")
        )
        if target is not None:
            target.lead_reaction = message.columns.get("reaction_emoji")
    elif message.message_type == "system":
        await _apply_system_change(session, message, contact_id)


async def _apply_system_change(
    session: AsyncSession, message: InboundMessage, contact_id: int
) -> None:
    """Record a lead's new number or rotated user id as aliases of the same contact."""
    system = message.columns.get("system") or {}
    new_ids = IdentityClaims(
        phone=text(system.get("wa_id") or system.get("new_wa_id"), 150),
        user_id=text(system.get("user_id"), 150),
        parent_user_id=text(system.get("parent_user_id"), 150),
    )
    if not new_ids.identity_keys():
        return
    contact = await session.get(Contact, contact_id)
    if contact is not None:
        await add_identity(session, contact, new_ids)

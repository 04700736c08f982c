"""Outbound messages: checks before calling Meta, the call, and its outcome.

Sending happens in three steps so that no database transaction stays open
while Meta is called: the pending message is stored and committed, the Graph
API is called, and the outcome is stored in a second transaction.
"""

from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import (
    can_see_channel,
    channel_clause,
    ensure_channel_visible,
    ensure_contact_visible,
)
from cenat_hub.channels.service import get_channel
from cenat_hub.contacts.identity import (
    IdentityClaims,
    add_identity,
    find_contact_by_any_id,
)
from cenat_hub.contacts.phone import is_phone_wa_id
from cenat_hub.conversations.service import is_window_open, record_message
from cenat_hub.conversations.waits import record_message_waits
from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.errors import ConflictError, NotFoundError
from cenat_hub.events.hub import Event
from cenat_hub.integrations.whatsapp.errors import GraphAPIError
from cenat_hub.media.outbound import (
    PreparedMedia,
    adopt_meta_media_id,
    is_local_media_id,
    new_local_media_id,
    record_outbound_media,
    upload_to_meta,
)
from cenat_hub.media.service import get_media_file
from cenat_hub.messages.schemas import SendMediaRequest, SendTextRequest
from cenat_hub.messages.statuses import apply_pending_statuses, mark_failed
from cenat_hub.models import Channel, Contact, Conversation, MediaFile, Message, User
from cenat_hub.models.message import DIRECTION_OUTBOUND, STATUS_PENDING, STATUS_SENT
from cenat_hub.ops.metrics import SENDS
from cenat_hub.web.state import AppState

log = structlog.get_logger(__name__)


MEDIA_KINDS = frozenset({"image", "audio", "video", "document", "sticker"})
CAPTION_KINDS = frozenset({"image", "video", "document"})


class WindowClosedError(ConflictError):
    code = "window_closed"


async def _pick_conversation(
    session: AsyncSession,
    contact: Contact,
    channel_id: int | None,
    visible: set[int] | None,
) -> Conversation | None:
    statement = select(Conversation).where(
        Conversation.contact_id == contact.id,
        channel_clause(Conversation.channel_id, visible),
    )
    if channel_id is not None:
        statement = statement.where(Conversation.channel_id == channel_id)
    # Locked and read afresh, as get_or_create_conversation does, because the
    # send stores a message that updates the conversation's derived columns.
    statement = (
        statement.order_by(Conversation.last_inbound_at.desc().nulls_last())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _existing_by_client_id(
    session: AsyncSession, client_message_id: str, visible: set[int] | None
) -> Message | None:
    statement = select(Message).where(Message.client_message_id == client_message_id)
    existing = (await session.execute(statement)).scalar_one_or_none()
    if existing is not None and not can_see_channel(visible, existing.channel_id):
        raise ConflictError(
            f"client_message_id {client_message_id} is already used; send a new one."
        )
    return existing


async def queue_text(
    session: AsyncSession,
    user: User,
    request: SendTextRequest,
    visible: set[int] | None = None,
) -> tuple[Message, bool]:
    """Store a pending text message; return it and whether it is new.

    A request whose ``client_message_id`` was seen before returns the earlier
    message, so a double click or a retried request never sends twice.
    ``visible`` lists the channels the user may send from (None for all).
    """
    return await _queue_outbound(
        session,
        user,
        visible,
        wa_id=request.wa_id,
        channel_id=request.channel_id,
        client_message_id=request.client_message_id,
        message_type="text",
        content=request.text,
        reply_to_wa_message_id=request.reply_to_wa_message_id,
    )


async def queue_media(
    session: AsyncSession,
    user: User,
    request: SendMediaRequest,
    prepared: PreparedMedia,
    visible: set[int] | None = None,
) -> tuple[Message, bool]:
    """Store a pending media message and its stored file, as ``queue_text`` does."""
    caption = request.caption if prepared.kind in CAPTION_KINDS else None
    message, created = await _queue_outbound(
        session,
        user,
        visible,
        wa_id=request.wa_id,
        channel_id=request.channel_id,
        client_message_id=request.client_message_id,
        message_type=prepared.kind,
        content=caption,
        media_id=new_local_media_id(),
        media_mime_type=prepared.mime_type,
        media_filename=prepared.filename,
        media_voice=prepared.voice,
    )
    if created:
        record_outbound_media(session, message, prepared)
        await session.flush()
    return message, created


async def resolve_recipient(
    session: AsyncSession,
    wa_id: str,
    channel_id: int | None,
    visible: set[int] | None = None,
) -> tuple[Contact, Conversation, Channel]:
    """Find where free-form content to ``wa_id`` goes, or raise.

    Raises ``NotFoundError`` for an unknown contact or channel,
    ``WindowClosedError`` outside the 24-hour window, and ``ConflictError``
    for a deactivated channel.
    """
    if channel_id is not None:
        ensure_channel_visible(visible, channel_id)
        await get_channel(session, channel_id)
    contact = await find_contact_by_any_id(session, wa_id)
    if contact is None:
        raise NotFoundError(f"Contact {wa_id} not found.")
    await ensure_contact_visible(session, contact, visible, wa_id)
    conversation = await _pick_conversation(session, contact, channel_id, visible)
    if not is_window_open(conversation):
        raise WindowClosedError(
            f"The 24-hour window with {contact.wa_id} is closed; free text cannot be sent. "
            "Send an approved template instead.",
            wa_id=contact.wa_id,
        )
    assert conversation is not None
    channel = await get_channel(session, conversation.channel_id)
    if not channel.is_active:
        raise ConflictError(
            f"Channel {channel.id} is deactivated; choose an active channel."
        )
    return contact, conversation, channel


async def find_by_client_message_id(
    session: AsyncSession,
    client_message_id: str | None,
    visible: set[int] | None = None,
) -> Message | None:
    """Return the message stored under this idempotency key, or None.

    A key used on a channel outside ``visible`` raises a conflict instead of
    returning that message.
    """
    if not client_message_id:
        return None
    return await _existing_by_client_id(session, client_message_id, visible)


async def _queue_outbound(
    session: AsyncSession,
    user: User,
    visible: set[int] | None,
    *,
    wa_id: str,
    channel_id: int | None,
    client_message_id: str | None,
    message_type: str,
    content: str | None,
    **columns: Any,
) -> tuple[Message, bool]:
    if client_message_id:
        existing = await _existing_by_client_id(session, client_message_id, visible)
        if existing is not None:
            contact = await find_contact_by_any_id(session, wa_id)
            return _same_request(existing, contact, client_message_id, content), False
    contact, conversation, channel = await resolve_recipient(
        session, wa_id, channel_id, visible
    )
    message = Message(
        client_message_id=client_message_id,
        channel_id=channel.id,
        contact_id=contact.id,
        conversation_id=conversation.id,
        contact_wa_id=conversation.recipient_wa_id or contact.wa_id,
        direction=DIRECTION_OUTBOUND,
        message_type=message_type,
        content=content,
        timestamp=utcnow(),
        status=STATUS_PENDING,
        sent_by_user_id=user.id,
        **columns,
    )
    stored, created = await store_pending(session, conversation, message)
    if not created:
        return _same_request(stored, contact, client_message_id, content), False
    return stored, True


async def existing_send(
    session: AsyncSession, client_message_id: str | None
) -> Message | None:
    """Return the message an earlier request with this idempotency key stored."""
    if not client_message_id:
        return None
    return await _existing_by_client_id(session, client_message_id, None)


async def store_pending(
    session: AsyncSession, conversation: Conversation, message: Message
) -> tuple[Message, bool]:
    """Insert a pending outbound message and move its conversation forward.

    Returns the message and True, or the message that a concurrent request with
    the same ``client_message_id`` stored first and False.
    """
    try:
        async with session.begin_nested():
            session.add(message)
            await session.flush()
    except IntegrityError:
        if message.client_message_id:
            existing = await _existing_by_client_id(
                session, message.client_message_id, None
            )
            if existing is not None:
                return existing, False
        raise
    contact = await session.get(Contact, message.contact_id)
    await record_message_waits(
        session,
        conversation,
        direction=DIRECTION_OUTBOUND,
        message_type=message.message_type,
        timestamp=message.timestamp,
        status=message.status,
        sent_by_user_id=message.sent_by_user_id,
    )
    record_message(
        conversation,
        contact=contact,
        message_type=message.message_type,
        content=message.content,
        timestamp=message.timestamp,
        direction=DIRECTION_OUTBOUND,
    )
    return message, True


def _same_request(
    existing: Message,
    contact: Contact | None,
    client_message_id: str | None,
    content: str | None,
) -> Message:
    """Return the earlier message of a repeated request, or raise if it differs."""
    if (
        contact is None
        or existing.contact_id != contact.id
        or existing.content != content
    ):
        raise ConflictError(
            f"client_message_id {client_message_id} was already used for "
            "another message; generate a new id for each message."
        )
    return existing


def _recipient_fields(address: str) -> dict[str, str]:
    if is_phone_wa_id(address):
        return {"recipient_type": "individual", "to": address}
    return {"recipient_type": "individual", "recipient": address}


def build_payload(message: Message) -> dict[str, Any]:
    """Build the body of ``POST /<PHONE_NUMBER_ID>/messages`` for a stored message."""
    if message.message_type == "template":
        return build_template_payload(message)
    if message.message_type in MEDIA_KINDS:
        return build_media_payload(message)
    return build_text_payload(message)


def build_media_payload(message: Message) -> dict[str, Any]:
    """Send a file by the media id Meta gave its upload."""
    media: dict[str, Any] = {"id": message.media_id}
    if message.content and message.message_type in CAPTION_KINDS:
        media["caption"] = message.content
    if message.message_type == "document" and message.media_filename:
        media["filename"] = message.media_filename
    if message.message_type == "audio" and message.media_voice:
        media["voice"] = True
    payload: dict[str, Any] = {
        **_recipient_fields(message.contact_wa_id),
        "type": message.message_type,
        message.message_type: media,
    }
    if message.reply_to_wa_message_id:
        payload["context"] = {"message_id": message.reply_to_wa_message_id}
    return payload


def build_template_payload(message: Message) -> dict[str, Any]:
    """Send the name, language and components stored when the template was queued."""
    template = message.template or {}
    return {
        **_recipient_fields(message.contact_wa_id),
        "type": "template",
        "template": {
            "name": template.get("name"),
            "language": {"code": template.get("language"), "policy": "deterministic"},
            "components": template.get("components") or [],
        },
    }


def build_text_payload(message: Message) -> dict[str, Any]:
    payload: dict[str, Any] = {
        **_recipient_fields(message.contact_wa_id),
        "type": "text",
        "text": {"body": message.content or "", "preview_url": True},
    }
    if message.reply_to_wa_message_id:
        payload["context"] = {"message_id": message.reply_to_wa_message_id}
    return payload


async def deliver(state: AppState, message_id: int) -> Message:
    """Send a pending message through the Graph API and store the outcome.

    A media message whose file Meta has not seen yet is uploaded first; the
    upload's media id replaces the local one before the send.
    """
    async with unit_of_work(state.session_factory) as session:
        message = await session.get(Message, message_id)
        if message is None:
            raise NotFoundError(f"Message {message_id} not found.")
        channel = await session.get(Channel, message.channel_id)
        assert channel is not None
        token = state.cipher.decrypt(channel.whatsapp_token)
        phone_number_id = channel.phone_number_id
        local_file = None
        if is_local_media_id(message.media_id):
            local_file = await get_media_file(session, message.media_id or "")
        payload = None if local_file else build_payload(message)
    try:
        if local_file is not None:
            payload = await _upload_media(
                state, message_id, phone_number_id, token, local_file
            )
        assert payload is not None
        response = await state.graph.send_message(phone_number_id, token, payload)
    except GraphAPIError as exc:
        log.warning(
            "message.send_failed",
            message_id=message_id,
            code=exc.code,
            http_status=exc.http_status,
        )
        return await _store_failure(state, message_id, exc)
    return await _store_success(state, message_id, response)


async def _upload_media(
    state: AppState,
    message_id: int,
    phone_number_id: str,
    token: str,
    local_file: MediaFile,
) -> dict[str, Any]:
    """Upload a message's file to Meta, keep Meta's media id and return the
    payload that sends it."""
    meta_media_id = await upload_to_meta(
        state.graph, state.media_storage, phone_number_id, token, local_file
    )
    async with unit_of_work(state.session_factory) as session:
        message = await session.get(Message, message_id)
        assert message is not None
        await adopt_meta_media_id(session, message, meta_media_id)
        return build_payload(message)


async def _store_failure(
    state: AppState, message_id: int, exc: GraphAPIError
) -> Message:
    async with unit_of_work(state.session_factory) as session:
        message = await session.get(Message, message_id)
        assert message is not None
        await mark_failed(session, message, exc.code, exc.title, exc.details)
    SENDS.labels("failed", str(exc.code or 0)).inc()
    await state.events.publish([_status_event(message)])
    return message


async def _store_success(
    state: AppState, message_id: int, response: dict[str, Any]
) -> Message:
    sent = (response.get("messages") or [{}])[0]
    wa_message_id = str(sent.get("id") or "")[:255] or None
    returned = (response.get("contacts") or [{}])[0]
    async with unit_of_work(state.session_factory) as session:
        message = await session.get(Message, message_id)
        assert message is not None
        message.wa_message_id = wa_message_id
        if message.status == STATUS_PENDING:
            message.status = STATUS_SENT
        await _remember_returned_wa_id(session, message, returned)
        await session.flush()
        events = [_status_event(message)]
        if wa_message_id:
            events += await apply_pending_statuses(session, wa_message_id)
    log.info("message.sent", message_id=message_id)
    SENDS.labels("sent", "0").inc()
    await state.events.publish(events)
    return message


async def _remember_returned_wa_id(
    session: AsyncSession, message: Message, returned: dict[str, Any]
) -> None:
    """Record the wa_id Meta answered with as an alias of the contact.

    When the message went to the number an agent typed (the contact's own
    ``wa_id``) and Meta names the account differently, for example a Brazilian
    mobile registered without the ninth digit, the contact and the conversation
    take Meta's form, and the typed number stays an alias.
    """
    wa_id = returned.get("wa_id")
    if not isinstance(wa_id, str) or not is_phone_wa_id(wa_id):
        return
    contact = await session.get(Contact, message.contact_id)
    if contact is None or wa_id == contact.wa_id:
        return
    await add_identity(session, contact, IdentityClaims(phone=wa_id))
    if message.contact_wa_id != contact.wa_id:
        return
    taken = await session.execute(select(Contact.id).where(Contact.wa_id == wa_id))
    if taken.scalar_one_or_none() is None:
        contact.wa_id = wa_id
    conversation = await session.get(Conversation, message.conversation_id)
    if conversation is not None and conversation.recipient_wa_id in (
        None,
        message.contact_wa_id,
    ):
        conversation.recipient_wa_id = wa_id


def new_message_event(message: Message) -> Event:
    """Build the event that shows a just-stored outbound message in every browser."""
    return Event(
        "message.new",
        {
            "message_id": message.id,
            "conversation_id": message.conversation_id,
            "channel_id": message.channel_id,
            "direction": DIRECTION_OUTBOUND,
        },
    )


def _status_event(message: Message) -> Event:
    return Event(
        "message.status",
        {
            "message_id": message.id,
            "conversation_id": message.conversation_id,
            "status": message.status,
        },
    )

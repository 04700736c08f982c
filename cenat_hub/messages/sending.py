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

from cenat_hub.channels.service import get_channel
from cenat_hub.contacts.identity import (
    IdentityClaims,
    add_identity,
    find_contact_by_any_id,
)
from cenat_hub.contacts.phone import is_phone_wa_id
from cenat_hub.conversations.service import is_window_open, record_message
from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.errors import ConflictError, NotFoundError
from cenat_hub.events.hub import Event
from cenat_hub.integrations.whatsapp.errors import GraphAPIError
from cenat_hub.messages.schemas import SendTextRequest
from cenat_hub.messages.statuses import apply_pending_statuses, mark_failed
from cenat_hub.models import Channel, Contact, Conversation, Message, User
from cenat_hub.models.message import DIRECTION_OUTBOUND, STATUS_PENDING, STATUS_SENT
from cenat_hub.web.state import AppState

log = structlog.get_logger(__name__)


class WindowClosedError(ConflictError):
    code = "window_closed"


async def _pick_conversation(
    session: AsyncSession, contact: Contact, channel_id: int | None
) -> Conversation | None:
    statement = select(Conversation).where(Conversation.contact_id == contact.id)
    if channel_id is not None:
        statement = statement.where(Conversation.channel_id == channel_id)
    statement = statement.order_by(
        Conversation.last_inbound_at.desc().nulls_last()
    ).limit(1)
    return (await session.execute(statement)).scalar_one_or_none()


async def _existing_by_client_id(
    session: AsyncSession, client_message_id: str
) -> Message | None:
    statement = select(Message).where(Message.client_message_id == client_message_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def queue_text(
    session: AsyncSession, user: User, request: SendTextRequest
) -> tuple[Message, bool]:
    """Store a pending text message; return it and whether it is new.

    A request whose ``client_message_id`` was seen before returns the earlier
    message, so a double click or a retried request never sends twice.
    """
    if request.client_message_id:
        existing = await _existing_by_client_id(session, request.client_message_id)
        if existing is not None:
            return existing, False
    contact = await find_contact_by_any_id(session, request.wa_id)
    if contact is None:
        raise NotFoundError(f"Contact {request.wa_id} not found.")
    conversation = await _pick_conversation(session, contact, request.channel_id)
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
    message = Message(
        client_message_id=request.client_message_id,
        channel_id=channel.id,
        contact_id=contact.id,
        conversation_id=conversation.id,
        contact_wa_id=conversation.recipient_wa_id or contact.wa_id,
        direction=DIRECTION_OUTBOUND,
        message_type="text",
        content=request.text,
        timestamp=utcnow(),
        status=STATUS_PENDING,
        reply_to_wa_message_id=request.reply_to_wa_message_id,
        sent_by_user_id=user.id,
    )
    try:
        async with session.begin_nested():
            session.add(message)
            await session.flush()
    except IntegrityError:
        if request.client_message_id:
            existing = await _existing_by_client_id(session, request.client_message_id)
            if existing is not None:
                return existing, False
        raise
    record_message(
        conversation,
        contact=contact,
        message_type="text",
        content=request.text,
        timestamp=message.timestamp,
        direction=DIRECTION_OUTBOUND,
    )
    return message, True


def _recipient_fields(address: str) -> dict[str, str]:
    if is_phone_wa_id(address):
        return {"recipient_type": "individual", "to": address}
    return {"recipient_type": "individual", "recipient": address}


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
    """Send a pending message through the Graph API and store the outcome."""
    async with unit_of_work(state.session_factory) as session:
        message = await session.get(Message, message_id)
        if message is None:
            raise NotFoundError(f"Message {message_id} not found.")
        channel = await session.get(Channel, message.channel_id)
        assert channel is not None
        payload = build_text_payload(message)
        token = state.cipher.decrypt(channel.whatsapp_token)
        phone_number_id = channel.phone_number_id
    try:
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


async def _store_failure(
    state: AppState, message_id: int, exc: GraphAPIError
) -> Message:
    async with unit_of_work(state.session_factory) as session:
        message = await session.get(Message, message_id)
        assert message is not None
        await mark_failed(session, message, exc.code, exc.title, exc.details)
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
    await state.events.publish(events)
    return message


async def _remember_returned_wa_id(
    session: AsyncSession, message: Message, returned: dict[str, Any]
) -> None:
    """Record the wa_id Meta answered with as an alias of the contact."""
    wa_id = returned.get("wa_id")
    if not isinstance(wa_id, str) or not is_phone_wa_id(wa_id):
        return
    contact = await session.get(Contact, message.contact_id)
    if contact is not None and wa_id != contact.wa_id:
        await add_identity(session, contact, IdentityClaims(phone=wa_id))


def _status_event(message: Message) -> Event:
    return Event(
        "message.status",
        {
            "message_id": message.id,
            "conversation_id": message.conversation_id,
            "status": message.status,
        },
    )

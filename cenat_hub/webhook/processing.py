"""Process one archived webhook body: every entry, change, message and status."""

import json
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.identity import IdentityClaims
from cenat_hub.events.hub import Event
from cenat_hub.integrations.whatsapp.inbound import (
    MessageError,
    parse_inbound_message,
    parse_status,
    text,
)
from cenat_hub.integrations.whatsapp.webhook_models import (
    ChangeValue,
    WebhookContact,
    WebhookPayload,
)
from cenat_hub.messages.inbound import ingest_echo, ingest_inbound
from cenat_hub.messages.statuses import record_status
from cenat_hub.models import Channel
from cenat_hub.templates.sync import apply_status_webhook

log = structlog.get_logger(__name__)

FIELD_MESSAGES = "messages"
FIELD_ECHOES = "smb_message_echoes"
FIELD_TEMPLATE_STATUS = "message_template_status_update"


class UnreadableBodyError(ValueError):
    """The archived body is not a JSON object; it is kept but cannot be processed."""


def parse_body(body: bytes) -> WebhookPayload:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise UnreadableBodyError(f"body is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise UnreadableBodyError("body is JSON but not an object")
    return WebhookPayload.model_validate(document)


async def process_payload(
    session: AsyncSession, payload: WebhookPayload, received_at: datetime
) -> list[Event]:
    """Apply a whole webhook body; return the events to publish after commit."""
    events: list[Event] = []
    for entry in payload.entry:
        for change in entry.changes:
            if change.field == FIELD_TEMPLATE_STATUS:
                await apply_status_webhook(session, entry.id, change.value)
                continue
            if change.field not in (FIELD_MESSAGES, FIELD_ECHOES):
                log.info("webhook.field_ignored", field=change.field, waba_id=entry.id)
                continue
            value = change.parsed_value()
            channel = await _active_channel(session, value.metadata.phone_number_id)
            if channel is None:
                log.info(
                    "webhook.unknown_phone_number_id",
                    phone_number_id=value.metadata.phone_number_id,
                )
                continue
            if change.field == FIELD_MESSAGES:
                events += await _process_messages_value(
                    session, channel, value, received_at
                )
            else:
                events += await _process_echoes(session, channel, value, received_at)
    return events


async def _active_channel(
    session: AsyncSession, phone_number_id: str | None
) -> Channel | None:
    if not phone_number_id:
        return None
    statement = select(Channel).where(
        Channel.phone_number_id == phone_number_id, Channel.is_active.is_(True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


def _profile_for(
    raw: dict[str, object], contacts: list[WebhookContact]
) -> WebhookContact | None:
    """Find the ``contacts[]`` entry of a message's sender."""
    sender_ids = {raw.get("from"), raw.get("from_user_id")} - {None}
    for contact in contacts:
        if sender_ids & {contact.wa_id, contact.user_id}:
            return contact
    return contacts[0] if len(contacts) == 1 else None


async def _process_messages_value(
    session: AsyncSession, channel: Channel, value: ChangeValue, received_at: datetime
) -> list[Event]:
    events: list[Event] = []
    value_error = MessageError.first_of(value.errors)
    for raw in value.messages:
        message = parse_inbound_message(raw, received_at)
        if message is None:
            log.warning(
                "webhook.message_without_id", phone_number_id=channel.phone_number_id
            )
            continue
        if value_error and "error_code" not in message.columns:
            message.columns.update(
                error_code=value_error.code,
                error_title=value_error.title,
                error_message=value_error.message,
                error_details=value_error.details,
            )
        profile = _profile_for(raw, value.contacts)
        events += await ingest_inbound(session, channel, message, profile)
    for raw in value.statuses:
        status = parse_status(raw, received_at, value_error)
        if status is None:
            log.warning(
                "webhook.status_without_id", phone_number_id=channel.phone_number_id
            )
            continue
        events += await record_status(session, status)
    return events


async def _process_echoes(
    session: AsyncSession, channel: Channel, value: ChangeValue, received_at: datetime
) -> list[Event]:
    events: list[Event] = []
    for raw in value.message_echoes:
        message = parse_inbound_message(raw, received_at)
        if message is None:
            continue
        recipient = IdentityClaims(
            phone=text(raw.get("to"), 150),
            user_id=text(raw.get("to_user_id"), 150),
            parent_user_id=text(raw.get("to_parent_user_id"), 150),
        )
        events += await ingest_echo(session, channel, message, recipient)
    return events

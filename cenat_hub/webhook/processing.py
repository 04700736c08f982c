"""Process one archived webhook body: every entry, change, message and status."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.identity import IdentityClaims
from cenat_hub.events.hub import Event
from cenat_hub.integrations.whatsapp.inbound import (
    InboundMessage,
    InboundStatus,
    MessageError,
    parse_inbound_message,
    parse_status,
    text,
)
from cenat_hub.integrations.whatsapp.sanitize import clean_document
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
    except RecursionError as exc:
        raise UnreadableBodyError("body is nested too deeply to parse") from exc
    if not isinstance(document, dict):
        raise UnreadableBodyError("body is JSON but not an object")
    return WebhookPayload.model_validate(clean_document(document))


@dataclass
class WorkItem:
    """One message, status or echo of a body, parsed and addressed to a number."""

    phone_number_id: str | None
    message: InboundMessage | None = None
    profile: WebhookContact | None = None
    status: InboundStatus | None = None
    echo_recipient: IdentityClaims | None = None
    # (WABA id, change value) of a template status change; it names no number.
    template_update: tuple[str | None, dict[str, Any]] | None = None

    @property
    def label(self) -> str:
        if self.message is not None:
            return self.message.wa_message_id
        if self.status is not None:
            return f"status {self.status.status} of {self.status.wa_message_id}"
        return "item"


def plan_payload(payload: WebhookPayload, received_at: datetime) -> list[WorkItem]:
    """List every item of a body in order, without touching the database."""
    items: list[WorkItem] = []
    for entry in payload.entry:
        for change in entry.changes:
            if change.field == FIELD_TEMPLATE_STATUS:
                items.append(WorkItem(None, template_update=(entry.id, change.value)))
                continue
            if change.field not in (FIELD_MESSAGES, FIELD_ECHOES):
                log.info("webhook.field_ignored", field=change.field, waba_id=entry.id)
                continue
            value = change.parsed_value()
            if change.field == FIELD_MESSAGES:
                items += _plan_messages_value(value, received_at)
            else:
                items += _plan_echoes(value, received_at)
    return items


async def apply_items(
    session: AsyncSession,
    items: list[WorkItem],
    channels: dict[str | None, Channel | None] | None = None,
) -> list[Event]:
    """Store a list of items; return the events to publish after commit."""
    channels = {} if channels is None else channels
    events: list[Event] = []
    for item in items:
        if item.template_update is not None:
            await apply_status_webhook(session, *item.template_update)
            continue
        if item.phone_number_id not in channels:
            channels[item.phone_number_id] = await _active_channel(
                session, item.phone_number_id
            )
        channel = channels[item.phone_number_id]
        if channel is None:
            continue
        if item.message is not None and item.echo_recipient is not None:
            events += await ingest_echo(
                session, channel, item.message, item.echo_recipient
            )
        elif item.message is not None:
            events += await ingest_inbound(session, channel, item.message, item.profile)
        elif item.status is not None:
            events += await record_status(session, item.status)
    return events


async def process_payload(
    session: AsyncSession, payload: WebhookPayload, received_at: datetime
) -> list[Event]:
    """Apply a whole webhook body in the caller's transaction."""
    return await apply_items(session, plan_payload(payload, received_at))


async def _active_channel(
    session: AsyncSession, phone_number_id: str | None
) -> Channel | None:
    """Return the active channel a change is addressed to.

    Changes for unknown or deactivated numbers are skipped. The body they
    came in stays in the webhook archive, so nothing Meta sent is lost.
    """
    if not phone_number_id:
        log.info("webhook.unknown_phone_number_id", phone_number_id=None)
        return None
    statement = select(Channel).where(Channel.phone_number_id == phone_number_id)
    channel = (await session.execute(statement)).scalar_one_or_none()
    if channel is None:
        log.info("webhook.unknown_phone_number_id", phone_number_id=phone_number_id)
        return None
    if not channel.is_active:
        log.info("webhook.channel_inactive", channel_id=channel.id)
        return None
    return channel


def _profile_for(
    raw: dict[str, object], contacts: list[WebhookContact]
) -> WebhookContact | None:
    """Find the ``contacts[]`` entry of a message's sender."""
    sender_ids = {raw.get("from"), raw.get("from_user_id")} - {None}
    for contact in contacts:
        if sender_ids & {contact.wa_id, contact.user_id}:
            return contact
    return contacts[0] if len(contacts) == 1 else None


def _plan_messages_value(value: ChangeValue, received_at: datetime) -> list[WorkItem]:
    phone_number_id = value.metadata.phone_number_id
    value_error = MessageError.first_of(value.errors)
    items: list[WorkItem] = []
    for raw in value.messages:
        message = parse_inbound_message(raw, received_at)
        if message is None:
            log.warning("webhook.message_without_id", phone_number_id=phone_number_id)
            continue
        if value_error and "error_code" not in message.columns:
            message.columns.update(
                error_code=value_error.code,
                error_title=value_error.title,
                error_message=value_error.message,
                error_details=value_error.details,
            )
        profile = _profile_for(raw, value.contacts)
        items.append(WorkItem(phone_number_id, message=message, profile=profile))
    for raw in value.statuses:
        status = parse_status(raw, received_at, value_error)
        if status is None:
            log.warning("webhook.status_without_id", phone_number_id=phone_number_id)
            continue
        items.append(WorkItem(phone_number_id, status=status))
    return items


def _plan_echoes(value: ChangeValue, received_at: datetime) -> list[WorkItem]:
    items: list[WorkItem] = []
    for raw in value.message_echoes:
        message = parse_inbound_message(raw, received_at)
        if message is None:
            continue
        recipient = IdentityClaims(
            phone=text(raw.get("to"), 150),
            user_id=text(raw.get("to_user_id"), 150),
            parent_user_id=text(raw.get("to_parent_user_id"), 150),
        )
        items.append(
            WorkItem(
                value.metadata.phone_number_id,
                message=message,
                echo_recipient=recipient,
            )
        )
    return items

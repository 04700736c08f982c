"""Leads writing to a business number: build the inbound webhook, open the 24-hour
window and deliver the webhook to the hub."""

from typing import TYPE_CHECKING, Any

import structlog

from cenat_hub.simulator.envelope import display_digits
from cenat_hub.simulator.errors import LeadControlError
from cenat_hub.simulator.ids import new_wamid
from cenat_hub.simulator.media import MediaItem
from cenat_hub.simulator.payloads import (
    DEFAULT_DOCUMENT_NAME,
    MEDIA_SAMPLES,
    REPLY_TYPES,
    TARGETED_TYPES,
    InboundParts,
    LeadMessage,
    inbound_webhook,
    reply_context,
)
from cenat_hub.simulator.sample_files import pdf_document

if TYPE_CHECKING:
    from cenat_hub.simulator.state import SimulatorState

log = structlog.get_logger(__name__)


async def send_lead_message(
    state: "SimulatorState", lead: LeadMessage
) -> dict[str, Any]:
    """Deliver one message from a lead and return ``wa_message_id``, ``payload`` and
    ``hub_status``.

    ``hub_status`` is the HTTP status of the first delivery attempt, or ``None``
    when the hub could not be reached. Retries of a failed delivery continue in
    the background. A lead registered under the other Brazilian form of its
    ``wa_id`` writes from the registered form, as WhatsApp would.
    """
    number = state.numbers.get(lead.phone_number_id)
    if number is None:
        raise LeadControlError(
            404, f"Phone number id {lead.phone_number_id} not found."
        )
    lead = _registered_lead(state, lead)

    parts = _inbound_parts(state, lead)
    payload = inbound_webhook(number, lead, parts)
    _record_inbound(state, lead, parts, payload)

    delivery = await state.webhooks.start(payload)
    if not delivery.delivered:
        state.spawn(state.webhooks.finish(delivery))
    log.info(
        "simulator.lead_message_sent",
        phone_number_id=number.phone_number_id,
        wamid=parts.wamid,
        message_type=lead.type,
        hub_status=delivery.attempt_statuses[0],
    )
    return {
        "wa_message_id": parts.wamid,
        "payload": payload,
        "hub_status": delivery.attempt_statuses[0],
    }


def _registered_lead(state: "SimulatorState", lead: LeadMessage) -> LeadMessage:
    """Register the lead and return it with its canonical wa_id."""
    if not lead.wa_id:
        return lead
    wa_id = state.canonical_wa_id(lead.wa_id)
    state.register_lead(wa_id, lead.name, lead.user_id)
    return lead.model_copy(update={"wa_id": wa_id})


def _record_inbound(
    state: "SimulatorState",
    lead: LeadMessage,
    parts: InboundParts,
    payload: dict[str, Any],
) -> None:
    """Store the message and open the lead's 24-hour window with this number.

    A system message (the lead changed number) is not written by the lead, so it
    leaves the window as it was.
    """
    if lead.type != "system":
        _open_window(state, lead, parts.timestamp)
    state.inbound_messages.append(
        {
            "phone_number_id": lead.phone_number_id,
            "wamid": parts.wamid,
            "payload": payload,
            "time": state.clock(),
        }
    )


def _lead_keys(lead: LeadMessage) -> set[str]:
    return {key for key in (lead.wa_id, lead.user_id) if key}


def _open_window(state: "SimulatorState", lead: LeadMessage, timestamp: int) -> None:
    for key in _lead_keys(lead):
        state.last_inbound_at[(lead.phone_number_id, key)] = float(timestamp)


def _inbound_parts(state: "SimulatorState", lead: LeadMessage) -> InboundParts:
    media = _store_sample_media(state, lead)
    media_url = (
        state.media.download_url(media.media_id) if media and lead.with_url else None
    )
    latest = state.last_message_to(lead.phone_number_id, _lead_keys(lead))
    return InboundParts(
        wamid=new_wamid(),
        timestamp=int(state.clock()),
        media=media,
        media_url=media_url,
        context=_context(state, lead, latest),
        target_id=_target(lead, latest),
    )


def _store_sample_media(state: "SimulatorState", lead: LeadMessage) -> MediaItem | None:
    sample = MEDIA_SAMPLES.get(lead.type)
    if sample is None:
        return None
    make_file, mime_type = sample
    filename = None
    data = make_file()
    if lead.type == "document":
        filename = lead.filename or DEFAULT_DOCUMENT_NAME
        data = pdf_document(lead.caption or filename)
    if lead.file_data is not None:
        data = lead.file_data
    return state.media.add(
        data, lead.mime_type or mime_type, lead.phone_number_id, filename
    )


def _context(
    state: "SimulatorState", lead: LeadMessage, latest: str | None
) -> dict[str, Any] | None:
    """Quote ``reply_to``, or for replies to buttons and lists the latest business
    message. ``from`` is the lead when it quotes itself, else the business."""
    quoted = lead.reply_to
    if quoted is None and lead.type in REPLY_TYPES:
        quoted = latest
    if quoted is None:
        return None
    sent_by_lead = any(record["wamid"] == quoted for record in state.inbound_messages)
    if sent_by_lead and lead.wa_id:
        return reply_context(quoted, lead.wa_id)
    return reply_context(quoted, display_digits(state.numbers[lead.phone_number_id]))


def _target(lead: LeadMessage, latest: str | None) -> str | None:
    if lead.type not in TARGETED_TYPES:
        return None
    target = lead.target_id or lead.reply_to or latest
    if target is None:
        raise LeadControlError(
            400,
            f"A {lead.type} needs target_id, because the business has not sent this "
            "lead a message yet.",
        )
    return target

"""Inbound message webhooks: what a lead's phone makes Meta send, for every message
type the hub handles."""

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from cenat_hub.simulator.config import SimulatedNumber
from cenat_hub.simulator.envelope import webhook_envelope
from cenat_hub.simulator.media import MediaItem
from cenat_hub.simulator.sample_files import (
    jpeg_image,
    mp3_audio,
    mp4_video,
    ogg_opus_audio,
    pdf_document,
    webp_image,
)

LeadMessageType = Literal[
    "text",
    "image",
    "video",
    "audio",
    "voice",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "button",
    "interactive_button",
    "list",
    "flow",
    "call_permission_reply",
    "order",
    "unsupported",
    "request_welcome",
    "system",
    "edit",
    "revoke",
]

# Message types that carry a media file: sample bytes and their MIME type.
MEDIA_SAMPLES: dict[str, tuple[Callable[[], bytes], str]] = {
    "image": (jpeg_image, "image/jpeg"),
    "video": (mp4_video, "video/mp4"),
    "audio": (mp3_audio, "audio/mpeg"),
    "voice": (ogg_opus_audio, "audio/ogg; codecs=opus"),
    "document": (pdf_document, "application/pdf"),
    "sticker": (webp_image, "image/webp"),
}
# Types that refer to an earlier message through ``target_id``.
TARGETED_TYPES = {"reaction", "edit", "revoke"}
# Types that reply to a business message and so carry ``context`` by default.
REPLY_TYPES = {"button", "interactive_button", "list", "flow", "call_permission_reply"}
DEFAULT_TEXT = "Olá! Gostaria de saber mais sobre a Pós-Graduação em Saúde Mental."
DEFAULT_DOCUMENT_NAME = "ficha de inscrição.pdf"


class LeadMessage(BaseModel):
    """A message that a simulated lead sends to one of the business numbers.

    Give ``wa_id``, ``user_id`` (a BSUID) or both; a lead with only a BSUID sends
    without ``from``, as username users do. ``text`` is the text body, the tapped
    button or row title, the new text of an ``edit``, or the ``unsupported.type``.
    ``target_id`` is the message that a reaction, edit or revoke refers to.
    ``reply_to`` is the message that a reply quotes. Both default to the latest
    message the business sent the lead. ``emoji=None`` on a reaction removes it
    with the ``emoji`` key absent. ``content`` replaces the generated type object.
    ``file_data`` and ``mime_type`` replace the sample file of a media message.
    """

    model_config = ConfigDict(extra="forbid")

    phone_number_id: str
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    name: str | None = None
    type: LeadMessageType = "text"
    text: str | None = None
    caption: str | None = None
    filename: str | None = None
    reply_to: str | None = None
    target_id: str | None = None
    emoji: str | None = None
    reply_id: str | None = None
    animated: bool = False
    with_url: bool = False
    file_data: bytes | None = None
    mime_type: str | None = None
    referral: bool | dict[str, Any] | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False
    new_wa_id: str | None = None
    content: dict[str, Any] | list[Any] | None = None

    @model_validator(mode="after")
    def _require_identity(self) -> "LeadMessage":
        if not self.wa_id and not self.user_id:
            raise ValueError("A lead message needs wa_id, user_id or both.")
        if self.type == "system" and not self.new_wa_id:
            raise ValueError("A system message needs new_wa_id, the lead's new number.")
        return self


@dataclass(frozen=True)
class InboundParts:
    """What the simulator state decides for an inbound message before it is built:
    ids, time, the stored media file and the message it refers to."""

    wamid: str
    timestamp: int
    media: MediaItem | None = None
    media_url: str | None = None
    context: dict[str, Any] | None = None
    target_id: str | None = None


def inbound_webhook(
    number: SimulatedNumber, lead: LeadMessage, parts: InboundParts
) -> dict[str, Any]:
    """Build the signed-to-be webhook payload for one inbound message."""
    value: dict[str, Any] = {}
    if lead.type != "system":
        value["contacts"] = [_contact(lead)]
    value["messages"] = [_message(lead, parts)]
    return webhook_envelope(number, value)


def reply_context(quoted_wamid: str, quoted_sender: str) -> dict[str, Any]:
    return {"from": quoted_sender, "id": quoted_wamid}


def _contact(lead: LeadMessage) -> dict[str, Any]:
    contact: dict[str, Any] = {}
    profile = {"name": lead.name} if lead.name else {}
    if lead.username:
        profile["username"] = lead.username
    if profile:
        contact["profile"] = profile
    if lead.wa_id:
        contact["wa_id"] = lead.wa_id
    if lead.user_id:
        contact["user_id"] = lead.user_id
    if lead.parent_user_id:
        contact["parent_user_id"] = lead.parent_user_id
    return contact


def _message(lead: LeadMessage, parts: InboundParts) -> dict[str, Any]:
    wire_type, content, extra = _TYPE_BUILDERS[lead.type](lead, parts)
    if lead.content is not None:
        content = lead.content

    message: dict[str, Any] = {}
    context = _context(lead, parts)
    if context:
        message["context"] = context
    if lead.wa_id:
        message["from"] = lead.wa_id
    if lead.user_id:
        message["from_user_id"] = lead.user_id
    if lead.parent_user_id:
        message["from_parent_user_id"] = lead.parent_user_id
    message.update(
        {"id": parts.wamid, "timestamp": str(parts.timestamp), "type": wire_type}
    )
    if content is not None:
        message[wire_type] = content
    if lead.referral:
        message["referral"] = _referral(lead.referral)
    message.update(extra)
    return message


def _context(lead: LeadMessage, parts: InboundParts) -> dict[str, Any]:
    context = dict(parts.context or {})
    if lead.forwarded or lead.frequently_forwarded:
        context["forwarded"] = True
    if lead.frequently_forwarded:
        context["frequently_forwarded"] = True
    return context


def _referral(referral: bool | dict[str, Any]) -> dict[str, Any]:
    if isinstance(referral, dict):
        return referral
    return {
        "source_url": "https://example.invalid/anuncios/pos-saude-mental",
        "source_id": "120200000000000001",
        "source_type": "ad",
        "headline": "Pós-Graduação em Saúde Mental",
        "body": "Inscrições abertas! Fale com a gente pelo WhatsApp.",
        "media_type": "image",
        "image_url": "https://example.invalid/anuncios/pos-saude-mental.jpg",
        "ctwa_clid": "SIM" + secrets.token_urlsafe(24),
        "welcome_message": {"text": "Olá! Quer saber mais sobre a pós?"},
    }


BuiltType = tuple[str, Any, dict[str, Any]]


def _text(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    return "text", {"body": lead.text or DEFAULT_TEXT}, {}


def _media(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    """Build image, video, audio, voice, document and sticker objects."""
    assert parts.media is not None
    wire_type = "audio" if lead.type == "voice" else lead.type
    content: dict[str, Any] = {}
    if lead.caption and wire_type in {"image", "video", "document"}:
        content["caption"] = lead.caption
    if wire_type == "document":
        content["filename"] = parts.media.filename
    content["mime_type"] = parts.media.mime_type
    content["sha256"] = parts.media.sha256
    content["id"] = parts.media.media_id
    if parts.media_url:
        content["url"] = parts.media_url
    if wire_type == "audio":
        content["voice"] = lead.type == "voice"
    if wire_type == "sticker":
        content["animated"] = lead.animated
    return wire_type, content, {}


def _location(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    location = {
        "latitude": -23.5613,
        "longitude": -46.6565,
        "name": lead.text or "CENAT - Unidade Paulista",
        "address": "Rua Exemplo, 100 - Bela Vista, São Paulo - SP",
    }
    return "location", location, {}


def _contacts(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    card = {
        "name": {
            "formatted_name": "Maria Teste",
            "first_name": "Maria",
            "last_name": "Teste",
        },
        "phones": [
            {"phone": "+55 11 90000-0010", "wa_id": "5511900000010", "type": "CELL"}
        ],
        "emails": [{"email": "maria.teste@example.invalid", "type": "WORK"}],
    }
    return "contacts", [card], {}


def _reaction(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    reaction: dict[str, Any] = {"message_id": parts.target_id}
    if lead.emoji is not None:
        reaction["emoji"] = lead.emoji
    return "reaction", reaction, {}


def _template_button(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    title = lead.text or "Quero saber mais"
    return "button", {"payload": lead.reply_id or title, "text": title}, {}


def _interactive_button(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    reply = {"id": lead.reply_id or "btn_sim", "title": lead.text or "Sim"}
    return "interactive", {"type": "button_reply", "button_reply": reply}, {}


def _list_reply(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    row = {
        "id": lead.reply_id or "curso_saude_mental",
        "title": lead.text or "Saúde Mental",
        "description": "Pós-Graduação EAD, 12 meses",
    }
    return "interactive", {"type": "list_reply", "list_reply": row}, {}


def _flow_reply(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    response = {"flow_token": lead.reply_id or "flow-sim-1", "curso": "saude_mental"}
    reply = {"name": "flow", "body": "Sent", "response_json": json.dumps(response)}
    return "interactive", {"type": "nfm_reply", "nfm_reply": reply}, {}


def _call_permission_reply(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    reply = {
        "response": "accept",
        "expiration_timestamp": parts.timestamp + 7 * 24 * 3600,
        "response_source": "user_action",
        "is_permanent": False,
    }
    content = {"type": "call_permission_reply", "call_permission_reply": reply}
    return "interactive", content, {}


def _order(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    item = {
        "product_retailer_id": "pos-saude-mental",
        "quantity": 1,
        "item_price": 1490.0,
        "currency": "BRL",
    }
    order = {
        "catalog_id": "300000000000001",
        "text": lead.text or "",
        "product_items": [item],
    }
    return "order", order, {}


def _unsupported(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    error = {
        "code": 131051,
        "title": "Message type unknown",
        "message": "Message type unknown",
        "error_data": {"details": "Message type is currently not supported."},
    }
    return "unsupported", {"type": lead.text or "poll_creation"}, {"errors": [error]}


def _request_welcome(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    return "request_welcome", None, {}


def _system(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    system = {
        "body": f"User {lead.name or ''} changed from {lead.wa_id} to {lead.new_wa_id}",
        "wa_id": lead.new_wa_id,
        "type": "user_changed_number",
    }
    return "system", system, {}


def _edit(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    edited = {"type": "text", "text": {"body": lead.text or DEFAULT_TEXT}}
    return "edit", {"original_message_id": parts.target_id, "message": edited}, {}


def _revoke(lead: LeadMessage, parts: InboundParts) -> BuiltType:
    return "revoke", {"original_message_id": parts.target_id}, {}


_TYPE_BUILDERS: dict[str, Callable[[LeadMessage, InboundParts], BuiltType]] = {
    "text": _text,
    **{media_type: _media for media_type in MEDIA_SAMPLES},
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
    "button": _template_button,
    "interactive_button": _interactive_button,
    "list": _list_reply,
    "flow": _flow_reply,
    "call_permission_reply": _call_permission_reply,
    "order": _order,
    "unsupported": _unsupported,
    "request_welcome": _request_welcome,
    "system": _system,
    "edit": _edit,
    "revoke": _revoke,
}

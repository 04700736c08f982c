"""Helpers that turn stored messages and conversations into what a person reads.

Everything here treats lead data as hostile: text is escaped before any markup
is added, links are made only from http and https addresses, and structured
parts (shared contacts, flow responses) are read with their types checked.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup
from sqlalchemy import inspect
from sqlalchemy.orm.base import NO_VALUE

from cenat_hub.conversations.service import PREVIEW_LABELS, window_closes_at
from cenat_hub.db.types import utcnow
from cenat_hub.i18n import N_, day_label, format_time, gettext, short_when
from cenat_hub.messages.schemas import message_to_dict
from cenat_hub.models import Channel, Contact, Conversation, Message
from cenat_hub.models.message import STATUS_FAILED

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}*_~"
_LINK = Markup('<a href="{0}" target="_blank" rel="noopener noreferrer">{1}</a>')
MAX_QUOTE_CHARS = 160
MAX_CARD_ITEMS = 5
MAX_FLOW_FIELDS = 12

TYPE_LABELS = {
    "text": N_("Text"),
    "image": N_("Photo"),
    "video": N_("Video"),
    "audio": N_("Audio"),
    "voice": N_("Voice message"),
    "document": N_("Document"),
    "sticker": N_("Sticker"),
    "location": N_("Location"),
    "contacts": N_("Contact card"),
    "interactive": N_("Answer"),
    "button": N_("Button answer"),
    "order": N_("Order"),
    "template": N_("Template"),
    "system": N_("System notice"),
    "request_welcome": N_("Opened the conversation"),
    "unsupported": N_("Unsupported message"),
}

STATUS_LABELS = {
    "pending": N_("Sending"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "read": N_("Read"),
    "played": N_("Played"),
    "failed": N_("Not sent"),
    "received": N_("Received"),
}

LEAD_STATUS_LABELS = {
    "novo": N_("New"),
    "contato": N_("In contact"),
    "qualificado": N_("Qualified"),
    "matriculado": N_("Enrolled"),
    "perdido": N_("Lost"),
}

# The stored previews of non-text messages are Portuguese labels. Mapping them
# back to their type lets the list show them in the reader's language.
_PREVIEW_TYPES = {label: kind for kind, label in PREVIEW_LABELS.items()}


def linkify(value: str | None) -> Markup:
    """Escape text and turn its http and https addresses into links.

    Line breaks stay as they are, because the stylesheet keeps them
    (``white-space: pre-wrap``).
    """
    result = Markup("")
    if not value:
        return result
    position = 0
    for match in _URL.finditer(value):
        url = match.group(0)
        trimmed = url.rstrip(_TRAILING_PUNCTUATION)
        if trimmed.count("(") > trimmed.count(")") and url[len(trimmed) :].startswith(
            ")"
        ):
            trimmed += ")"
        # Adding a plain string to Markup escapes it.
        result += value[position : match.start()]
        result += _LINK.format(trimmed, trimmed)
        position = match.start() + len(trimmed)
    result += value[position:]
    return result


def safe_link(value: Any) -> str | None:
    """Return an http(s) address from lead data, or None."""
    if isinstance(value, str) and _URL.fullmatch(value.strip()):
        return value.strip()
    return None


def contact_label(contact: Contact) -> str:
    return contact.name or contact.username or format_wa_id(contact.wa_id)


def format_wa_id(wa_id: str) -> str:
    """Format a Brazilian number as +55 11 90000-0001 and any other as +digits."""
    if not wa_id.isdigit():
        return wa_id
    if wa_id.startswith("55") and len(wa_id) in (12, 13):
        local = wa_id[4:]
        return f"+55 {wa_id[2:4]} {local[:-4]}-{local[-4:]}"
    return f"+{wa_id}"


def preview_text(conversation: Conversation) -> str:
    preview = conversation.last_message_preview or ""
    kind = _PREVIEW_TYPES.get(preview)
    if kind and kind in TYPE_LABELS:
        return gettext(TYPE_LABELS[kind])
    return preview


def message_summary(message: Message) -> str:
    """Summarise a message in one line, for quotes and notifications."""
    if message.revoked:
        return gettext("Deleted message")
    if message.content:
        return message.content[:MAX_QUOTE_CHARS]
    if message.media_filename:
        return message.media_filename[:MAX_QUOTE_CHARS]
    return gettext(TYPE_LABELS.get(type_key(message), N_("Message")))


def type_key(message: Message) -> str:
    if message.message_type == "audio" and message.media_voice:
        return "voice"
    return message.message_type


def media_url(message: Message) -> str | None:
    if not message.media_id:
        return None
    return "/api/media/" + quote(message.media_id, safe="")


def media_view(message: Message) -> dict[str, Any]:
    """Return the message as the media macro reads it, download state included."""
    return message_to_dict(message)


@dataclass
class TemplateView:
    """The parts of a sent template that its bubble shows, checked for type."""

    name: str | None = None
    header_format: str | None = None
    header_text: str | None = None
    header_link: str | None = None
    header_name: str | None = None
    header_media_url: str | None = None
    location_name: str | None = None
    location_address: str | None = None
    body: str | None = None
    footer: str | None = None
    buttons: list[str] = field(default_factory=list)


def _text(value: Any, limit: int = 1024) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _stored_header_url(message: Message, media_id: Any) -> str | None:
    """Return the address of our copy of an uploaded header file, if we keep one."""
    if not isinstance(media_id, str) or not media_id:
        return None
    loaded = inspect(message).attrs.media_file.loaded_value
    if loaded is NO_VALUE or loaded is None:
        return None
    if loaded.media_id != media_id or loaded.state != "stored":
        return None
    return "/api/media/" + quote(media_id, safe="")


def template_view(message: Message) -> TemplateView:
    """Read the rendered copy of a template stored with the message it sent."""
    template = message.template if isinstance(message.template, dict) else {}
    header = template.get("header")
    header = header if isinstance(header, dict) else {}
    media = header.get("media") if isinstance(header.get("media"), dict) else {}
    location = header.get("location")
    location = location if isinstance(location, dict) else {}

    link = safe_link(media.get("link"))
    name = _text(media.get("filename"), 240)
    if name is None and link:
        name = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1][:240] or None

    buttons = template.get("buttons")
    button_texts = [
        button["text"][:100]
        for button in (buttons if isinstance(buttons, list) else [])[:MAX_CARD_ITEMS]
        if isinstance(button, dict) and isinstance(button.get("text"), str)
    ]
    header_format = _text(header.get("format"), 20)

    return TemplateView(
        header_media_url=_stored_header_url(message, media.get("id")),
        name=_text(template.get("name"), 512),
        header_format=header_format.upper() if header_format else None,
        header_text=_text(header.get("text"), 60),
        header_link=link,
        header_name=name,
        location_name=_text(location.get("name"), 300),
        location_address=_text(location.get("address"), 300),
        body=_text(template.get("body"), 4096) or message.content,
        footer=_text(template.get("footer"), 60),
        buttons=button_texts,
    )


def map_url(message: Message) -> str | None:
    if message.latitude is None or message.longitude is None:
        return None
    return f"https://maps.google.com/?q={message.latitude:.6f},{message.longitude:.6f}"


@dataclass
class ContactCard:
    name: str
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    organization: str | None = None


def _strings(items: Any, key: str) -> list[str]:
    if not isinstance(items, list):
        return []
    found = []
    for item in items[:MAX_CARD_ITEMS]:
        if isinstance(item, dict) and isinstance(item.get(key), str):
            found.append(item[key][:200])
    return found


def contact_cards(message: Message) -> list[ContactCard]:
    """Read the vCards a lead shared, checking the type of every field."""
    cards = []
    raw_cards = (
        message.shared_contacts if isinstance(message.shared_contacts, list) else []
    )
    for raw in raw_cards[:MAX_CARD_ITEMS]:
        if not isinstance(raw, dict):
            continue
        name = raw.get("name") if isinstance(raw.get("name"), dict) else {}
        formatted = name.get("formatted_name") or name.get("first_name")
        org = raw.get("org") if isinstance(raw.get("org"), dict) else {}
        cards.append(
            ContactCard(
                name=str(formatted)[:200] if isinstance(formatted, str) else "",
                phones=_strings(raw.get("phones"), "phone"),
                emails=_strings(raw.get("emails"), "email"),
                organization=org.get("company")[:200]
                if isinstance(org.get("company"), str)
                else None,
            )
        )
    return cards


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, str | int | float):
        return str(value)[:300]
    if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
        return ", ".join(str(item) for item in value)[:300]
    return None


def flow_fields(message: Message) -> list[tuple[str, str]]:
    """Return the fields of a completed WhatsApp Flow response as (name, value) pairs."""
    interactive = message.interactive if isinstance(message.interactive, dict) else {}
    response = interactive.get("response_json")
    if not isinstance(response, dict):
        return []
    fields = []
    for key, value in list(response.items())[:MAX_FLOW_FIELDS]:
        shown = _scalar(value)
        if key != "flow_token" and shown is not None:
            fields.append((str(key)[:100], shown))
    return fields


def interactive_part(message: Message, key: str) -> str | None:
    interactive = message.interactive if isinstance(message.interactive, dict) else {}
    value = interactive.get(key)
    return value if isinstance(value, str) else None


def referral_part(message: Message, key: str) -> str | None:
    referral = message.referral if isinstance(message.referral, dict) else {}
    value = referral.get(key)
    return value[:300] if isinstance(value, str) else None


def template_name(message: Message) -> str | None:
    template = message.template if isinstance(message.template, dict) else {}
    name = template.get("name")
    return name if isinstance(name, str) else None


def order_item_count(message: Message) -> int:
    order = message.order if isinstance(message.order, dict) else {}
    items = order.get("product_items")
    return len(items) if isinstance(items, list) else 0


def failure_reason(message: Message) -> str | None:
    """Return why an outbound message was not sent, in Portuguese, or None."""
    if message.direction != "outbound":
        return None
    if message.status != STATUS_FAILED and not message.error_message:
        return None
    return message.error_message or message.error_title or gettext("Unknown error.")


def inbound_problem(message: Message) -> str | None:
    """Return the error WhatsApp attached to a message from a lead, or None."""
    if message.direction != "inbound":
        return None
    return message.error_message or message.error_title


def initial(label: str) -> str:
    """Return the letter shown in a contact's avatar; a number gets a silhouette."""
    first = label[:1]
    return first.upper() if first.isalpha() else "👤"


def sort_key(message: Message) -> str:
    """Return a string that sorts messages as the chat does: by time, then by id."""
    micros = int(message.timestamp.timestamp() * 1_000_000)
    return f"{micros:020d}{message.id:012d}"


@dataclass
class ChatContext:
    """Context for rendering bubbles: time zone, contact, quoted messages, agent names."""

    zone: tzinfo
    contact: Contact
    conversation: Conversation
    channel: Channel | None = None
    quotes: dict[str, Message] = field(default_factory=dict)
    agent_names: dict[int, str] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)

    @property
    def row(self) -> "RowView":
        return RowView(self.conversation, self.contact, self.zone, self.now)

    def day(self, message: Message) -> str:
        return day_label(message.timestamp, self.zone, self.now)

    def day_key(self, message: Message) -> str:
        return message.timestamp.astimezone(self.zone).date().isoformat()

    def time(self, message: Message) -> str:
        return format_time(message.timestamp, self.zone)

    def sender(self, message: Message) -> str:
        if message.direction == "inbound":
            return contact_label(self.contact)
        if message.sent_by_user_id in self.agent_names:
            return self.agent_names[message.sent_by_user_id]
        if message.sent_by_user_id is None and message.client_message_id is None:
            return gettext("WhatsApp Business app")
        return gettext("Agent")

    def quote_sender(self, quoted: Message) -> str:
        if quoted.direction == "inbound":
            return contact_label(self.contact)
        return gettext("You")


@dataclass
class RowView:
    """One line of the conversation list."""

    conversation: Conversation
    contact: Contact
    zone: tzinfo
    now: datetime = field(default_factory=utcnow)
    assignee_name: str | None = None

    @property
    def label(self) -> str:
        return contact_label(self.contact)

    @property
    def when(self) -> str:
        at = self.conversation.last_message_at
        return short_when(at, self.zone, self.now) if at else ""

    @property
    def sort_value(self) -> str:
        at = self.conversation.last_message_at
        micros = int(at.timestamp() * 1_000_000) if at else 0
        return f"{micros:020d}{self.conversation.id:012d}"

    @property
    def window_closes_at(self) -> datetime | None:
        return window_closes_at(self.conversation)

    @property
    def window_open(self) -> bool:
        closes = self.window_closes_at
        return closes is not None and closes > self.now


def iso(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""

"""JSON shapes of messages in the API."""

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, field_validator
from sqlalchemy import inspect
from sqlalchemy.orm.attributes import NO_VALUE

from cenat_hub.media.service import failure_reason
from cenat_hub.models import MediaFile, Message

MAX_TEXT_CHARS = 4096
MAX_CAPTION_CHARS = 1024


class SendTextRequest(BaseModel):
    wa_id: str = Field(
        min_length=1, max_length=150, validation_alias=AliasChoices("wa_id", "to")
    )
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    channel_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    reply_to_wa_message_id: str | None = Field(default=None, max_length=255)
    client_message_id: str | None = Field(
        default=None, min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$"
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is blank; type a message")
        if "\x00" in value:
            raise ValueError("text contains a NUL character; remove it")
        return value


class SendMediaRequest(BaseModel):
    """The form fields of ``POST /api/send/media``; the file travels beside them."""

    wa_id: str = Field(min_length=1, max_length=150)
    channel_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    caption: str | None = Field(default=None, max_length=MAX_CAPTION_CHARS)
    client_message_id: str | None = Field(
        default=None, min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$"
    )
    voice: bool = False

    @field_validator("caption")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value and "\x00" in value:
            raise ValueError("caption contains a NUL character; remove it")
        return value if value and value.strip() else None


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _loaded_media_file(message: Message) -> MediaFile | None:
    """Return the message's media file if it was loaded, without a lazy load."""
    value = inspect(message).attrs.media_file.loaded_value
    return None if value is NO_VALUE else value


def _media_to_dict(message: Message) -> dict[str, Any]:
    media_file = _loaded_media_file(message)
    state = media_file.state if media_file else None
    return {
        "id": message.media_id,
        "mime_type": message.media_mime_type,
        "sha256": message.media_sha256,
        "filename": message.media_filename,
        "voice": message.media_voice,
        "animated": message.media_animated,
        "url": message.media_url,
        "download_url": f"/api/media/{message.media_id}" if message.media_id else None,
        "state": state,
        "file_size": media_file.file_size if media_file else None,
        "failure_reason": failure_reason(media_file.last_error)
        if media_file and state == "failed"
        else None,
    }


def message_to_dict(message: Message) -> dict[str, Any]:
    """Serialise a message with its structured parts grouped by kind."""
    media = None
    if message.media_id or message.media_mime_type:
        media = _media_to_dict(message)
    location = None
    if message.message_type == "location":
        location = {
            "latitude": message.latitude,
            "longitude": message.longitude,
            "name": message.location_name,
            "address": message.location_address,
            "url": message.location_url,
        }
    reaction = None
    if message.message_type == "reaction":
        reaction = {
            "message_id": message.reaction_to_wa_message_id,
            "emoji": message.reaction_emoji,
        }
    error = None
    if message.error_code is not None or message.error_title:
        error = {
            "code": message.error_code,
            "title": message.error_title,
            "message": message.error_message,
            "details": message.error_details,
        }
    return {
        "id": message.id,
        "wa_message_id": message.wa_message_id,
        "client_message_id": message.client_message_id,
        "channel_id": message.channel_id,
        "conversation_id": message.conversation_id,
        "contact_wa_id": message.contact_wa_id,
        "direction": message.direction,
        "message_type": message.message_type,
        "content": message.content,
        "timestamp": _iso(message.timestamp),
        "status": message.status,
        "media": media,
        "reply_to_wa_message_id": message.reply_to_wa_message_id,
        "reply_to_from": message.reply_to_from,
        "forwarded": message.forwarded,
        "frequently_forwarded": message.frequently_forwarded,
        "reaction": reaction,
        "lead_reaction": message.lead_reaction,
        "location": location,
        "shared_contacts": message.shared_contacts,
        "interactive": message.interactive,
        "referral": message.referral,
        "system": message.system,
        "order": message.order,
        "template": message.template,
        "edited": message.edited,
        "revoked": message.revoked,
        "error": error,
        "sent_by_user_id": message.sent_by_user_id,
        "sent_at": _iso(message.sent_at),
        "delivered_at": _iso(message.delivered_at),
        "read_at": _iso(message.read_at),
        "failed_at": _iso(message.failed_at),
    }

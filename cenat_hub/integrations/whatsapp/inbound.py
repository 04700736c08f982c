"""Translate one webhook message or status into the hub's terms.

The functions here read dictionaries straight from the webhook body. Every
value is checked for its type and bounded in length before it is used.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

KNOWN_MESSAGE_TYPES = frozenset(
    {
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "reaction",
        "order",
        "system",
        "request_welcome",
        "edit",
        "revoke",
    }
)
MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})
MAX_TEXT_CHARS = 65_536
MAX_ID_CHARS = 255
# Error codes are stored in 32-bit integer columns; Meta's codes are far smaller.
MAX_ERROR_CODE = 2**31 - 1
# A message timestamp later than its arrival by more than this is not trusted.
MAX_CLOCK_SKEW = timedelta(minutes=10)


def text(value: Any, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """Return a string value bounded in length; numbers become strings."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    return value[:max_chars]


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def parse_timestamp(value: Any, received_at: datetime) -> datetime:
    """Parse Meta's unix-seconds timestamp (a string or a number).

    A missing or invalid value, or one later than the arrival time by more
    than ``MAX_CLOCK_SKEW``, becomes the arrival time, so a bogus future
    timestamp cannot hold the 24-hour window open.
    """
    seconds = as_float(value)
    if seconds is None or not 0 <= seconds < 32_503_680_000:
        return received_at
    parsed = datetime.fromtimestamp(int(seconds), tz=UTC)
    if parsed > received_at + MAX_CLOCK_SKEW:
        return received_at
    return parsed


@dataclass
class MessageError:
    code: int | None
    title: str | None
    message: str | None
    details: str | None

    @classmethod
    def first_of(cls, errors: Any) -> "MessageError | None":
        if not isinstance(errors, list):
            return None
        for item in errors:
            if isinstance(item, dict):
                code = item.get("code")
                valid_code = (
                    isinstance(code, int)
                    and not isinstance(code, bool)
                    and 0 <= code <= MAX_ERROR_CODE
                )
                return cls(
                    code=code if valid_code else None,
                    title=text(item.get("title"), 1000),
                    message=text(item.get("message"), 1000),
                    details=text(as_dict(item.get("error_data")).get("details"), 2000),
                )
        return None


@dataclass
class InboundMessage:
    """A message from a webhook, with the columns it fills on ``messages``."""

    wa_message_id: str
    message_type: str
    timestamp: datetime
    from_phone: str | None
    from_user_id: str | None
    from_parent_user_id: str | None
    columns: dict[str, Any] = field(default_factory=dict)
    edit_of: str | None = None
    revoke_of: str | None = None


def parse_inbound_message(
    raw: dict[str, Any], received_at: datetime
) -> InboundMessage | None:
    """Parse one ``messages[]`` item; None when it has no usable id."""
    wa_message_id = text(raw.get("id"), MAX_ID_CHARS)
    if not wa_message_id:
        return None
    meta_type = text(raw.get("type"), 50) or "unsupported"
    message_type = meta_type if meta_type in KNOWN_MESSAGE_TYPES else "unsupported"
    columns = _common_columns(raw)
    columns.update(_type_columns(message_type, raw))
    system = as_dict(raw.get("system"))
    parsed = InboundMessage(
        wa_message_id=wa_message_id,
        message_type=message_type,
        timestamp=parse_timestamp(raw.get("timestamp"), received_at),
        from_phone=text(raw.get("from"), 150),
        # A rotated business-scoped id arrives without a sender; the previous
        # id is who wrote.
        from_user_id=text(
            raw.get("from_user_id") or system.get("previous_user_id"), 150
        ),
        from_parent_user_id=text(
            raw.get("from_parent_user_id") or system.get("previous_parent_user_id"), 150
        ),
        columns=columns,
    )
    if message_type == "edit":
        parsed.edit_of = text(
            as_dict(raw.get("edit")).get("original_message_id"), MAX_ID_CHARS
        )
    elif message_type == "revoke":
        parsed.revoke_of = text(
            as_dict(raw.get("revoke")).get("original_message_id"), MAX_ID_CHARS
        )
    return parsed


def _common_columns(raw: dict[str, Any]) -> dict[str, Any]:
    context = as_dict(raw.get("context"))
    referral = raw.get("referral")
    columns: dict[str, Any] = {
        "reply_to_wa_message_id": text(context.get("id"), MAX_ID_CHARS),
        "reply_to_from": text(context.get("from"), 150),
        "forwarded": context.get("forwarded") is True,
        "frequently_forwarded": context.get("frequently_forwarded") is True,
        "referral": referral if isinstance(referral, dict) else None,
        "raw": raw,
    }
    error = MessageError.first_of(raw.get("errors"))
    if error:
        columns.update(_error_columns(error))
    return columns


def _error_columns(error: MessageError) -> dict[str, Any]:
    return {
        "error_code": error.code,
        "error_title": error.title,
        "error_message": error.message,
        "error_details": error.details,
    }


def _type_columns(message_type: str, raw: dict[str, Any]) -> dict[str, Any]:
    body = as_dict(raw.get(message_type))
    if message_type == "text":
        return {"content": text(body.get("body"))}
    if message_type in MEDIA_TYPES:
        return _media_columns(message_type, body)
    if message_type == "location":
        return _location_columns(body)
    if message_type == "contacts":
        cards = raw.get("contacts")
        return {"shared_contacts": cards if isinstance(cards, list) else []}
    if message_type == "interactive":
        return _interactive_columns(body)
    if message_type == "button":
        payload = text(body.get("payload"), 1000)
        title = text(body.get("text"), 1000)
        return {
            "content": title,
            "interactive": {"type": "button", "payload": payload, "title": title},
        }
    if message_type == "reaction":
        return {
            "reaction_to_wa_message_id": text(body.get("message_id"), MAX_ID_CHARS),
            "reaction_emoji": text(body.get("emoji"), 50) or None,
        }
    if message_type == "order":
        return {"order": body, "content": text(body.get("text"))}
    if message_type == "system":
        return {"system": body, "content": text(body.get("body"))}
    if message_type == "edit":
        inner = as_dict(body.get("message"))
        inner_type = text(inner.get("type"), 50) or "text"
        inner_body = as_dict(inner.get(inner_type))
        return {
            "content": text(inner_body.get("body")) or text(inner_body.get("caption"))
        }
    if message_type == "unsupported":
        return {
            "system": {
                "unsupported_type": text(as_dict(raw.get("unsupported")).get("type"))
            }
        }
    return {}


def _media_columns(message_type: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": text(body.get("caption")),
        "media_id": text(body.get("id"), 100),
        "media_mime_type": text(body.get("mime_type"), 150),
        "media_sha256": text(body.get("sha256"), 100),
        "media_filename": text(body.get("filename"), 255),
        "media_url": text(body.get("url"), 2000),
        "media_voice": message_type == "audio" and body.get("voice") is True,
        "media_animated": message_type == "sticker" and body.get("animated") is True,
    }


def _location_columns(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "latitude": as_float(body.get("latitude")),
        "longitude": as_float(body.get("longitude")),
        "location_name": text(body.get("name"), 1000),
        "location_address": text(body.get("address"), 1000),
        "location_url": text(body.get("url"), 2000),
    }


def _interactive_columns(body: dict[str, Any]) -> dict[str, Any]:
    kind = text(body.get("type"), 50)
    reply = as_dict(body.get(kind)) if kind else {}
    interactive: dict[str, Any] = {
        "type": kind,
        "id": text(reply.get("id"), 1000),
        "title": text(reply.get("title"), 1000),
        "description": text(reply.get("description"), 1000),
    }
    if kind == "nfm_reply":
        response = _parse_response_json(reply.get("response_json"))
        interactive.update(
            name=text(reply.get("name"), 200),
            body=text(reply.get("body"), 4096),
            response_json=response,
            flow_token=text(as_dict(response).get("flow_token"), 1000),
        )
    elif kind == "call_permission_reply":
        interactive.update(
            response=text(reply.get("response"), 50),
            expiration_timestamp=reply.get("expiration_timestamp"),
            response_source=text(reply.get("response_source"), 50),
            is_permanent=reply.get("is_permanent") is True,
        )
    content = interactive["title"] or interactive.get("body")
    return {"interactive": interactive, "content": content}


def _parse_response_json(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


@dataclass
class InboundStatus:
    wa_message_id: str
    status: str
    timestamp: datetime
    recipient_id: str | None
    error: MessageError | None
    raw: dict[str, Any]


def parse_status(
    raw: dict[str, Any], received_at: datetime, value_error: MessageError | None = None
) -> InboundStatus | None:
    """Parse one ``statuses[]`` item; errors may sit on the status or on its value."""
    wa_message_id = text(raw.get("id"), MAX_ID_CHARS)
    status = text(raw.get("status"), 20)
    if not wa_message_id or not status:
        return None
    return InboundStatus(
        wa_message_id=wa_message_id,
        status=status.lower(),
        timestamp=parse_timestamp(raw.get("timestamp"), received_at),
        recipient_id=text(raw.get("recipient_id"), 150)
        or text(raw.get("recipient_user_id"), 150),
        error=MessageError.first_of(raw.get("errors"))
        or (value_error if status.lower() == "failed" else None),
        raw=raw,
    )

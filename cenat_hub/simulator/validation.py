"""Validation of ``POST /<PHONE_NUMBER_ID>/messages`` bodies, rejecting with code 100
what Meta rejects synchronously.

Limits follow Meta's documented values: text body up to 4096 characters, captions
and interactive bodies up to 1024, up to 3 reply buttons with titles up to 20, list
rows up to 10 in all, ``biz_opaque_callback_data`` up to 512 bytes.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from cenat_hub.simulator.errors import invalid_parameter

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
MESSAGE_TYPES = (
    "text",
    *MEDIA_TYPES,
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
)
INTERACTIVE_TYPES = (
    "button",
    "list",
    "cta_url",
    "location_request_message",
    "flow",
    "product",
    "product_list",
    "catalog_message",
    "call_permission_request",
)
_PHONE = re.compile(r"^\+?\d{8,15}$")
_BSUID = re.compile(r"^[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}$")
_CAPTION_TYPES = {"image", "video", "document"}


@dataclass(frozen=True)
class SendRequest:
    """A validated send. ``recipient`` is a phone in digits, or a BSUID when
    ``by_user_id`` is true."""

    recipient: str
    by_user_id: bool
    message_type: str
    body: dict[str, Any]

    @property
    def biz_opaque_callback_data(self) -> str | None:
        return self.body.get("biz_opaque_callback_data")


def is_read_request(body: dict[str, Any]) -> bool:
    """Return whether the body marks a message as read (and maybe shows typing) rather than
    sending one."""
    return "status" in body


def validate_read_request(body: dict[str, Any]) -> None:
    _check_messaging_product(body)
    if body.get("status") != "read":
        raise invalid_parameter(
            f"Param status must be 'read' - got '{body.get('status')}'."
        )
    if not _is_text(body.get("message_id")):
        raise invalid_parameter("Param message_id is required.")
    indicator = body.get("typing_indicator")
    if indicator is not None and indicator != {"type": "text"}:
        raise invalid_parameter('Param typing_indicator must be {"type": "text"}.')


def validate_send_request(
    body: dict[str, Any], media_exists: Callable[[str], bool]
) -> SendRequest:
    """Check a send body and return it as a ``SendRequest``.

    ``media_exists`` returns whether an uploaded media id is known, so a send that
    names an unknown id fails here rather than later.
    """
    _check_messaging_product(body)
    recipient, by_user_id = _recipient(body)
    message_type = body.get("type", "text")
    if message_type not in MESSAGE_TYPES:
        raise invalid_parameter(
            f"Param type must be one of {list(MESSAGE_TYPES)} - got '{message_type}'."
        )

    content = body.get(message_type)
    if message_type == "contacts":
        _check_contacts(content)
    elif not isinstance(content, dict):
        raise invalid_parameter(
            f"Param {message_type} is required and must be an object."
        )
    elif message_type in MEDIA_TYPES:
        _check_media(message_type, content, media_exists)
    else:
        _OBJECT_CHECKS[message_type](content)

    _check_optional_fields(body)
    return SendRequest(recipient, by_user_id, message_type, body)


def _check_messaging_product(body: dict[str, Any]) -> None:
    product = body.get("messaging_product")
    if product is None:
        raise invalid_parameter("The parameter messaging_product is required.")
    if product != "whatsapp":
        raise invalid_parameter(
            f"Param messaging_product must be 'whatsapp' - got '{product}'."
        )


def _recipient(body: dict[str, Any]) -> tuple[str, bool]:
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise invalid_parameter(
            f"Param recipient_type '{recipient_type}' is not supported; the simulator "
            "only sends to individuals."
        )
    to = body.get("to")
    if to is not None:
        if not isinstance(to, str) or not _PHONE.match(to):
            raise invalid_parameter(
                f"Param to must be a phone number in international digits - got '{to}'."
            )
        return to.lstrip("+"), False
    user_id = body.get("recipient")
    if isinstance(user_id, str) and _BSUID.match(user_id):
        return user_id, True
    raise invalid_parameter(
        "Param to (a phone number) or recipient (a BSUID) is required."
    )


def _check_optional_fields(body: dict[str, Any]) -> None:
    context = body.get("context")
    if context is not None and not (
        isinstance(context, dict) and _is_text(context.get("message_id"))
    ):
        raise invalid_parameter("Param context['message_id'] is required.")
    tracker = body.get("biz_opaque_callback_data")
    if tracker is not None and (
        not isinstance(tracker, str) or len(tracker.encode()) > 512
    ):
        raise invalid_parameter(
            "Param biz_opaque_callback_data must be a string of at most 512 bytes."
        )


def _check_text(text: dict[str, Any]) -> None:
    message = text.get("body")
    if not _is_text(message):
        raise invalid_parameter("Param text['body'] is required.")
    _check_length("text['body']", message, 4096)


def _check_media(
    media_type: str, media: dict[str, Any], media_exists: Callable[[str], bool]
) -> None:
    sources = [key for key in ("id", "link") if media.get(key)]
    if len(sources) != 1:
        raise invalid_parameter(f"Param {media_type} needs exactly one of id or link.")
    media_id = media.get("id")
    if media_id is not None and not media_exists(str(media_id)):
        raise invalid_parameter(f"Media {media_id} not found; upload it first.")
    link = media.get("link")
    if link is not None and not str(link).startswith(("https://", "http://")):
        raise invalid_parameter(f"Param {media_type}['link'] must be an http(s) URL.")
    caption = media.get("caption")
    if caption is not None:
        if media_type not in _CAPTION_TYPES:
            raise invalid_parameter(f"{media_type} messages do not take a caption.")
        _check_length(f"{media_type}['caption']", str(caption), 1024)


def _check_location(location: dict[str, Any]) -> None:
    for key, bound in (("latitude", 90), ("longitude", 180)):
        try:
            value = float(location[key])
        except (KeyError, TypeError, ValueError):
            raise invalid_parameter(
                f"Param location['{key}'] must be a number."
            ) from None
        if not -bound <= value <= bound:
            raise invalid_parameter(f"Param location['{key}'] is out of range.")


def _check_contacts(contacts: Any) -> None:
    if not isinstance(contacts, list) or not contacts:
        raise invalid_parameter("Param contacts must be a non-empty array.")
    for position, contact in enumerate(contacts):
        name = contact.get("name") if isinstance(contact, dict) else None
        if not isinstance(name, dict) or not _is_text(name.get("formatted_name")):
            raise invalid_parameter(
                f"Param contacts[{position}]['name']['formatted_name'] is required."
            )


def _check_reaction(reaction: dict[str, Any]) -> None:
    if not _is_text(reaction.get("message_id")):
        raise invalid_parameter("Param reaction['message_id'] is required.")
    emoji = reaction.get("emoji")
    # NOTE: an emoji sequence (flags, skin tones, ZWJ) spans several code points,
    # so only an obviously long string is rejected here.
    if not isinstance(emoji, str) or len(emoji) > 10:
        raise invalid_parameter("Param reaction['emoji'] must be one emoji or ''.")


def _check_template(template: dict[str, Any]) -> None:
    if not _is_text(template.get("name")):
        raise invalid_parameter("Param template['name'] is required.")
    language = template.get("language")
    if not isinstance(language, dict) or not _is_text(language.get("code")):
        raise invalid_parameter("Param template['language']['code'] is required.")
    if language.get("policy", "deterministic") != "deterministic":
        raise invalid_parameter(
            "Param template['language']['policy'] must be deterministic."
        )


def _check_interactive(interactive: dict[str, Any]) -> None:
    kind = interactive.get("type")
    if kind not in INTERACTIVE_TYPES:
        raise invalid_parameter(
            f"Param interactive['type'] must be one of {list(INTERACTIVE_TYPES)} - "
            f"got '{kind}'."
        )
    action = interactive.get("action")
    if not isinstance(action, dict):
        raise invalid_parameter("Param interactive['action'] is required.")
    if kind in {"button", "list", "cta_url", "flow"}:
        body = interactive.get("body")
        if not isinstance(body, dict) or not _is_text(body.get("text")):
            raise invalid_parameter("Param interactive['body']['text'] is required.")
        _check_length("interactive['body']['text']", body["text"], 1024)
    if kind == "button":
        _check_reply_buttons(action)
    elif kind == "list":
        _check_list(action)
    elif kind == "cta_url":
        _check_cta_url(action)


def _check_reply_buttons(action: dict[str, Any]) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise invalid_parameter(
            "Param interactive['action']['buttons'] needs 1 to 3 buttons."
        )
    titles = []
    for position, button in enumerate(buttons):
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(reply, dict) or not _is_text(reply.get("id")):
            raise invalid_parameter(
                f"Param buttons[{position}]['reply']['id'] is required."
            )
        if not _is_text(reply.get("title")):
            raise invalid_parameter(
                f"Param buttons[{position}]['reply']['title'] is required."
            )
        _check_length(f"buttons[{position}]['reply']['id']", reply["id"], 256)
        _check_length(f"buttons[{position}]['reply']['title']", reply["title"], 20)
        titles.append(reply["title"])
    if len(set(titles)) != len(titles):
        raise invalid_parameter("Button titles must be unique.")


def _check_list(action: dict[str, Any]) -> None:
    if not _is_text(action.get("button")):
        raise invalid_parameter("Param interactive['action']['button'] is required.")
    _check_length("interactive['action']['button']", action["button"], 20)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise invalid_parameter(
            "Param interactive['action']['sections'] needs 1 to 10 sections."
        )

    row_count = 0
    for position, section in enumerate(sections):
        rows = section.get("rows") if isinstance(section, dict) else None
        if not isinstance(rows, list) or not rows:
            raise invalid_parameter(f"Param sections[{position}]['rows'] is required.")
        if len(sections) > 1 and not _is_text(section.get("title")):
            raise invalid_parameter(
                f"Param sections[{position}]['title'] is required with several sections."
            )
        for row in rows:
            _check_list_row(row)
        row_count += len(rows)
    if row_count > 10:
        raise invalid_parameter(
            f"A list message takes at most 10 rows - got {row_count}."
        )


def _check_list_row(row: Any) -> None:
    if (
        not isinstance(row, dict)
        or not _is_text(row.get("id"))
        or not _is_text(row.get("title"))
    ):
        raise invalid_parameter("Each list row needs an id and a title.")
    _check_length("row['id']", row["id"], 200)
    _check_length("row['title']", row["title"], 24)
    _check_length("row['description']", str(row.get("description", "")), 72)


def _check_cta_url(action: dict[str, Any]) -> None:
    parameters = action.get("parameters")
    if action.get("name") != "cta_url" or not isinstance(parameters, dict):
        raise invalid_parameter(
            "Param interactive['action'] needs name 'cta_url' and parameters."
        )
    if not _is_text(parameters.get("display_text")) or not _is_text(
        parameters.get("url")
    ):
        raise invalid_parameter(
            "Param action['parameters'] needs display_text and url."
        )


def _check_length(name: str, value: str, maximum: int) -> None:
    if len(value) > maximum:
        raise invalid_parameter(
            f"Param {name} must be at most {maximum} characters long - got {len(value)}."
        )


def _is_text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


_OBJECT_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "text": _check_text,
    "location": _check_location,
    "reaction": _check_reaction,
    "template": _check_template,
    "interactive": _check_interactive,
}

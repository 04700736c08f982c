"""Status webhooks (sent, delivered, read, failed) for accepted outbound messages."""

from dataclasses import dataclass
from typing import Any

from cenat_hub.simulator.config import SimulatedNumber
from cenat_hub.simulator.envelope import webhook_envelope

_ERROR_CODES_PAGE = (
    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
)


@dataclass(frozen=True)
class StatusFailure:
    """An error that Meta reports in a ``failed`` status instead of in the send
    response."""

    code: int
    title: str
    details: str


RE_ENGAGEMENT = StatusFailure(
    code=131047,
    title="Re-engagement message",
    details=(
        "Message failed to send because more than 24 hours have passed since the "
        "customer last replied to this number."
    ),
)
UNDELIVERABLE = StatusFailure(
    code=131026,
    title="Message undeliverable",
    details="Message Undeliverable.",
)


@dataclass
class OutboundMessage:
    """An accepted send and what its status webhooks report.

    ``category`` is the PMP pricing category: ``service`` for free-form messages,
    the template's category (lower case) for templates. ``conversation_expiration``
    is set only for the message that opened its conversation, because Meta reports
    the expiration only on that status.
    """

    wamid: str
    number: SimulatedNumber
    recipient: str
    by_user_id: bool
    category: str
    pricing_type: str
    conversation_id: str
    conversation_expiration: int | None
    biz_opaque_callback_data: str | None
    failure: StatusFailure | None = None


def status_object(
    message: OutboundMessage, status: str, timestamp: float
) -> dict[str, Any]:
    """Build one ``statuses[]`` item. Only sent and delivered carry conversation and
    pricing, and a failed status carries ``errors`` instead."""
    item: dict[str, Any] = {
        "id": message.wamid,
        "status": status,
        "timestamp": str(int(timestamp)),
    }
    if message.by_user_id:
        item["recipient_user_id"] = message.recipient
    else:
        item["recipient_id"] = message.recipient
    if message.biz_opaque_callback_data is not None:
        item["biz_opaque_callback_data"] = message.biz_opaque_callback_data

    if status == "failed" and message.failure is not None:
        item["errors"] = [_error_object(message.failure)]
    elif status in {"sent", "delivered"}:
        item["conversation"] = _conversation(message)
        item["pricing"] = {
            "billable": message.pricing_type == "regular",
            "pricing_model": "PMP",
            "category": message.category,
            "type": message.pricing_type,
        }
    return item


def status_webhook(
    message: OutboundMessage, status: str, timestamp: float
) -> dict[str, Any]:
    statuses = [status_object(message, status, timestamp)]
    return webhook_envelope(message.number, {"statuses": statuses})


def _conversation(message: OutboundMessage) -> dict[str, Any]:
    conversation: dict[str, Any] = {"id": message.conversation_id}
    if message.conversation_expiration is not None:
        conversation["expiration_timestamp"] = str(message.conversation_expiration)
    conversation["origin"] = {"type": message.category}
    return conversation


def _error_object(failure: StatusFailure) -> dict[str, Any]:
    return {
        "code": failure.code,
        "title": failure.title,
        "message": failure.title,
        "error_data": {"details": failure.details},
        "href": _ERROR_CODES_PAGE,
    }

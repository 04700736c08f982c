"""``POST /<PHONE_NUMBER_ID>/messages``: accept or reject a send, then report its
fate through status webhooks, as Meta does."""

import asyncio
from typing import TYPE_CHECKING, Any

import structlog

from cenat_hub.simulator.config import SimulatedNumber
from cenat_hub.simulator.errors import invalid_parameter
from cenat_hub.simulator.ids import new_wamid
from cenat_hub.simulator.statuses import (
    RE_ENGAGEMENT,
    UNDELIVERABLE,
    OutboundMessage,
    StatusFailure,
    status_webhook,
)
from cenat_hub.simulator.template_rules import (
    check_template_parameters,
    find_sendable_template,
)
from cenat_hub.simulator.validation import (
    SendRequest,
    is_read_request,
    validate_read_request,
    validate_send_request,
)

if TYPE_CHECKING:
    from cenat_hub.simulator.state import SimulatorState

log = structlog.get_logger(__name__)


async def handle_messages_post(
    state: "SimulatorState", number: SimulatedNumber, body: Any
) -> dict[str, Any]:
    """Mark a message as read, or accept a send and schedule its status webhooks.

    Like Meta, a send that fails only because of the recipient (outside the 24-hour
    window, or undeliverable) is accepted with a wamid and then reported as a
    ``failed`` status.
    """
    if not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    if is_read_request(body):
        validate_read_request(body)
        _record_read(state, number, body)
        return {"success": True}

    state.raise_injected_send_failure(number.phone_number_id)
    request = validate_send_request(
        body, media_exists=lambda key: key in state.media.items
    )
    template = _sendable_template(state, number, request)
    message = _accept(state, number, request, template)
    state.spawn(_post_statuses(state, message))
    return _send_response(request, message)


def _record_read(
    state: "SimulatorState", number: SimulatedNumber, body: dict[str, Any]
) -> None:
    state.read_receipts.append(
        {
            "phone_number_id": number.phone_number_id,
            "message_id": body["message_id"],
            "typing_indicator": "typing_indicator" in body,
            "time": state.clock(),
        }
    )


def _sendable_template(
    state: "SimulatorState", number: SimulatedNumber, request: SendRequest
) -> dict[str, Any] | None:
    if request.message_type != "template":
        return None
    sent = request.body["template"]
    templates = state.templates_for(number.waba_id)
    template = find_sendable_template(templates, sent["name"], sent["language"]["code"])
    check_template_parameters(
        template, sent, media_exists=lambda key: key in state.media.items
    )
    return template


def _accept(
    state: "SimulatorState",
    number: SimulatedNumber,
    request: SendRequest,
    template: dict[str, Any] | None,
) -> OutboundMessage:
    recipient = _canonical_recipient(state, request)
    window_open = state.has_open_window(number.phone_number_id, recipient)
    failure = _recipient_failure(state, request, recipient, template, window_open)
    category = str(template["category"]).lower() if template else "service"
    free = category == "service" or (category == "utility" and window_open)
    conversation_id, expiration = (
        state.conversation_for(number.phone_number_id, recipient, category)
        if failure is None
        else ("", None)
    )
    message = OutboundMessage(
        wamid=new_wamid(),
        number=number,
        recipient=recipient,
        by_user_id=request.by_user_id,
        category=category,
        pricing_type="free_customer_service" if free else "regular",
        conversation_id=conversation_id,
        conversation_expiration=expiration,
        biz_opaque_callback_data=request.biz_opaque_callback_data,
        failure=failure,
    )

    _record_send(state, request, message)
    return message


def _record_send(
    state: "SimulatorState", request: SendRequest, message: OutboundMessage
) -> None:
    state.sent_messages.append(
        {
            "phone_number_id": message.number.phone_number_id,
            "request": request.body,
            "wamid": message.wamid,
            "time": state.clock(),
            "recipient": message.recipient,
        }
    )
    log.info(
        "simulator.message_accepted",
        phone_number_id=message.number.phone_number_id,
        wamid=message.wamid,
        message_type=request.message_type,
        failure_code=message.failure.code if message.failure else None,
    )


def _canonical_recipient(state: "SimulatorState", request: SendRequest) -> str:
    if request.by_user_id:
        return request.recipient
    return state.canonical_wa_id(request.recipient)


def _recipient_failure(
    state: "SimulatorState",
    request: SendRequest,
    recipient: str,
    template: dict[str, Any] | None,
    window_open: bool,
) -> StatusFailure | None:
    if {request.recipient, recipient} & state.undeliverable:
        return UNDELIVERABLE
    if template is None and not window_open:
        return RE_ENGAGEMENT
    return None


def _send_response(request: SendRequest, message: OutboundMessage) -> dict[str, Any]:
    contact = {"input": request.body.get("to") or request.recipient}
    if request.by_user_id:
        contact["user_id"] = message.recipient
    else:
        contact["wa_id"] = message.recipient
    return {
        "messaging_product": "whatsapp",
        "contacts": [contact],
        "messages": [{"id": message.wamid, "message_status": "accepted"}],
    }


async def _post_statuses(state: "SimulatorState", message: OutboundMessage) -> None:
    """Post failed, or sent then delivered then read, each after the status delay.

    With ``auto_read`` off the message waits in ``state.unread`` until the lead
    reads it through ``lead_reads``.
    """
    delay = state.config.status_delay_seconds
    await asyncio.sleep(delay)
    if message.failure is not None:
        await _post_status(state, message, "failed")
        return

    await _post_status(state, message, "sent")
    await asyncio.sleep(delay)
    await _post_status(state, message, "delivered")
    if not state.config.auto_read:
        state.unread[(message.number.phone_number_id, message.recipient)].append(
            message
        )
        return
    await asyncio.sleep(delay)
    await _post_status(state, message, "read")


async def _post_status(
    state: "SimulatorState", message: OutboundMessage, status: str
) -> None:
    await state.webhooks.deliver(status_webhook(message, status, state.clock()))


async def read_pending(
    state: "SimulatorState", phone_number_id: str, recipient: str
) -> list[str]:
    """Post read statuses for the lead's delivered, unread messages from the number."""
    pending = state.unread.pop((phone_number_id, recipient), [])
    for message in pending:
        await _post_status(state, message, "read")
    return [message.wamid for message in pending]

"""``message_template_status_update`` webhooks, which Meta posts when a template is
approved, rejected, paused, disabled or reinstated."""

from typing import Any

TEMPLATE_STATUS_FIELD = "message_template_status_update"


def template_status_webhook(
    template: dict[str, Any], event: str, reason: str, now: float
) -> dict[str, Any]:
    """Build the webhook for a status change of ``template``.

    Meta sends the template id as a number and names the change ``event``; a
    rejection also carries ``rejection_info``.
    """
    value: dict[str, Any] = {
        "event": event,
        "message_template_id": int(template["id"]),
        "message_template_name": template["name"],
        "message_template_language": template["language"],
        "message_template_category": template["category"],
        "reason": reason,
    }
    if event == "REJECTED":
        value["rejection_info"] = {
            "reason": reason,
            "recommendation": "Review the template guidelines and submit it again.",
        }
    change = {"field": TEMPLATE_STATUS_FIELD, "value": value}
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": template["waba_id"], "time": int(now), "changes": [change]}],
    }

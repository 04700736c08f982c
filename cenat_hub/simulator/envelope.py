"""The ``whatsapp_business_account`` envelope that wraps every webhook."""

import re
from typing import Any

from cenat_hub.simulator.config import SimulatedNumber


def display_digits(number: SimulatedNumber) -> str:
    """Return the number's digits, the form of ``metadata.display_phone_number``."""
    return re.sub(r"\D", "", number.display_phone_number)


def webhook_envelope(number: SimulatedNumber, value: dict[str, Any]) -> dict[str, Any]:
    """Wrap ``value`` (contacts and messages, or statuses) in one entry and change
    for the number's WABA."""
    full_value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_digits(number),
            "phone_number_id": number.phone_number_id,
        },
        **value,
    }
    change = {"field": "messages", "value": full_value}
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": number.waba_id, "changes": [change]}],
    }

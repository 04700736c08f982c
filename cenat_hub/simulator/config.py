"""Configuration of the Cloud API simulator: the business numbers it serves and where
it delivers webhooks."""

from dataclasses import dataclass, field
from typing import Any

from cenat_hub.simulator.templates import default_templates


@dataclass
class SimulatedNumber:
    """A business phone number registered on the simulated Cloud API.

    ``display_phone_number`` is the form the Graph API returns for the number; the
    webhook ``metadata.display_phone_number`` carries its digits only, as Meta does.
    """

    phone_number_id: str
    display_phone_number: str
    waba_id: str
    access_token: str
    verified_name: str
    quality_rating: str = "GREEN"


@dataclass
class SimulatorConfig:
    """Everything a simulator instance needs to know at start.

    ``templates`` contains Meta template objects (the shape that
    ``GET /<WABA_ID>/message_templates`` returns), each with an extra ``waba_id`` key
    naming the WABA that owns it. The simulator strips that key from listings.
    """

    app_secret: str
    hub_webhook_url: str
    numbers: list[SimulatedNumber]
    templates: list[dict[str, Any]] = field(default_factory=list)
    status_delay_seconds: float = 0.2
    """Gap between the sent, delivered and read status webhooks of one message."""
    media_link_ttl_seconds: float = 300
    public_base_url: str = "http://127.0.0.1:8100"
    """Base of the media download URLs that ``GET /<MEDIA_ID>`` returns."""
    auto_read: bool = True
    """Whether leads read every delivered message at once. When false, messages stay
    unread until ``SimulatorState.lead_reads`` is called."""
    webhook_max_attempts: int = 4
    webhook_retry_base_seconds: float = 1.0
    """Delay before the first webhook retry; each later retry doubles it."""


def demo_config(
    hub_webhook_url: str,
    app_secret: str,
    public_base_url: str = "http://127.0.0.1:8100",
) -> SimulatorConfig:
    """Build a config with two fake business numbers on one WABA and the default
    templates, for the demo and for manual runs."""
    waba_id = "200000000000001"
    numbers = [
        SimulatedNumber(
            phone_number_id="100000000000001",
            display_phone_number="+55 11 90000-0100",
            waba_id=waba_id,
            access_token="sim-token-1",  # noqa: S106 - fake demo token
            verified_name="CENAT Pós-Graduação",
        ),
        SimulatedNumber(
            phone_number_id="100000000000002",
            display_phone_number="+55 11 90000-0200",
            waba_id=waba_id,
            access_token="sim-token-2",  # noqa: S106 - fake demo token
            verified_name="CENAT Cursos Livres",
        ),
    ]
    return SimulatorConfig(
        app_secret=app_secret,
        hub_webhook_url=hub_webhook_url,
        numbers=numbers,
        templates=default_templates(waba_id),
        public_base_url=public_base_url,
    )

"""Fake leads that write to the business numbers over time, for the demo."""

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import structlog

from cenat_hub.simulator.errors import LeadControlError
from cenat_hub.simulator.payloads import LeadMessage, LeadMessageType
from cenat_hub.simulator.state import SimulatorState

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DemoLead:
    name: str
    wa_id: str


DEMO_LEADS = (
    DemoLead("Ana Teste", "5511900000001"),
    DemoLead("Bruno Teste", "5511900000002"),
    DemoLead("Carla Teste", "5511900000003"),
    DemoLead("João Teste", "5511900000004"),
    DemoLead("Daniela Teste", "5511900000005"),
    DemoLead("Eduardo Teste", "5511900000006"),
    DemoLead("Fernanda Teste", "5511900000007"),
    DemoLead("Gabriel Teste", "5511900000008"),
    DemoLead("Helena Teste", "5511900000009"),
)

# One step of the script: the message type and the fields it sets. Types that
# reply to a business message become plain text until the business has written.
_SCRIPT: tuple[tuple[LeadMessageType, dict[str, Any]], ...] = (
    ("text", {"text": "Olá! Vi o anúncio da pós em Saúde Mental. Como funciona?"}),
    ("text", {"text": "Qual é o valor da mensalidade?"}),
    ("image", {"caption": "Esse é o comprovante da inscrição"}),
    ("voice", {}),
    ("text", {"text": "As aulas são ao vivo ou gravadas? 😊"}),
    (
        "document",
        {"filename": "documentos da matrícula.pdf", "caption": "Meus documentos"},
    ),
    (
        "interactive_button",
        {"text": "Quero saber mais", "reply_id": "quero_saber_mais"},
    ),
    ("reaction", {"emoji": "❤️"}),
    ("location", {}),
    ("sticker", {}),
    ("list", {}),
    ("text", {"text": "Obrigada pelas informações!"}),
)
_NEEDS_BUSINESS_MESSAGE = {"interactive_button", "reaction", "list"}


class LeadPlayer:
    """Makes the demo leads take turns writing to one business number.

    Turns follow a fixed script, so two runs send the same sequence; each lead's
    first message carries a click-to-WhatsApp ad referral.
    """

    def __init__(
        self,
        state: SimulatorState,
        phone_number_id: str | None = None,
        interval_seconds: float = 4.0,
    ) -> None:
        self.state = state
        self.phone_number_id = (
            phone_number_id or state.config.numbers[0].phone_number_id
        )
        self.interval_seconds = interval_seconds
        self.turn = 0

    async def run(self, stop_event: asyncio.Event) -> None:
        """Send one message every ``interval_seconds`` until ``stop_event`` is set."""
        log.info("simulator.lead_player_started", phone_number_id=self.phone_number_id)
        while not stop_event.is_set():
            await self.play_turn()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), timeout=self.interval_seconds)
        log.info("simulator.lead_player_stopped", turns=self.turn)

    async def play_turn(self) -> dict[str, Any] | None:
        """Send the next scripted message; return the simulator's result, or
        ``None`` when the message was rejected."""
        message = self.next_message()
        self.turn += 1
        try:
            return await self.state.lead_sends(message)
        except LeadControlError as error:
            log.warning(
                "simulator.lead_turn_skipped", turn=self.turn, error=error.message
            )
            return None

    def next_message(self) -> LeadMessage:
        lead = DEMO_LEADS[self.turn % len(DEMO_LEADS)]
        first_message = self.turn < len(DEMO_LEADS)
        message_type, fields = _SCRIPT[
            (self.turn // len(DEMO_LEADS) + self.turn) % len(_SCRIPT)
        ]
        if message_type in _NEEDS_BUSINESS_MESSAGE and not self._has_business_message(
            lead
        ):
            message_type, fields = _SCRIPT[0]
        return LeadMessage(
            phone_number_id=self.phone_number_id,
            wa_id=lead.wa_id,
            name=lead.name,
            type=message_type,
            referral=first_message,
            **fields,
        )

    def _has_business_message(self, lead: DemoLead) -> bool:
        recipient = self.state.canonical_wa_id(lead.wa_id)
        return self.state.last_message_to(self.phone_number_id, {recipient}) is not None

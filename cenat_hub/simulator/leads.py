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
    """Makes the demo leads take turns writing to the business numbers.

    Turns follow a fixed script, so two runs send the same sequence, and each
    lead's first message carries a click-to-WhatsApp ad referral. Lead ``i``
    writes to number ``i`` modulo the count of numbers. The first lead moves to
    the next number every round, so with two or more numbers one contact has a
    conversation on each.
    """

    def __init__(
        self,
        state: SimulatorState,
        phone_number_id: str | None = None,
        interval_seconds: float = 4.0,
    ) -> None:
        self.state = state
        self.phone_number_ids = (
            [phone_number_id]
            if phone_number_id
            else [number.phone_number_id for number in state.config.numbers]
        )
        self.interval_seconds = interval_seconds
        self.turn = 0

    async def run(self, stop_event: asyncio.Event) -> None:
        """Send one message every ``interval_seconds`` until ``stop_event`` is set."""
        log.info(
            "simulator.lead_player_started", phone_number_ids=self.phone_number_ids
        )
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
        lead_index = self.turn % len(DEMO_LEADS)
        lead = DEMO_LEADS[lead_index]
        round_index = self.turn // len(DEMO_LEADS)
        first_message = round_index == 0
        number_index = lead_index + (round_index if lead_index == 0 else 0)
        phone_number_id = self.phone_number_ids[
            number_index % len(self.phone_number_ids)
        ]
        message_type, fields = _SCRIPT[(round_index + self.turn) % len(_SCRIPT)]
        if message_type in _NEEDS_BUSINESS_MESSAGE and not self._has_business_message(
            phone_number_id, lead
        ):
            message_type, fields = _SCRIPT[0]
        return LeadMessage(
            phone_number_id=phone_number_id,
            wa_id=lead.wa_id,
            name=lead.name,
            type=message_type,
            referral=first_message,
            **fields,
        )

    def _has_business_message(self, phone_number_id: str, lead: DemoLead) -> bool:
        recipient = self.state.canonical_wa_id(lead.wa_id)
        return self.state.last_message_to(phone_number_id, {recipient}) is not None

"""State of one simulator instance: numbers, leads, sent messages, media, pending
webhooks and the failures that tests inject.

Tests reach it as ``app.state.simulator`` to inspect what the hub sent and to play
leads without HTTP.
"""

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypedDict

import httpx
import structlog

from cenat_hub.simulator import inbound, outbound
from cenat_hub.simulator.config import SimulatedNumber, SimulatorConfig
from cenat_hub.simulator.errors import (
    GraphError,
    LeadControlError,
    invalid_token,
    unknown_object,
)
from cenat_hub.simulator.ids import new_conversation_id
from cenat_hub.simulator.media import MediaItem, MediaStore
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.simulator.phone_numbers import brazil_alternate_form
from cenat_hub.simulator.statuses import OutboundMessage
from cenat_hub.simulator.template_events import template_status_webhook
from cenat_hub.simulator.webhooks import WebhookSender

log = structlog.get_logger(__name__)

CUSTOMER_SERVICE_WINDOW_SECONDS = 24 * 3600
_INJECTED_FAILURE_TITLES = {
    131000: "Something went wrong",
    130429: "Rate limit hit",
    131016: "Service unavailable",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
}


class SentMessageRecord(TypedDict):
    """An accepted send. ``recipient`` is the canonical wa_id, or the BSUID the
    business addressed."""

    phone_number_id: str
    request: dict[str, Any]
    wamid: str
    time: float
    recipient: str


class InboundMessageRecord(TypedDict):
    """A message a simulated lead sent, with the webhook payload posted for it."""

    phone_number_id: str
    wamid: str
    payload: dict[str, Any]
    time: float


class ReadReceiptRecord(TypedDict):
    phone_number_id: str
    message_id: str
    typing_indicator: bool
    time: float


@dataclass
class Lead:
    wa_id: str
    name: str | None = None
    user_id: str | None = None


class SimulatorState:
    """Everything the simulator routes read and change, plus the Python API that
    tests use in place of the ``/_simulator`` routes."""

    def __init__(
        self, config: SimulatorConfig, webhook_client: httpx.AsyncClient
    ) -> None:
        self.config = config
        self.clock: Callable[[], float] = time.time
        self.numbers = {number.phone_number_id: number for number in config.numbers}
        self.media = MediaStore(
            public_base_url=config.public_base_url,
            link_ttl_seconds=config.media_link_ttl_seconds,
            clock=lambda: self.clock(),
        )
        self.webhooks = WebhookSender(
            client=webhook_client,
            url=config.hub_webhook_url,
            app_secret=config.app_secret,
            max_attempts=config.webhook_max_attempts,
            retry_base_seconds=config.webhook_retry_base_seconds,
        )
        self.sent_messages: list[SentMessageRecord] = []
        self.read_receipts: list[ReadReceiptRecord] = []
        self.inbound_messages: list[InboundMessageRecord] = []
        self.leads: dict[str, Lead] = {}
        self.undeliverable: set[str] = set()
        self.last_inbound_at: dict[tuple[str, str], float] = {}
        self.unread: defaultdict[tuple[str, str], list[OutboundMessage]] = defaultdict(
            list
        )
        self._conversations: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._injected_send_failures: defaultdict[str, deque[GraphError]] = defaultdict(
            deque
        )
        self._tasks: set[asyncio.Task[None]] = set()

    # Object lookup and authorisation

    def number(self, phone_number_id: str) -> SimulatedNumber:
        number = self.numbers.get(phone_number_id)
        if number is None:
            raise unknown_object(phone_number_id)
        return number

    def authorize_number(
        self, phone_number_id: str, token: str | None
    ) -> SimulatedNumber:
        """Return the number if ``token`` is its access token; raise 190 for an
        unknown token and 100/33 for an unknown number."""
        self._require_known_token(token)
        number = self.number(phone_number_id)
        if token != number.access_token:
            raise invalid_token()
        return number

    def authorize_waba(self, waba_id: str, token: str | None) -> None:
        """Accept the token of any number of the WABA."""
        self._require_known_token(token)
        tokens = {n.access_token for n in self.numbers.values() if n.waba_id == waba_id}
        if not tokens:
            raise unknown_object(waba_id)
        if token not in tokens:
            raise invalid_token()

    def authorize_media(self, media_id: str, token: str | None) -> MediaItem:
        """Return the media item if ``token`` belongs to a number of its owner's WABA."""
        self._require_known_token(token)
        item = self.media.items.get(media_id)
        if item is None:
            raise unknown_object(media_id)
        self.authorize_waba(self.number(item.owner_phone_number_id).waba_id, token)
        return item

    def _require_known_token(self, token: str | None) -> None:
        if token not in {number.access_token for number in self.numbers.values()}:
            raise invalid_token()

    def templates_for(self, waba_id: str) -> list[dict[str, Any]]:
        return [t for t in self.config.templates if t.get("waba_id") == waba_id]

    def template(self, waba_id: str, name: str, language: str) -> dict[str, Any]:
        """Return the stored template object; tests change it in place to play an
        edit made in WhatsApp Manager."""
        for template in self.templates_for(waba_id):
            if template["name"] == name and template["language"] == language:
                return template
        raise LeadControlError(
            404, f"Template {name} ({language}) of WABA {waba_id} not found."
        )

    async def set_template_status(
        self,
        waba_id: str,
        name: str,
        language: str,
        status: str,
        *,
        reason: str = "NONE",
        notify: bool = True,
    ) -> dict[str, Any]:
        """Change a template's status as Meta's review or quality checks would,
        and post the ``message_template_status_update`` webhook unless ``notify``
        is false (a webhook that never arrived)."""
        template = self.template(waba_id, name, language)
        template["status"] = "APPROVED" if status == "REINSTATED" else status
        if notify:
            webhook = template_status_webhook(template, status, reason, self.clock())
            await self.webhooks.deliver(webhook)
        log.info(
            "simulator.template_status_changed",
            waba_id=waba_id,
            template=name,
            status=status,
        )
        return template

    # Leads

    def register_lead(
        self, wa_id: str, name: str | None = None, user_id: str | None = None
    ) -> Lead:
        """Register the wa_id under which a lead's WhatsApp account exists, which
        is the id that send responses and webhooks use for that lead."""
        lead = self.leads.get(wa_id) or Lead(wa_id=wa_id)
        lead.name = name or lead.name
        lead.user_id = user_id or lead.user_id
        self.leads[wa_id] = lead
        return lead

    def canonical_wa_id(self, phone: str) -> str:
        """Return the registered form of ``phone``, trying the other Brazilian form
        (with or without the ninth digit) before falling back to ``phone``."""
        if phone in self.leads:
            return phone
        alternate = brazil_alternate_form(phone)
        if alternate is not None and alternate in self.leads:
            return alternate
        return phone

    def lead_for_user_id(self, user_id: str) -> Lead | None:
        return next(
            (lead for lead in self.leads.values() if lead.user_id == user_id), None
        )

    def mark_undeliverable(self, wa_id: str) -> None:
        """Make every later send to this number fail with 131026."""
        self.undeliverable.update({wa_id, self.canonical_wa_id(wa_id)})

    def has_open_window(self, phone_number_id: str, recipient: str) -> bool:
        """Return whether the lead wrote to this number within the last 24 hours."""
        last = self.last_inbound_at.get((phone_number_id, recipient))
        return (
            last is not None and self.clock() - last < CUSTOMER_SERVICE_WINDOW_SECONDS
        )

    async def lead_sends(
        self, message: LeadMessage | None = None, /, **fields: Any
    ) -> dict[str, Any]:
        """Play a lead writing to a business number, given a ``LeadMessage`` or its
        fields as keywords; see ``inbound.send_lead_message`` for the result."""
        if message is None:
            message = LeadMessage(**fields)
        elif fields:
            raise TypeError("Pass a LeadMessage or keyword fields, not both.")
        return await inbound.send_lead_message(self, message)

    async def lead_reads(self, phone_number_id: str, wa_id: str) -> list[str]:
        """Post read statuses for every message delivered to the lead and not yet
        read, and return their wamids."""
        return await outbound.read_pending(
            self, phone_number_id, self.canonical_wa_id(wa_id)
        )

    # Outbound messages

    def conversation_for(
        self, phone_number_id: str, recipient: str, category: str
    ) -> tuple[str, int | None]:
        """Return the open conversation id of this category, and its expiration if
        this message opens it."""
        key = (phone_number_id, recipient, category)
        now = self.clock()
        current = self._conversations.get(key)
        if current is not None and current[1] > now:
            return current[0], None
        expires_at = now + CUSTOMER_SERVICE_WINDOW_SECONDS
        self._conversations[key] = (new_conversation_id(), expires_at)
        return self._conversations[key][0], int(expires_at)

    def last_message_to(self, phone_number_id: str, recipients: set[str]) -> str | None:
        for record in self.sent_messages[::-1]:
            if (
                record["phone_number_id"] == phone_number_id
                and record["recipient"] in recipients
            ):
                return record["wamid"]
        return None

    # Failure injection

    def fail_next_sends(
        self,
        phone_number_id: str,
        count: int,
        http_status: int = 500,
        code: int = 131000,
    ) -> None:
        """Make the next ``count`` sends from the number fail with this HTTP status
        and Graph error code (130429 is Meta's throughput limit)."""
        title = _INJECTED_FAILURE_TITLES.get(code, "Injected failure")
        for _ in range(count):
            error = GraphError(
                http_status=http_status,
                code=code,
                title=title,
                details=f"Failure injected by a test for number {phone_number_id}.",
                is_transient=True,
            )
            self._injected_send_failures[phone_number_id].append(error)

    def raise_injected_send_failure(self, phone_number_id: str) -> None:
        failures = self._injected_send_failures[phone_number_id]
        if failures:
            raise failures.popleft()

    def fail_downloads(self, media_id: str, count: int) -> None:
        """Make the next ``count`` downloads of the media fail with HTTP 500."""
        self.media.failing_downloads[media_id] = count

    # Background webhooks

    def spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator.background_job_failed", error=repr(task.exception()))

    async def wait_for_webhooks(self) -> None:
        """Wait until every scheduled status webhook and retry has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

"""Helpers for the simulator tests: fake ids, a webhook receiver that checks
signatures, and the config the fixtures start simulators with."""

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from cenat_hub.simulator import (
    SimulatedNumber,
    SimulatorConfig,
    SimulatorState,
    default_templates,
)

APP_SECRET = "sim-app-secret"
WABA_ID = "200000000000001"
OTHER_WABA_ID = "200000000000002"
PHONE_NUMBER_ID = "100000000000001"
SECOND_PHONE_NUMBER_ID = "100000000000002"
OTHER_WABA_PHONE_NUMBER_ID = "100000000000003"
TOKEN = "sim-token-1"
SECOND_TOKEN = "sim-token-2"
OTHER_WABA_TOKEN = "sim-token-3"
LEAD_WA_ID = "5511900000001"
SIMULATOR_URL = "http://127.0.0.1:8100"
HUB_WEBHOOK_URL = "http://127.0.0.1:8000/webhooks/whatsapp"


@dataclass
class ReceivedWebhook:
    body: bytes
    signature: str | None
    signature_valid: bool

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.body)
        return payload

    @property
    def value(self) -> dict[str, Any]:
        """Return ``entry[0].changes[0].value``, the only change the simulator sends."""
        value: dict[str, Any] = self.payload["entry"][0]["changes"][0]["value"]
        return value


@dataclass
class WebhookReceiver:
    """A stand-in hub that records every webhook and checks its signature over the
    raw bytes with its own HMAC, independent of the code under test."""

    app_secret: str = APP_SECRET
    received: list[ReceivedWebhook] = field(default_factory=list)
    failing_statuses: list[int] = field(default_factory=list)

    def build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/whatsapp")
        async def receive(request: Request) -> Response:
            body = await request.body()
            signature = request.headers.get("X-Hub-Signature-256")
            expected = (
                "sha256="
                + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
            )
            valid = signature is not None and hmac.compare_digest(expected, signature)
            self.received.append(ReceivedWebhook(body, signature, valid))
            if self.failing_statuses:
                return Response(status_code=self.failing_statuses.pop(0))
            return Response(status_code=200)

        return app

    def statuses(self, wamid: str | None = None) -> list[dict[str, Any]]:
        """Return the statuses received so far, optionally for one wamid only."""
        found = [
            status
            for webhook in self.received
            for status in webhook.value.get("statuses", [])
        ]
        return [s for s in found if wamid is None or s["id"] == wamid]

    def messages(self) -> list[dict[str, Any]]:
        return [
            message
            for webhook in self.received
            for message in webhook.value.get("messages", [])
        ]


@dataclass
class Simulator:
    app: FastAPI
    state: SimulatorState
    client: httpx.AsyncClient
    receiver: WebhookReceiver


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_config(**overrides: Any) -> SimulatorConfig:
    numbers = [
        SimulatedNumber(
            phone_number_id=PHONE_NUMBER_ID,
            display_phone_number="+55 11 90000-0100",
            waba_id=WABA_ID,
            access_token=TOKEN,
            verified_name="CENAT Teste",
        ),
        SimulatedNumber(
            phone_number_id=SECOND_PHONE_NUMBER_ID,
            display_phone_number="+55 11 90000-0200",
            waba_id=WABA_ID,
            access_token=SECOND_TOKEN,
            verified_name="CENAT Teste Dois",
            quality_rating="YELLOW",
        ),
        SimulatedNumber(
            phone_number_id=OTHER_WABA_PHONE_NUMBER_ID,
            display_phone_number="+55 11 90000-0300",
            waba_id=OTHER_WABA_ID,
            access_token=OTHER_WABA_TOKEN,
            verified_name="Outra Empresa Teste",
        ),
    ]
    settings: dict[str, Any] = {
        "app_secret": APP_SECRET,
        "hub_webhook_url": HUB_WEBHOOK_URL,
        "numbers": numbers,
        "templates": default_templates(WABA_ID),
        "status_delay_seconds": 0.01,
        "public_base_url": SIMULATOR_URL,
        "webhook_retry_base_seconds": 0.01,
    }
    settings.update(overrides)
    return SimulatorConfig(**settings)


SimulatorFactory = Callable[..., Awaitable[Simulator]]

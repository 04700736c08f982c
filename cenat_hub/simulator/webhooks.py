"""Signed webhook delivery to the hub, with retries like Meta's."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from cenat_hub.integrations.whatsapp.signature import (
    SIGNATURE_HEADER,
    encode_body,
    sign,
)

log = structlog.get_logger(__name__)


@dataclass
class WebhookDelivery:
    """One webhook and the HTTP statuses of its delivery attempts (``None`` for an
    attempt that got no response)."""

    payload: dict[str, Any]
    body: bytes
    attempt_statuses: list[int | None] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.attempt_statuses) and self.attempt_statuses[-1] == 200

    def log_fields(self) -> dict[str, Any]:
        """Return the wamid and the status (for status webhooks) for log lines."""
        value = self.payload["entry"][0]["changes"][0]["value"]
        items = value.get("messages") or value.get("statuses") or [{}]
        return {"wamid": items[0].get("id"), "status": items[0].get("status")}


@dataclass
class WebhookSender:
    """Posts payloads to the hub's webhook URL.

    The body is the ASCII-escaped JSON that Meta sends, and the signature is an
    HMAC-SHA256 over exactly those bytes. Only HTTP 200 counts as delivered, as with
    Meta; anything else is retried ``max_attempts - 1`` times, doubling the delay
    from ``retry_base_seconds``. Meta keeps retrying for days; the simulator stops
    after a few attempts.
    """

    client: httpx.AsyncClient
    url: str
    app_secret: str
    max_attempts: int
    retry_base_seconds: float
    deliveries: list[WebhookDelivery] = field(default_factory=list)

    async def deliver(self, payload: dict[str, Any]) -> WebhookDelivery:
        """Post ``payload`` and retry until the hub returns 200 or attempts run out."""
        delivery = await self.start(payload)
        await self.finish(delivery)
        return delivery

    async def start(self, payload: dict[str, Any]) -> WebhookDelivery:
        """Make the first delivery attempt; ``finish`` makes the retries."""
        body = encode_body(payload)
        delivery = WebhookDelivery(payload=payload, body=body)
        self.deliveries.append(delivery)
        delivery.attempt_statuses.append(await self._post(delivery, attempt=1))
        return delivery

    async def finish(self, delivery: WebhookDelivery) -> None:
        """Retry an undelivered webhook, doubling the delay after each attempt."""
        while not delivery.delivered:
            attempt = len(delivery.attempt_statuses) + 1
            if attempt > self.max_attempts:
                log.error(
                    "simulator.webhook_abandoned",
                    attempts=self.max_attempts,
                    last_status=delivery.attempt_statuses[-1],
                    **delivery.log_fields(),
                )
                return
            await asyncio.sleep(self.retry_base_seconds * 2 ** (attempt - 2))
            delivery.attempt_statuses.append(await self._post(delivery, attempt))

    async def _post(self, delivery: WebhookDelivery, attempt: int) -> int | None:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(delivery.body, self.app_secret),
        }
        try:
            response = await self.client.post(
                self.url, content=delivery.body, headers=headers
            )
        except httpx.HTTPError as error:
            log.warning(
                "simulator.webhook_failed",
                attempt=attempt,
                error=repr(error),
                **delivery.log_fields(),
            )
            return None

        if response.status_code != 200:
            log.warning(
                "simulator.webhook_failed",
                attempt=attempt,
                http_status=response.status_code,
                **delivery.log_fields(),
            )
        return response.status_code

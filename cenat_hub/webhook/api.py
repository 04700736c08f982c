"""``GET /webhook`` (Meta's handshake) and ``POST /webhook`` (deliveries)."""

import hmac
from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cenat_hub.db.session import unit_of_work, write_turn
from cenat_hub.integrations.whatsapp.signature import (
    SIGNATURE_HEADER,
    is_valid_signature,
)
from cenat_hub.models import WebhookDelivery
from cenat_hub.ops.metrics import WEBHOOK_DELIVERIES
from cenat_hub.web.state import app_state

log = structlog.get_logger(__name__)
router = APIRouter(tags=["webhook"])

# Meta's bodies reach a few megabytes (3 MB is the largest reported); anything
# far above that is not from Meta and is refused before it fills memory.
MAX_BODY_BYTES = 16 * 1024 * 1024


async def _read_body(request: Request) -> bytes | None:
    """Read the raw body, or return None once it passes ``MAX_BODY_BYTES``."""
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _archive(
    session_factory: async_sessionmaker[AsyncSession], body: bytes, signature: str
) -> int:
    """Store the body; return its delivery id.

    When the pooled connection turns out to be closed by the server (after a
    database restart), the pool discards it and the insert is tried once more
    on a new connection, so that Meta gets its 200 without a redelivery.
    """
    try:
        return await _insert_delivery(session_factory, body, signature)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("webhook.archive_retried", error=type(exc.orig).__name__)
    return await _insert_delivery(session_factory, body, signature)


async def _insert_delivery(
    session_factory: async_sessionmaker[AsyncSession], body: bytes, signature: str
) -> int:
    async with write_turn(session_factory), unit_of_work(session_factory) as session:
        delivery = WebhookDelivery(body=body, signature=signature[:100])
        session.add(delivery)
        await session.flush()
        return delivery.id


@router.get("/webhook", response_class=PlainTextResponse)
async def verify_webhook(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> PlainTextResponse:
    """Return the bare challenge to Meta's subscription check, or 403."""
    expected = app_state(request).settings.webhook_verify_token.get_secret_value()
    token_ok = verify_token is not None and hmac.compare_digest(
        verify_token.encode(), expected.encode()
    )
    if mode != "subscribe" or not token_ok or challenge is None:
        log.warning("webhook.verification_failed", mode=mode)
        return PlainTextResponse("Verification failed.", status_code=403)
    log.info("webhook.verified")
    return PlainTextResponse(challenge)


@router.post("/webhook")
async def receive_webhook(request: Request) -> JSONResponse:
    """Check the signature, archive the body, acknowledge, then process it."""
    state = app_state(request)
    signature = request.headers.get(SIGNATURE_HEADER)
    if signature is None:
        log.warning("webhook.signature_missing")
        WEBHOOK_DELIVERIES.labels("bad_signature").inc()
        return JSONResponse(
            {"detail": "Missing X-Hub-Signature-256 header."}, status_code=401
        )
    declared = request.headers.get("content-length", "")
    too_large = declared.isdigit() and int(declared) > MAX_BODY_BYTES
    body = None if too_large else await _read_body(request)
    if body is None:
        log.warning("webhook.body_too_large", limit=MAX_BODY_BYTES)
        WEBHOOK_DELIVERIES.labels("too_large").inc()
        return JSONResponse({"detail": "Request body is too large."}, status_code=413)
    app_secret = state.settings.whatsapp_app_secret.get_secret_value()
    if not is_valid_signature(body, signature, app_secret):
        log.warning("webhook.signature_invalid", size=len(body))
        WEBHOOK_DELIVERIES.labels("bad_signature").inc()
        return JSONResponse(
            {"detail": "Invalid X-Hub-Signature-256 signature."}, status_code=403
        )
    delivery_id = await _archive(state.session_factory, body, signature)
    log.info("webhook.received", delivery_id=delivery_id, size=len(body))
    WEBHOOK_DELIVERIES.labels("accepted").inc()
    state.webhook_worker.schedule(delivery_id)
    return JSONResponse({"status": "received"})

"""``/ready`` for load balancers and ``/metrics`` for Prometheus."""

import hmac
import ipaddress

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text

from cenat_hub.models import MediaFile, WebhookDelivery
from cenat_hub.models.media import MEDIA_FAILED, MEDIA_PENDING
from cenat_hub.models.webhook import DELIVERY_FAILED, DELIVERY_PENDING
from cenat_hub.ops import metrics
from cenat_hub.web.state import app_state

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operations"])


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Return 200 when a query on the database succeeds, 503 otherwise."""
    state = app_state(request)
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("ready.database_unreachable", error=type(exc).__name__)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
    return JSONResponse({"status": "ok", "database": "ok"})


def _is_allowed_scraper(request: Request) -> bool:
    """Return whether the client sent ``METRICS_TOKEN`` or is a direct loopback client."""
    token = app_state(request).settings.metrics_token
    header = request.headers.get("authorization", "")
    if token is not None and header.startswith("Bearer "):
        return hmac.compare_digest(
            header[7:].encode(), token.get_secret_value().encode()
        )
    if request.headers.get("x-forwarded-for") or request.headers.get("x-real-ip"):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    if not _is_allowed_scraper(request):
        return JSONResponse(
            {
                "detail": "Metrics are only served to loopback clients or with METRICS_TOKEN."
            },
            status_code=403,
        )
    state = app_state(request)
    async with state.session_factory() as session:
        deliveries = dict(
            (
                await session.execute(
                    select(WebhookDelivery.state, func.count())
                    .where(
                        WebhookDelivery.state.in_([DELIVERY_PENDING, DELIVERY_FAILED])
                    )
                    .group_by(WebhookDelivery.state)
                )
            ).all()
        )
        media = dict(
            (
                await session.execute(
                    select(MediaFile.state, func.count())
                    .where(MediaFile.state.in_([MEDIA_PENDING, MEDIA_FAILED]))
                    .group_by(MediaFile.state)
                )
            ).all()
        )
    metrics.WEBHOOK_PENDING.set(deliveries.get(DELIVERY_PENDING, 0))
    metrics.WEBHOOK_FAILED.set(deliveries.get(DELIVERY_FAILED, 0))
    metrics.MEDIA_PENDING.set(media.get(MEDIA_PENDING, 0))
    metrics.MEDIA_FAILED.set(media.get(MEDIA_FAILED, 0))
    metrics.EVENT_STREAMS.set(state.events.subscriber_count)
    body, content_type = metrics.render_metrics()
    return Response(body, media_type=content_type)

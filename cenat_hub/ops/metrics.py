"""Prometheus metrics of the service.

With several worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
folder shared by the workers so a scrape sees every process's counters.
"""

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEBHOOK_DELIVERIES = Counter(
    "cenat_webhook_deliveries_total",
    "Webhook POSTs by outcome (accepted, bad_signature, too_large).",
    ["outcome"],
)
WEBHOOK_PROCESSING_LAG = Histogram(
    "cenat_webhook_processing_lag_seconds",
    "Time from receiving a webhook body to finishing its processing.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300),
)
WEBHOOK_PENDING = Gauge(
    "cenat_webhook_pending",
    "Archived webhook bodies not processed yet.",
    multiprocess_mode="max",
)
WEBHOOK_FAILED = Gauge(
    "cenat_webhook_failed",
    "Archived webhook bodies that failed processing.",
    multiprocess_mode="max",
)
SENDS = Counter(
    "cenat_sends_total",
    "Outbound sends by outcome and Meta error code (0 when none).",
    ["outcome", "error_code"],
)
MEDIA_PENDING = Gauge(
    "cenat_media_downloads_pending",
    "Media files waiting to be downloaded.",
    multiprocess_mode="max",
)
MEDIA_FAILED = Gauge(
    "cenat_media_downloads_failed",
    "Media files that could not be downloaded.",
    multiprocess_mode="max",
)
EVENT_STREAMS = Gauge(
    "cenat_event_streams_open",
    "Browser event streams open.",
    multiprocess_mode="livesum",
)
REQUEST_LATENCY = Histogram(
    "cenat_http_request_duration_seconds",
    "HTTP request latency by method, route and status class.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def render_metrics() -> tuple[bytes, str]:
    """Return the exposition text of this process, or of all workers when multiprocess."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class RequestMetricsMiddleware:
    """Time each HTTP request under its route template, not its raw path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            REQUEST_LATENCY.labels(
                scope["method"], template, f"{status // 100}xx"
            ).observe(time.perf_counter() - started)

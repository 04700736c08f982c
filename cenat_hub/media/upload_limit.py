"""Reject a media upload whose Content-Length exceeds any file WhatsApp accepts.

FastAPI parses a multipart body, and stores its files on disk, before it runs
the route's dependencies, login included. Without this check anyone could make
the hub write an upload of any size to disk before the 401 response.

NOTE: a chunked body declares no length, so it is still read in full before
the route's own size checks run.
"""

import structlog
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cenat_hub.media.limits import DOCUMENT, SIZE_LIMITS, format_size

log = structlog.get_logger(__name__)

SEND_MEDIA_PATH = "/api/send/media"
MAX_MEDIA_BYTES = max(SIZE_LIMITS.values())
# Room for the other form fields (recipient, caption, ids) and the part headers.
FORM_OVERHEAD_BYTES = 64 * 1024
MAX_SEND_MEDIA_BODY_BYTES = MAX_MEDIA_BYTES + FORM_OVERHEAD_BYTES


class SendMediaSizeLimitMiddleware:
    """Middleware that returns 413 for an over-large ``/api/send/media`` body
    before reading any of it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == SEND_MEDIA_PATH
            and _declared_length(scope) > MAX_SEND_MEDIA_BODY_BYTES
        ):
            log.info("media.upload_too_large", limit=MAX_SEND_MEDIA_BODY_BYTES)
            response = JSONResponse(
                {
                    "detail": (
                        "O arquivo passa do limite de "
                        f"{format_size(SIZE_LIMITS[DOCUMENT])} do WhatsApp."
                    ),
                    "code": "payload_too_large",
                },
                status_code=413,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else 0
    return 0

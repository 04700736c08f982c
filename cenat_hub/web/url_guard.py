"""Reject request addresses that contain a NUL character.

PostgreSQL text cannot hold NUL, so a ``%00`` in a path segment or a query
value that reaches a query makes the driver fail and the request end in a
500. No address of the hub needs the character, so it is rejected up front.
"""

import structlog
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = structlog.get_logger(__name__)


class NulInAddressMiddleware:
    """Middleware that returns 400 when the path or query string contains NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and _has_nul(scope):
            log.info("request.nul_in_address", path=scope["path"].replace("\x00", ""))
            response = JSONResponse(
                {
                    "detail": "The address contains a NUL character (%00); remove it.",
                    "code": "invalid_input",
                },
                status_code=400,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query

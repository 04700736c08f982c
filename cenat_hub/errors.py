"""The one error base class of the service and its HTTP handler."""

from typing import Any, ClassVar
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from cenat_hub.i18n import N_, gettext

log = structlog.get_logger(__name__)


class CenatHubError(Exception):
    """An expected failure with its HTTP status and a one-sentence message."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self, message: str, *, page_message: str | None = None, **details: Any
    ) -> None:
        """``page_message`` is the text pages show instead of ``message``.

        It is an English message id of the catalogs, translated when the page
        is rendered.
        """
        super().__init__(message)
        self.message = message
        self.page_message = page_message
        self.details = details


class NotFoundError(CenatHubError):
    status_code = 404
    code = "not_found"


class ConflictError(CenatHubError):
    status_code = 409
    code = "conflict"


class InvalidInputError(CenatHubError):
    status_code = 400
    code = "invalid_input"


class AuthenticationError(CenatHubError):
    status_code = 401
    code = "not_authenticated"


class PermissionDeniedError(CenatHubError):
    status_code = 403
    code = "permission_denied"


class TooManyRequestsError(CenatHubError):
    status_code = 429
    code = "too_many_requests"


class UpstreamError(CenatHubError):
    """Meta's Graph API rejected or failed a call."""

    status_code = 502
    code = "upstream_error"


async def _handle_cenat_hub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CenatHubError)
    if exc.status_code == 303:
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    log.info(
        "request.rejected",
        path=request.url.path,
        status=exc.status_code,
        error_code=exc.code,
    )
    headers = _error_headers(exc)
    if _is_page_request(request):
        return _render_error_page(request, exc, headers)
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if exc.details:
        body["details"] = exc.details
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _error_headers(exc: CenatHubError) -> dict[str, str]:
    headers = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = exc.details.get("retry_after_seconds")
    if exc.status_code == 429 and isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    return headers


_PAGE_TITLES = {
    403: N_("Access denied"),
    404: N_("Page not found"),
    429: N_("Too many attempts"),
}
_DEFAULT_PAGE_TITLE = N_("This page could not be opened")


def _render_error_page(
    request: Request, exc: CenatHubError, headers: dict[str, str]
) -> Response:
    """Render the error inside the page layout, with the menu of a logged-in user."""
    from cenat_hub.web.pages import page_context
    from cenat_hub.web.templating import templates

    context = page_context(
        request,
        getattr(request.state, "signed_in", None),
        title=gettext(_PAGE_TITLES.get(exc.status_code, _DEFAULT_PAGE_TITLE)),
        message=gettext(exc.page_message or exc.message),
    )
    return templates.TemplateResponse(
        request, "error.html", context, status_code=exc.status_code, headers=headers
    )


def _is_page_request(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/webhook", "/static/")) or request.headers.get(
        "hx-request"
    ):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(CenatHubError, _handle_cenat_hub_error)

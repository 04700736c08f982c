"""Login and logout pages, and what every page needs to know its user."""

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from cenat_hub.auth.service import authenticate
from cenat_hub.errors import AuthenticationError, CenatHubError, NotFoundError
from cenat_hub.i18n import LOCALE_COOKIE, gettext, set_locale, supported
from cenat_hub.models import User
from cenat_hub.web.dependencies import Session, State, current_user
from cenat_hub.web.security import (
    CSRF_FORM_FIELD,
    SESSION_COOKIE,
    clear_session_cookie,
    csrf_token_for,
    is_valid_csrf,
    set_session_cookie,
)
from cenat_hub.web.templating import templates

router = APIRouter(include_in_schema=False)

# Browser files installed from the npm registry at set-up.
VENDOR_FILES = {
    "htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
    "sse.js": ("htmx-ext-sse", "dist/sse.js"),
}


class LoginRequiredError(CenatHubError):
    status_code = 303
    code = "login_required"


async def page_user(request: Request, session: Session) -> User:
    """Return the logged-in user of a page request, or redirect to the login page."""
    try:
        user = await current_user(request, session, None)
    except AuthenticationError as exc:
        raise LoginRequiredError("Log in to open this page.") from exc
    set_locale(user.locale)
    return user


PageUser = Annotated[User, Depends(page_user)]


def page_context(request: Request, user: User | None, **values: Any) -> dict[str, Any]:
    """Return the values every page template needs, plus the page's own."""
    secret = request.app.state.cenat.settings.jwt_secret.get_secret_value()
    session_token = request.cookies.get(SESSION_COOKIE, "")
    csrf = csrf_token_for(session_token, secret) if session_token else ""
    return {"request": request, "user": user, "csrf_token": csrf, **values}


def _safe_next(target: str | None) -> str:
    """Accept only a local path as the place to go after login."""
    if not target:
        return "/conversas"
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return "/conversas"
    return target


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/conversas", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> Response:
    context = page_context(request, None, next=_safe_next(next), error=None, email="")
    return templates.TemplateResponse(request, "login.html", context)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    session: Session,
    state: State,
    email: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    try:
        token, _user = await authenticate(session, state.settings, email, password)
    except CenatHubError as exc:
        message = _login_error(exc)
        context = page_context(
            request, None, next=_safe_next(next), error=message, email=email
        )
        return templates.TemplateResponse(
            request, "login.html", context, status_code=exc.status_code
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    max_age = int(state.settings.jwt_expire_hours * 3600)
    set_session_cookie(response, request, token, max_age)
    _remember_locale(response, _user.locale)
    return response


def _login_error(exc: CenatHubError) -> str:
    if "deactivated" in exc.message:
        return gettext("This user is inactive. Ask an administrator to reactivate it.")
    if exc.status_code == 429:
        return gettext("Too many attempts. Wait a few minutes and try again.")
    return gettext("Wrong email or password.")


def _remember_locale(response: Response, locale: str) -> None:
    """Keep the user's language in a cookie so the login page speaks it too."""
    response.set_cookie(
        LOCALE_COOKIE,
        supported(locale),
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        path="/",
    )


@router.post("/preferencias/idioma")
async def change_locale(
    request: Request,
    session: Session,
    user: PageUser,
    locale: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str | None, Form(alias=CSRF_FORM_FIELD)] = None,
) -> RedirectResponse:
    """Switch the interface language of the logged-in user."""
    secret = request.app.state.cenat.settings.jwt_secret.get_secret_value()
    session_token = request.cookies.get(SESSION_COOKIE, "")
    back = _safe_next(_local_referer(request))
    response = RedirectResponse(back, status_code=303)
    if not is_valid_csrf(session_token, csrf_token, secret):
        return response
    user.locale = supported(locale)
    _remember_locale(response, user.locale)
    return response


def _local_referer(request: Request) -> str | None:
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "") or None


@router.post("/logout")
async def logout(
    request: Request,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FORM_FIELD)] = None,
) -> RedirectResponse:
    secret = request.app.state.cenat.settings.jwt_secret.get_secret_value()
    session_token = request.cookies.get(SESSION_COOKIE, "")
    response = RedirectResponse("/login", status_code=303)
    if session_token and is_valid_csrf(session_token, csrf_token, secret):
        clear_session_cookie(response)
    return response


@router.get("/static/vendor/{name}")
async def vendor_file(name: str, state: State) -> FileResponse:
    if name not in VENDOR_FILES:
        raise NotFoundError(f"Static file {name} not found.")
    package, relative = VENDOR_FILES[name]
    path = state.settings.web_vendor_dir / package / relative
    if not path.is_file():
        raise NotFoundError(
            f"Static file {name} is not installed; run `npm ci` in the project folder."
        )
    return FileResponse(path, media_type="text/javascript")

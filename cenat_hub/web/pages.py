"""Login and logout pages, and what every page needs to know its user."""

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from cenat_hub.auth.schemas import MAX_PASSWORD_CHARS
from cenat_hub.auth.service import LoginFailedError, LoginThrottledError, authenticate
from cenat_hub.errors import (
    AuthenticationError,
    CenatHubError,
    NotFoundError,
    PermissionDeniedError,
)
from cenat_hub.i18n import LOCALE_COOKIE, N_, gettext, ngettext, set_locale, supported
from cenat_hub.models import User
from cenat_hub.web.dependencies import (
    Session,
    SignedInUser,
    State,
    client_address,
    current_user,
)
from cenat_hub.web.security import (
    CSRF_FORM_FIELD,
    LOGIN_CSRF_FIELD,
    SESSION_COOKIE,
    clear_login_csrf_cookie,
    clear_session_cookie,
    csrf_token_for,
    is_valid_csrf,
    is_valid_login_csrf,
    new_login_csrf_token,
    set_login_csrf_cookie,
    set_session_cookie,
)
from cenat_hub.web.templating import templates

router = APIRouter(include_in_schema=False)

# Browser files installed from the npm registry at set-up.
VENDOR_FILES = {
    "htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
    "sse.js": ("htmx-ext-sse", "dist/sse.js"),
    "swagger-ui-bundle.js": ("swagger-ui-dist", "swagger-ui-bundle.js"),
    "swagger-ui.css": ("swagger-ui-dist", "swagger-ui.css"),
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


async def page_admin(user: PageUser) -> User:
    """Return the logged-in admin, or render a 403 page for anyone else."""
    if not user.is_admin:
        raise PermissionDeniedError(
            "This page needs the admin role.",
            page_message=N_(
                "You are not allowed to open this page. "
                "It is restricted to administrators."
            ),
        )
    return user


PageAdmin = Annotated[User, Depends(page_admin)]


def page_context(
    request: Request, user: User | SignedInUser | None, **values: Any
) -> dict[str, Any]:
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
async def login_page(
    request: Request, session: Session, next: str | None = None
) -> Response:
    try:
        await current_user(request, session, None)
    except AuthenticationError:
        return _render_login(request, next=next)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    session: Session,
    state: State,
    email: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
    login_csrf: Annotated[str | None, Form(alias=LOGIN_CSRF_FIELD)] = None,
) -> Response:
    if not is_valid_login_csrf(request, login_csrf):
        message = gettext("The login page expired. Try to log in again.")
        return _render_login(request, next=next, email=email, error=message, status=403)
    if not email.strip() or not password:
        message = gettext("Fill in the e-mail and the password.")
        return _render_login(request, next=next, email=email, error=message, status=400)
    try:
        result = await authenticate(
            session, state.settings, email, password, client_address(request)
        )
    except LoginFailedError as exc:
        await session.commit()
        message = _login_error(exc)
        return _render_login(
            request, next=next, email=email, error=message, status=exc.status_code
        )
    except LoginThrottledError as exc:
        return _render_login(
            request,
            next=next,
            email=email,
            error=_login_error(exc),
            status=exc.status_code,
            headers={"Retry-After": str(exc.details["retry_after_seconds"])},
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    max_age = int(state.settings.jwt_expire_hours * 3600)
    set_session_cookie(response, request, result.access_token, max_age)
    _remember_locale(response, result.user.locale)
    clear_login_csrf_cookie(response)
    return response


def _render_login(
    request: Request,
    *,
    next: str | None,
    email: str = "",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render the login form with a fresh login CSRF token in its cookie and field."""
    login_token = new_login_csrf_token()
    context = page_context(
        request,
        None,
        next=_safe_next(next),
        error=error,
        email=email,
        login_csrf=login_token,
    )
    response = templates.TemplateResponse(
        request, "login.html", context, status_code=status, headers=headers
    )
    set_login_csrf_cookie(response, request, login_token)
    return response


def _login_error(exc: CenatHubError) -> str:
    if exc.details.get("reason") == "inactive":
        return gettext(
            "Inactive user. Ask an administrator to reactivate your account."
        )
    if exc.status_code == 429:
        minutes = -(-int(exc.details["retry_after_seconds"]) // 60)
        return ngettext(
            "Too many failed login attempts. Try again in %(num)d minute.",
            "Too many failed login attempts. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
    return gettext("Wrong e-mail or password.")


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
    user: PageUser,
    locale: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    """Switch the interface language of the logged-in user (``PageUser`` checks CSRF)."""
    response = RedirectResponse(_safe_next(_local_referer(request)), status_code=303)
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
    media_type = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(path, media_type=media_type)

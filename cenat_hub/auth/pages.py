"""The Usuários page (admins) and the Minha senha page (everyone).

Every form works with and without htmx: an htmx request gets the panel it
replaces, a plain form post is redirected back to the page (or, on an error,
gets the whole page with the error shown).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.auth import audit, service
from cenat_hub.auth.schemas import MAX_PASSWORD_CHARS, UserUpdate
from cenat_hub.errors import CenatHubError
from cenat_hub.i18n import N_, format_datetime, gettext
from cenat_hub.models import AuditLogEntry, User
from cenat_hub.models.user import ROLE_ADMIN, ROLE_AGENT
from cenat_hub.web.dependencies import IdPath, Session, State, client_address
from cenat_hub.web.pages import PageAdmin, PageUser, page_context
from cenat_hub.web.security import set_session_cookie
from cenat_hub.web.templating import templates

router = APIRouter(include_in_schema=False)

RECENT_AUDIT_ENTRIES = 30
ROLE_LABELS = {ROLE_ADMIN: N_("Administrator"), ROLE_AGENT: N_("Agent")}

# Messages for the reasons the account rules give in error details. They are
# English ids, translated when a page shows them.
_ERROR_MESSAGES = {
    "invalid_email": N_("Invalid e-mail. Use an address like name@example.com."),
    "password_too_short": N_(
        "The password is too short. Use at least {minimum} characters."
    ),
    "email_taken": N_("A user with the e-mail {email} already exists."),
    "invalid_role": N_("Invalid role. Choose Administrator or Agent."),
    "empty_name": N_("Enter the person's name."),
    "self_deactivation": N_(
        "You cannot deactivate your own user. Ask another administrator."
    ),
    "self_role_change": N_(
        "You cannot change your own role. Ask another administrator."
    ),
    "self_password_reset": N_("To change your own password, use the My password page."),
    "user_not_found": N_("User not found. Reload the page."),
    "wrong_current_password": N_("The current password is wrong."),
}
_DEFAULT_ERROR = N_("Could not save. Check the data and try again.")


def _message(reason: str, **values: object) -> str:
    return gettext(_ERROR_MESSAGES[reason]).format(
        minimum=service.MIN_PASSWORD_CHARS, **values
    )


def page_error(exc: CenatHubError) -> str:
    """Return the message the page shows, in the user's language."""
    if exc.status_code == 429:
        minutes = -(-int(exc.details.get("retry_after_seconds", 60)) // 60)
        return gettext("Too many failed attempts. Try again in {minutes} min.").format(
            minutes=minutes
        )
    reason = str(exc.details.get("reason"))
    if reason not in _ERROR_MESSAGES:
        return gettext(_DEFAULT_ERROR)
    details = {key: value for key, value in exc.details.items() if key != "reason"}
    return _message(reason, **details)


def _role_label(role: str) -> str:
    return gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else role


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as the page shows it."""

    when: str
    actor: str
    description: str


async def _discard_changes(session: AsyncSession, user: User) -> None:
    """Roll back a failed change and reload the user the page is rendered for."""
    await session.rollback()
    await session.refresh(user)


def _describe(entry: AuditLogEntry) -> str:
    details = entry.details or {}
    email = details.get("email", f"#{entry.target_id}")
    if entry.action == audit.USER_CREATED:
        return gettext("created the user {name} ({email}) as {role}").format(
            name=details.get("name", ""),
            email=email,
            role=_role_label(details.get("role", "")),
        )
    if entry.action == audit.USER_UPDATED:
        changes = details.get("changes", {})
        parts = []
        for field, change in changes.items():
            new_value = change.get("to")
            if field == "role":
                new_value = _role_label(str(new_value))
            label = _FIELD_CHANGES.get(field)
            if label is None:
                parts.append(f"{field}: {new_value}")
            else:
                parts.append(gettext(label).format(value=new_value))
        return gettext("changed {changes} of {email}").format(
            changes=", ".join(parts), email=email
        )
    if entry.action == audit.USER_ACTIVATED:
        return gettext("activated the user {email}").format(email=email)
    if entry.action == audit.USER_DEACTIVATED:
        return gettext("deactivated the user {email}").format(email=email)
    if entry.action == audit.USER_PASSWORD_RESET:
        return gettext("reset the password of {email}").format(email=email)
    if entry.action == audit.USER_PASSWORD_CHANGED:
        return gettext("changed their own password")
    if entry.action == audit.CHANNEL_CREATED:
        name = details.get("name", f"#{entry.target_id}")
        return gettext("created the channel {name} ({phone})").format(
            name=name, phone=details.get("phone_number", "")
        )
    return f"{entry.action} ({entry.target_type} {entry.target_id})"


_FIELD_CHANGES = {
    "name": N_("the name to {value}"),
    "email": N_("the e-mail to {value}"),
    "role": N_("the role to {value}"),
}


def _format_time(value: datetime, timezone: str) -> str:
    return format_datetime(value, ZoneInfo(timezone))


async def _audit_lines(session: AsyncSession, timezone: str) -> list[AuditLine]:
    rows = await audit.list_entries(session, limit=RECENT_AUDIT_ENTRIES)
    return [
        AuditLine(
            when=_format_time(entry.created_at, timezone),
            actor=actor.name if actor else gettext("Command line"),
            description=_describe(entry),
        )
        for entry, actor in rows
    ]


async def _render_users(
    request: Request,
    session: AsyncSession,
    state: State,
    admin: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """Render the whole page, or only its panel for an htmx request."""
    context = page_context(
        request,
        admin,
        users=await service.list_users(session),
        audit_lines=await _audit_lines(session, state.settings.timezone),
        role_labels=ROLE_LABELS,
        notice=notice,
        error=error,
        form=form or {"name": "", "email": "", "role": ROLE_AGENT},
    )
    is_htmx = request.headers.get("hx-request") == "true"
    template = "_usuarios_painel.html" if is_htmx else "usuarios.html"
    return templates.TemplateResponse(request, template, context, status_code=status)


async def _after_change(
    request: Request,
    session: AsyncSession,
    state: State,
    admin: User,
    notice: str,
) -> Response:
    if request.headers.get("hx-request") == "true":
        return await _render_users(request, session, state, admin, notice=notice)
    return RedirectResponse("/usuarios", status_code=303)


@router.get("/usuarios", response_class=HTMLResponse)
async def users_page(
    request: Request, session: Session, state: State, admin: PageAdmin
) -> Response:
    return await _render_users(request, session, state, admin)


@router.post("/usuarios", response_class=HTMLResponse)
async def create_user(
    request: Request,
    session: Session,
    state: State,
    admin: PageAdmin,
    name: Annotated[str, Form(max_length=255)] = "",
    email: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
    role: Annotated[str, Form(max_length=20)] = ROLE_AGENT,
) -> Response:
    form = {"name": name, "email": email, "role": role}
    try:
        user = await service.create_user(
            session, name=name, email=email, password=password, role=role, actor=admin
        )
    except CenatHubError as exc:
        await _discard_changes(session, admin)
        return await _render_users(
            request,
            session,
            state,
            admin,
            error=page_error(exc),
            form=form,
            status=exc.status_code,
        )
    notice = gettext("User {name} created.").format(name=user.name)
    return await _after_change(request, session, state, admin, notice)


async def _update(
    request: Request,
    session: AsyncSession,
    state: State,
    admin: User,
    user_id: int,
    changes: UserUpdate,
    notice: str,
) -> Response:
    try:
        user = await service.update_user(session, admin, user_id, changes)
    except CenatHubError as exc:
        await _discard_changes(session, admin)
        return await _render_users(
            request,
            session,
            state,
            admin,
            error=page_error(exc),
            status=exc.status_code,
        )
    return await _after_change(
        request, session, state, admin, gettext(notice).format(name=user.name)
    )


@router.post("/usuarios/{user_id}/status", response_class=HTMLResponse)
async def set_user_status(
    request: Request,
    user_id: IdPath,
    session: Session,
    state: State,
    admin: PageAdmin,
    is_active: Annotated[bool, Form()],
) -> Response:
    notice = (
        N_("User {name} activated.") if is_active else N_("User {name} deactivated.")
    )
    changes = UserUpdate(is_active=is_active)
    return await _update(request, session, state, admin, user_id, changes, notice)


@router.post("/usuarios/{user_id}/papel", response_class=HTMLResponse)
async def set_user_role(
    request: Request,
    user_id: IdPath,
    session: Session,
    state: State,
    admin: PageAdmin,
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    if role not in ROLE_LABELS:
        error = _message("invalid_role")
        return await _render_users(
            request, session, state, admin, error=error, status=400
        )
    changes = UserUpdate(role=role)  # type: ignore[arg-type]
    notice = N_("Role of {name} changed.")
    return await _update(request, session, state, admin, user_id, changes, notice)


@router.post("/usuarios/{user_id}/senha", response_class=HTMLResponse)
async def reset_user_password(
    request: Request,
    user_id: IdPath,
    session: Session,
    state: State,
    admin: PageAdmin,
    password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
) -> Response:
    changes = UserUpdate(password=password or None)
    if changes.password is None:
        error = _message("password_too_short")
        return await _render_users(
            request, session, state, admin, error=error, status=400
        )
    notice = N_("Password of {name} reset. Their open sessions were ended.")
    return await _update(request, session, state, admin, user_id, changes, notice)


def _render_password_page(
    request: Request,
    user: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    context = page_context(request, user, notice=notice, error=error)
    return templates.TemplateResponse(
        request, "conta_senha.html", context, status_code=status, headers=headers
    )


@router.get("/conta/senha", response_class=HTMLResponse)
async def password_page(
    request: Request, user: PageUser, alterada: bool = False
) -> Response:
    notice = (
        gettext("Password changed. Your other sessions were ended.")
        if alterada
        else None
    )
    return _render_password_page(request, user, notice=notice)


@router.post("/conta/senha", response_class=HTMLResponse)
async def change_password(
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    current_password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
    new_password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
    confirm_password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
) -> Response:
    """Change the user's own password and replace the session cookie.

    The old cookie stops working with the change, so the response carries a
    new one, and the page's CSRF token changes with it.
    """
    if new_password != confirm_password:
        error = gettext("The confirmation does not match the new password.")
        return _render_password_page(request, user, error=error, status=400)
    try:
        result = await service.change_own_password(
            session,
            state.settings,
            user,
            current_password=current_password,
            new_password=new_password,
            client_address=client_address(request),
        )
    except CenatHubError as exc:
        if isinstance(exc, service.WrongCurrentPasswordError):
            # The failed attempt must be stored although the change fails.
            await session.commit()
        else:
            await _discard_changes(session, user)
        return _render_password_page(
            request, user, error=page_error(exc), status=exc.status_code
        )
    await session.commit()
    response = RedirectResponse("/conta/senha?alterada=1", status_code=303)
    max_age = int(state.settings.jwt_expire_hours * 3600)
    set_session_cookie(response, request, result.access_token, max_age)
    return response

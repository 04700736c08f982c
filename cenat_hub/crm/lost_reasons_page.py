"""The Motivos de perda page: admins add, rename, deactivate and reactivate the
reasons agents pick when they mark a lead as lost.

Forms post normally. A successful change redirects back to the page, and a
rejected one re-renders it with the message and the error's 4xx status.
"""

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cenat_hub.crm import service
from cenat_hub.crm.schemas import LostReasonCreate, LostReasonUpdate
from cenat_hub.crm.service import MAX_LOST_REASON_NAME_CHARS
from cenat_hub.errors import (
    CenatHubError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from cenat_hub.i18n import gettext
from cenat_hub.models import User
from cenat_hub.web.dependencies import IdPath, Session
from cenat_hub.web.pages import PageUser, page_context
from cenat_hub.web.templating import templates

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/funil/motivos", include_in_schema=False)

PAGE_URL = "/funil/motivos"
# Twice the stored maximum, so an over-long name reaches the service and gets
# its own message instead of a bare validation error.
ReasonName = Annotated[str, Form(max_length=MAX_LOST_REASON_NAME_CHARS * 2)]


async def page_admin(user: PageUser) -> User:
    if not user.is_admin:
        raise PermissionDeniedError("Only admins can edit the lost reasons.")
    return user


PageAdmin = Annotated[User, Depends(page_admin)]


def _message_for(error: CenatHubError, name: str) -> str:
    cleaned = service.clean_lost_reason_name(name)
    if isinstance(error, ConflictError):
        return gettext("A reason named “{name}” already exists.").format(name=cleaned)
    if isinstance(error, NotFoundError):
        return gettext("This reason no longer exists. The list below is current.")
    if isinstance(error, InvalidInputError) and not cleaned:
        return gettext("Type a name for the reason.")
    if isinstance(error, InvalidInputError):
        return gettext("The name is too long: at most {limit} characters.").format(
            limit=MAX_LOST_REASON_NAME_CHARS
        )
    return gettext("The reason could not be saved. Check it and try again.")


async def _render(
    request: Request,
    session: Session,
    user: User,
    *,
    error: str | None = None,
    typed_name: str = "",
    status_code: int = 200,
) -> Response:
    reasons = await service.list_lost_reasons(session, include_inactive=True)
    context = page_context(
        request,
        user,
        reasons=reasons,
        error=error,
        typed_name=typed_name,
        max_name_chars=MAX_LOST_REASON_NAME_CHARS,
    )
    return templates.TemplateResponse(
        request, "crm/lost_reasons.html", context, status_code=status_code
    )


async def _rejected(
    request: Request, session: Session, user: User, error: CenatHubError, name: str
) -> Response:
    # The service checks before it changes anything, so the session has nothing
    # to roll back.
    log.info("lost_reasons_page.rejected", code=error.code, user_id=user.id)
    return await _render(
        request,
        session,
        user,
        error=_message_for(error, name),
        typed_name=name,
        status_code=error.status_code,
    )


@router.get("", response_class=HTMLResponse)
async def lost_reasons_page(
    request: Request, session: Session, user: PageAdmin
) -> Response:
    return await _render(request, session, user)


@router.post("", response_class=HTMLResponse)
async def create_reason(
    request: Request, session: Session, user: PageAdmin, name: ReasonName = ""
) -> Response:
    try:
        await service.create_lost_reason(session, user, LostReasonCreate(name=name))
    except CenatHubError as error:
        return await _rejected(request, session, user, error, name)
    await session.commit()
    return RedirectResponse(PAGE_URL, status_code=303)


@router.post("/{reason_id}", response_class=HTMLResponse)
async def update_reason(
    reason_id: IdPath,
    request: Request,
    session: Session,
    user: PageAdmin,
    name: ReasonName = "",
    is_active: Annotated[str | None, Form(max_length=5)] = None,
) -> Response:
    """Rename a reason, or switch it on or off when the form sends ``is_active``."""
    if is_active is not None:
        if is_active not in ("true", "false"):
            # Only the page's own buttons send this field; anything else is
            # refused rather than read as "false", which would deactivate.
            return await _render(
                request,
                session,
                user,
                error=gettext("The reason could not be saved. Check it and try again."),
                status_code=400,
            )
        update = LostReasonUpdate(is_active=is_active == "true")
    else:
        update = LostReasonUpdate(name=name)
    try:
        await service.update_lost_reason(session, user, reason_id, update)
    except CenatHubError as error:
        return await _rejected(request, session, user, error, name)
    await session.commit()
    return RedirectResponse(PAGE_URL, status_code=303)

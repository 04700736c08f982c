"""The Canais page: admins add, edit, deactivate and check WhatsApp numbers.

Every form posts with htmx, which swaps in the re-rendered section; without
htmx the same forms post normally and the page is redirected or re-rendered.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from cenat_hub.channels import service
from cenat_hub.channels.access import agents_with_channels
from cenat_hub.channels.schemas import ChannelCreate, ChannelId, ChannelUpdate
from cenat_hub.errors import CenatHubError, ConflictError, PermissionDeniedError
from cenat_hub.i18n import N_, gettext
from cenat_hub.models import User
from cenat_hub.web.dependencies import IdPath, Session, State
from cenat_hub.web.pages import PageUser, page_context
from cenat_hub.web.templating import templates

router = APIRouter(prefix="/canais", include_in_schema=False)

FIELD_LABELS = {
    "name": N_("Name"),
    "phone_number": N_("Number"),
    "phone_number_id": "Phone Number ID",
    "waba_id": "WABA ID",
    "whatsapp_token": N_("Access token"),
}

# Meta's quality rating of a phone number, as the check result names it.
QUALITY_LABELS = {
    "GREEN": N_("High"),
    "YELLOW": N_("Medium"),
    "RED": N_("Low"),
    "UNKNOWN": N_("Unknown"),
    "NA": N_("Not rated"),
}


async def page_admin(user: PageUser) -> User:
    if not user.is_admin:
        raise PermissionDeniedError(
            "Only administrators can manage the channels.",
            page_message=N_("Only administrators can manage the channels."),
        )
    return user


PageAdmin = Annotated[User, Depends(page_admin)]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _render_page(
    request: Request,
    session: Session,
    user: User,
    *,
    error: str | None = None,
    notice: str | None = None,
    editing: int | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """Render the whole page, or only its section for an htmx request."""
    channels = await service.list_channels(session, include_inactive=True)
    context = page_context(
        request,
        user,
        channels=channels,
        agents=await agents_with_channels(session),
        error=error,
        notice=notice,
        editing=editing,
        form=form or {},
    )
    if _is_htmx(request):
        return templates.TemplateResponse(request, "channels/_section.html", context)
    return templates.TemplateResponse(
        request, "channels/page.html", context, status_code=status_code
    )


def _redirect_to_page() -> Response:
    return RedirectResponse("/canais", status_code=303)


def _validation_message(exc: ValidationError) -> str:
    fields = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        label = gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name
        if label not in fields:
            fields.append(label)
    return gettext("Check these fields: {fields}.").format(fields=", ".join(fields))


def _error_message(exc: CenatHubError) -> str:
    if isinstance(exc, ConflictError):
        return gettext("A channel with this Phone Number ID already exists.")
    return gettext("Could not save the channel. Check the data and try again.")


@router.get("", response_class=HTMLResponse)
async def channels_page(
    request: Request, session: Session, user: PageAdmin
) -> Response:
    return await _render_page(request, session, user)


@router.get("/{channel_id}/editar", response_class=HTMLResponse)
async def edit_form(
    channel_id: IdPath, request: Request, session: Session, user: PageAdmin
) -> Response:
    await service.get_channel(session, channel_id)
    return await _render_page(request, session, user, editing=channel_id)


@router.post("", response_class=HTMLResponse)
async def create_channel(
    request: Request,
    session: Session,
    state: State,
    user: PageAdmin,
    name: Annotated[str, Form(max_length=200)] = "",
    phone_number: Annotated[str, Form(max_length=60)] = "",
    phone_number_id: Annotated[str, Form(max_length=100)] = "",
    waba_id: Annotated[str, Form(max_length=100)] = "",
    whatsapp_token: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    form = {
        "name": name,
        "phone_number": phone_number,
        "phone_number_id": phone_number_id.strip(),
        "waba_id": waba_id.strip(),
    }
    try:
        data = ChannelCreate(**form, whatsapp_token=whatsapp_token)
        channel = await service.create_channel(session, state.cipher, data, user)
    except ValidationError as exc:
        return await _render_page(
            request,
            session,
            user,
            error=_validation_message(exc),
            form=form,
            status_code=400,
        )
    except CenatHubError as exc:
        return await _render_page(
            request,
            session,
            user,
            error=_error_message(exc),
            form=form,
            status_code=exc.status_code,
        )
    notice = gettext("Channel “{name}” added.").format(name=channel.name)
    if _is_htmx(request):
        return await _render_page(request, session, user, notice=notice)
    return _redirect_to_page()


@router.post("/{channel_id}", response_class=HTMLResponse)
async def update_channel(
    channel_id: IdPath,
    request: Request,
    session: Session,
    state: State,
    user: PageAdmin,
    name: Annotated[str, Form(max_length=200)] = "",
    phone_number: Annotated[str, Form(max_length=60)] = "",
    waba_id: Annotated[str, Form(max_length=100)] = "",
    whatsapp_token: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    changes: dict[str, Any] = {
        "name": name,
        "phone_number": phone_number,
        "waba_id": waba_id.strip(),
    }
    if whatsapp_token.strip():
        changes["whatsapp_token"] = whatsapp_token
    try:
        data = ChannelUpdate(**changes)
        channel = await service.update_channel(
            session, state.cipher, channel_id, data, user
        )
    except ValidationError as exc:
        return await _render_page(
            request,
            session,
            user,
            error=_validation_message(exc),
            editing=channel_id,
            status_code=400,
        )
    notice = gettext("Channel “{name}” updated.").format(name=channel.name)
    if _is_htmx(request):
        return await _render_page(request, session, user, notice=notice)
    return _redirect_to_page()


@router.post("/{channel_id}/desativar", response_class=HTMLResponse)
async def deactivate_channel(
    channel_id: IdPath, request: Request, session: Session, user: PageAdmin
) -> Response:
    channel = await service.set_channel_active(session, channel_id, False, user)
    notice = gettext(
        "Channel “{name}” deactivated. Its history is still available."
    ).format(name=channel.name)
    if _is_htmx(request):
        return await _render_page(request, session, user, notice=notice)
    return _redirect_to_page()


@router.post("/{channel_id}/ativar", response_class=HTMLResponse)
async def activate_channel(
    channel_id: IdPath, request: Request, session: Session, user: PageAdmin
) -> Response:
    channel = await service.set_channel_active(session, channel_id, True, user)
    notice = gettext("Channel “{name}” activated.").format(name=channel.name)
    if _is_htmx(request):
        return await _render_page(request, session, user, notice=notice)
    return _redirect_to_page()


@router.post("/{channel_id}/verificar", response_class=HTMLResponse)
async def check_channel(
    channel_id: IdPath,
    request: Request,
    session: Session,
    state: State,
    user: PageAdmin,
) -> Response:
    """Check the channel's token with Meta and render the outcome."""
    channel = await service.get_channel(session, channel_id)
    token = service.read_token(state.cipher, channel)
    phone_number_id = channel.phone_number_id
    # End the transaction before Meta is called: on SQLite it holds the write lock.
    await session.commit()
    if token is None:
        result = service.unreadable_token_check(channel_id)
    else:
        result = await service.check_channel(
            state.graph, channel_id, phone_number_id, token
        )
    context = page_context(request, user, result=result, quality_labels=QUALITY_LABELS)
    if _is_htmx(request):
        return templates.TemplateResponse(request, "channels/_check.html", context)
    return templates.TemplateResponse(request, "channels/check_page.html", context)


@router.post("/atendentes/{user_id}", response_class=HTMLResponse)
async def limit_agent(
    user_id: IdPath,
    request: Request,
    session: Session,
    user: PageAdmin,
    channel_ids: Annotated[list[ChannelId] | None, Form(max_length=500)] = None,
) -> Response:
    await service.limit_user_channels(session, user, user_id, channel_ids or [])
    notice = gettext("Agent access saved.")
    if _is_htmx(request):
        return await _render_page(request, session, user, notice=notice)
    return _redirect_to_page()

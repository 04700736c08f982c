"""The "Nova conversa" page: pick an approved template, fill it, preview it, send it.

The page works as a plain form. htmx only swaps in the template list of the
chosen channel, the fields of the chosen template and the live preview.
"""

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from cenat_hub.channels.service import list_active_channels
from cenat_hub.contacts.identity import find_contact_by_any_id
from cenat_hub.db.types import utcnow
from cenat_hub.errors import CenatHubError, PermissionDeniedError
from cenat_hub.i18n import gettext
from cenat_hub.integrations.whatsapp.errors import GraphAPIError
from cenat_hub.media.storage import StoredFile
from cenat_hub.messages import sending
from cenat_hub.models import Channel, Contact, Conversation, MediaFile, Message, User
from cenat_hub.models.media import MEDIA_STORED
from cenat_hub.models.message import STATUS_FAILED
from cenat_hub.templates import service
from cenat_hub.templates.components import (
    MEDIA_HEADER_TYPES,
    TemplateStructure,
    build_preview,
)
from cenat_hub.templates.schemas import SendTemplateRequest
from cenat_hub.web.dependencies import (
    MAX_DATABASE_ID,
    IdQuery,
    OptionalIdQuery,
    Session,
    State,
)
from cenat_hub.web.pages import PageUser, page_context
from cenat_hub.web.templating import templates as jinja

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

PAGE = "new_conversation.html"
PICKER = "new_conversation/_template_picker.html"
FIELDS = "new_conversation/_template_fields.html"
PREVIEW = "new_conversation/_template_preview.html"
FIELD_PREFIXES = ("header.", "body.", "button.")
TYPED_NUMBER = re.compile(r"[\d\s()+.-]+")
UPLOAD_FIELD = "header_file"
# NOTE: Meta takes documents up to 100 MB, but an upload through this page is
# read into memory, so it is capped lower.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
UPLOAD_MIME_TYPES = {
    "IMAGE": {"image/jpeg", "image/png"},
    "VIDEO": {"video/mp4", "video/3gpp"},
    "DOCUMENT": {
        "application/pdf",
        "text/plain",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    },
}


@dataclass
class FormState:
    """The state of the page's form: the choices made so far and any errors."""

    phone: str = ""
    name: str = ""
    channel_id: int | None = None
    template: str = ""
    values: dict[str, str] = field(default_factory=dict)
    field_errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    conversation_url: str | None = None


@dataclass
class TemplateChoice:
    value: str
    label: str
    supported: bool
    reason: str | None


def _template_value(name: str, language: str) -> str:
    return f"{name}|{language}"


def _split_template_value(value: str) -> tuple[str, str] | None:
    name, separator, language = value.partition("|")
    if not separator or not name or not language or len(value) > 540:
        return None
    return name, language


def conversation_url(wa_id: str, channel_id: int) -> str:
    return "/conversas?" + urlencode({"contact": wa_id, "channel_id": channel_id})


async def _visible_channels(session: AsyncSession, user: User) -> list[Channel]:
    visible = []
    for channel in await list_active_channels(session):
        try:
            await service.channel_for_templates(session, user, channel.id)
        except PermissionDeniedError:
            continue
        except CenatHubError:
            visible.append(channel)
        else:
            visible.append(channel)
    return visible


async def _template_choices(
    state: State, channel: Channel | None
) -> tuple[list[TemplateChoice], str | None]:
    """Return the approved templates of a channel for the picker, or why there are none."""
    if channel is None:
        return [], gettext("No active channel available.")
    if not channel.waba_id:
        return [], gettext("This channel has no WhatsApp Business account ID (WABA).")
    try:
        templates = await service.approved_templates(state, channel)
    except CenatHubError as exc:
        explanation = exc.details.get("explanation") or exc.message
        return [], gettext("Could not load the templates: {explanation}").format(
            explanation=explanation
        )
    choices = []
    for template in templates:
        structure = service.structure_of(template)
        label = f"{template.name} ({template.language})"
        choices.append(
            TemplateChoice(
                value=_template_value(template.name, template.language),
                label=label,
                supported=structure.unsupported_reason is None,
                reason=structure.unsupported_reason,
            )
        )
    if not choices:
        return [], gettext("No approved template in this account.")
    return choices, None


async def _structure(
    session: AsyncSession, user: User, channel_id: int | None, template: str
) -> tuple[TemplateStructure | None, str | None]:
    """Return the chosen template's structure, or the reason it is unusable."""
    chosen = _split_template_value(template)
    if channel_id is None or chosen is None:
        return None, None
    try:
        channel = await service.channel_for_templates(session, user, channel_id)
        _row, structure = await service.sendable_template(session, channel, *chosen)
    except CenatHubError as exc:
        return None, _page_error(exc)
    return structure, None


def _page_error(exc: CenatHubError) -> str:
    """Return the page's text for an error raised while preparing a send."""
    if isinstance(exc, service.TemplateNotApprovedError):
        return gettext("This template is not approved and cannot be sent.")
    if isinstance(exc, service.TemplateUnsupportedError):
        return gettext(
            "This template uses a feature that sending from here does not support yet."
        )
    if isinstance(exc, service.TemplateNotFoundError):
        return gettext("Template not found. Refresh the list of templates.")
    if isinstance(exc, service.TemplateValuesError):
        return gettext("Check the highlighted fields.")
    if isinstance(exc, PermissionDeniedError):
        return gettext("You have no access to this channel.")
    explanation = exc.details.get("explanation")
    if isinstance(explanation, str):
        return explanation
    if "phone" in exc.details.get("fields", {}):
        return exc.details["fields"]["phone"]
    return gettext("Could not send: {reason}").format(reason=exc.message)


def _values_from(items: Any) -> dict[str, str]:
    """Collect the template field values of a form or query string."""
    return {
        key: value.strip()
        for key, value in items
        if key.startswith(FIELD_PREFIXES) and isinstance(value, str) and len(key) <= 100
    }


async def _render_page(
    request: Request,
    session: AsyncSession,
    state: State,
    user: User,
    form: FormState,
    status_code: int = 200,
) -> Response:
    channels = await _visible_channels(session, user)
    if form.channel_id is None and channels:
        form.channel_id = channels[0].id
    channel = next((c for c in channels if c.id == form.channel_id), None)
    structure, template_error = await _structure(
        session, user, form.channel_id, form.template
    )
    await session.commit()
    choices, picker_error = await _template_choices(state, channel)
    context = page_context(
        request,
        user,
        form=form,
        channels=channels,
        choices=choices,
        picker_error=picker_error,
        structure=structure,
        template_error=template_error,
        preview=build_preview(structure, form.values) if structure else None,
        client_message_id=uuid.uuid4().hex,
    )
    return jinja.TemplateResponse(request, PAGE, context, status_code=status_code)


@router.get("/nova-conversa", response_class=HTMLResponse)
async def new_conversation_page(
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    wa_id: Annotated[str | None, Query(max_length=150)] = None,
    channel_id: OptionalIdQuery = None,
    template: Annotated[str, Query(max_length=540)] = "",
) -> Response:
    """Show the page; ``?wa_id=`` fills in a known contact's number and name."""
    form = FormState(channel_id=channel_id, template=template)
    if wa_id:
        form.phone = f"+{wa_id}" if wa_id.isdigit() else wa_id
        contact = await find_contact_by_any_id(session, wa_id)
        if contact is not None:
            form.phone = (
                f"+{contact.wa_id}" if contact.wa_id.isdigit() else contact.wa_id
            )
            form.name = contact.name or ""
            if channel_id is None:
                form.channel_id = await _latest_channel_of(session, contact)
    return await _render_page(request, session, state, user, form)


async def _latest_channel_of(session: AsyncSession, contact: Contact) -> int | None:
    statement = (
        select(Conversation.channel_id)
        .where(Conversation.contact_id == contact.id)
        .order_by(Conversation.last_message_at.desc().nulls_last())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


@router.get("/nova-conversa/modelos", response_class=HTMLResponse)
async def template_picker(
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    channel_id: IdQuery,
) -> Response:
    """Render the template picker of a channel (and clear the preview)."""
    channels = await _visible_channels(session, user)
    channel = next((c for c in channels if c.id == channel_id), None)
    await session.commit()
    choices, picker_error = await _template_choices(state, channel)
    context = page_context(
        request,
        user,
        form=FormState(channel_id=channel_id),
        choices=choices,
        picker_error=picker_error,
        structure=None,
        template_error=None,
        preview=None,
        oob_preview=True,
    )
    return jinja.TemplateResponse(request, PICKER, context)


@router.get("/nova-conversa/campos", response_class=HTMLResponse)
async def template_fields(
    request: Request,
    session: Session,
    user: PageUser,
    channel_id: IdQuery,
    template: Annotated[str, Query(max_length=540)] = "",
) -> Response:
    """Render the fields of the chosen template, and its preview out of band."""
    structure, template_error = await _structure(session, user, channel_id, template)
    context = page_context(
        request,
        user,
        form=FormState(channel_id=channel_id, template=template),
        structure=structure,
        template_error=template_error,
        preview=build_preview(structure, {}) if structure else None,
        oob_preview=True,
    )
    return jinja.TemplateResponse(request, FIELDS, context)


@router.get("/nova-conversa/previa", response_class=HTMLResponse)
async def template_preview(
    request: Request,
    session: Session,
    user: PageUser,
    channel_id: IdQuery,
    template: Annotated[str, Query(max_length=540)] = "",
) -> Response:
    """Render the preview bubble of the template filled with the query's values."""
    structure, _error = await _structure(session, user, channel_id, template)
    values = _values_from(request.query_params.multi_items())
    context = page_context(
        request,
        user,
        preview=build_preview(structure, values) if structure else None,
        oob_preview=False,
    )
    return jinja.TemplateResponse(request, PREVIEW, context)


@router.post("/nova-conversa", response_class=HTMLResponse)
async def send_from_page(
    request: Request, session: Session, state: State, user: PageUser
) -> Response:
    """Send the template; land in the conversation, or show the page with the errors.

    ``PageUser`` has already checked the form's CSRF token.
    """
    form_data = await request.form()
    form = _form_state(form_data)
    try:
        message, contact = await _send(session, state, user, form, form_data)
    except CenatHubError as exc:
        await _roll_back(session, user)
        form.field_errors = dict(exc.details.get("fields") or {})
        form.error = _page_error(exc)
        return await _render_page(request, session, state, user, form, exc.status_code)
    except ValidationError as exc:
        await _roll_back(session, user)
        form.error = _validation_error_text(exc)
        return await _render_page(request, session, state, user, form, 400)

    assert form.channel_id is not None
    url = conversation_url(contact.wa_id, form.channel_id)
    if message.status == STATUS_FAILED:
        form.error = message.error_message or gettext("Meta refused the template.")
        form.conversation_url = url
        return await _render_page(request, session, state, user, form)
    return RedirectResponse(url, status_code=303)


async def _roll_back(session: AsyncSession, user: User) -> None:
    """Undo a failed send; the user is loaded again because rollback expires it."""
    await session.rollback()
    await session.refresh(user)


def _form_state(form_data: FormData) -> FormState:
    def text(name: str, limit: int) -> str:
        value = form_data.get(name)
        return value.strip()[:limit] if isinstance(value, str) else ""

    channel = text("channel_id", 20)
    # isdigit() also accepts "²", which int() rejects, so test for ASCII first.
    channel_id = int(channel) if channel.isascii() and channel.isdigit() else None
    return FormState(
        phone=text("phone", 40),
        name=text("name", 255),
        channel_id=channel_id if channel_id and channel_id <= MAX_DATABASE_ID else None,
        template=text("template", 540),
        values=_values_from(form_data.multi_items()),
    )


def _validation_error_text(exc: ValidationError) -> str:
    fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
    if "phone" in fields or "wa_id" in fields:
        return gettext("Enter the lead's phone number.")
    return gettext("Check the fields of the form.")


async def _send(
    session: AsyncSession,
    state: State,
    user: User,
    form: FormState,
    form_data: FormData,
) -> tuple[Message, Contact]:
    chosen = _split_template_value(form.template)
    if form.channel_id is None or chosen is None:
        raise service.TemplateValuesError(
            "Choose a channel and a template.",
            fields={"template": gettext("Choose a template.")},
        )
    channel = await service.channel_for_templates(session, user, form.channel_id)
    await session.commit()
    await service.ensure_fresh_cache(state, channel)
    _row, structure = await service.sendable_template(session, channel, *chosen)
    await session.commit()

    upload = await _upload_header_file(state, channel, structure, form_data, form)
    media_id = upload.media_id if upload else None
    # A lead known only by a business-scoped user id is prefilled with that id.
    typed_number = TYPED_NUMBER.fullmatch(form.phone) is not None
    request = SendTemplateRequest(
        phone=form.phone if typed_number else None,
        wa_id=None if typed_number or not form.phone else form.phone,
        name=form.name or None,
        channel_id=channel.id,
        template_name=chosen[0],
        language=chosen[1],
        values={key: value for key, value in form.values.items() if value},
        header_media_id=media_id,
        client_message_id=_client_message_id(form_data),
    )
    message, created = await service.queue_template(session, user, request, channel)
    if created and upload is not None:
        _record_header_copy(session, message, upload)
    await session.commit()
    if created:
        message = await sending.deliver(state, message.id)
        await service.note_send_outcome(state, channel, message)
    contact = await session.get(Contact, message.contact_id, populate_existing=True)
    assert contact is not None
    return message, contact


def _client_message_id(form_data: FormData) -> str | None:
    value = form_data.get("client_message_id")
    if isinstance(value, str) and 8 <= len(value) <= 100 and value.isalnum():
        return value
    return None


@dataclass(frozen=True)
class HeaderUpload:
    """A header file uploaded to Meta, and our copy of it for the chat."""

    media_id: str
    mime_type: str
    filename: str
    stored: StoredFile


def _record_header_copy(
    session: AsyncSession, message: Message, upload: HeaderUpload
) -> None:
    """Record our copy of the header file beside the template message.

    The chat then shows the header, and the media route serves it to the users
    who may see the message's channel.
    """
    session.add(
        MediaFile(
            media_id=upload.media_id,
            channel_id=message.channel_id,
            message_id=message.id,
            mime_type=upload.mime_type,
            sha256=upload.stored.sha256,
            file_size=upload.stored.size,
            filename=upload.filename,
            path=upload.stored.path,
            state=MEDIA_STORED,
            attempts=0,
            stored_at=utcnow(),
        )
    )


async def _upload_header_file(
    state: State,
    channel: Channel,
    structure: TemplateStructure,
    form_data: FormData,
    form: FormState,
) -> HeaderUpload | None:
    """Upload the file chosen for a media header to Meta and keep a copy.

    A chosen file takes the place of a typed link.
    """
    upload = form_data.get(UPLOAD_FIELD)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    header_format = structure.header_format or ""
    allowed = UPLOAD_MIME_TYPES.get(header_format)
    mime_type = (upload.content_type or "").split(";")[0].strip().lower()

    if header_format not in MEDIA_HEADER_TYPES or allowed is None:
        raise service.TemplateValuesError(
            "The template takes no uploaded file.",
            fields={
                "header.media": gettext("This template takes no file in its header.")
            },
        )
    if mime_type not in allowed:
        raise service.TemplateValuesError(
            f"File type {mime_type} is not accepted for a {header_format} header.",
            fields={"header.media": gettext("File type not accepted for this header.")},
        )

    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise service.TemplateValuesError(
            f"The file is larger than {MAX_UPLOAD_BYTES} bytes.",
            fields={"header.media": gettext("File too large (16 MB at most).")},
        )

    form.values.pop("header.media", None)
    if header_format == "DOCUMENT" and not form.values.get("header.filename"):
        form.values["header.filename"] = upload.filename[:240]

    filename = upload.filename[:240]
    try:
        media_id = await state.graph.upload_media(
            channel.phone_number_id,
            service.channel_token(state, channel),
            data,
            mime_type,
            filename,
        )
    except GraphAPIError as exc:
        log.warning(
            "templates.header_upload_failed", code=exc.code, channel_id=channel.id
        )
        raise service.TemplateValuesError(
            f"Uploading the header file failed: {exc.title}",
            fields={"header.media": exc.portuguese},
        ) from exc
    stored = await asyncio.to_thread(state.media_storage.write_bytes, data)
    return HeaderUpload(media_id, mime_type, filename, stored)

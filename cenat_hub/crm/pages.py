"""CRM pages: the Funil board and the lead panel the inbox embeds.

Routes under /funil and /crm return a whole page to a plain GET and only the
fragment an htmx request needs otherwise. Rejected actions re-render their
fragment with a message in the user's language and the error's 4xx status.
"""

from collections.abc import Awaitable
from dataclasses import replace
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from cenat_hub.channels.access import can_see_channel, visible_channel_ids
from cenat_hub.contacts.service import ContactFilter
from cenat_hub.crm import csv_io, importing, queries, service, views
from cenat_hub.crm.display import (
    Display,
    invalid_csv_message,
    page_error,
    status_choices,
)
from cenat_hub.crm.importing import ContactRef
from cenat_hub.crm.queries import PageCursor, channels_by_id
from cenat_hub.crm.schemas import ImportReport, StatusUpdate
from cenat_hub.errors import CenatHubError, InvalidInputError
from cenat_hub.models import Contact, User
from cenat_hub.web.dependencies import IdPath, Session, State
from cenat_hub.web.pages import PageUser, page_context
from cenat_hub.web.templating import templates

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False)

OptionalText = Annotated[str, Query(max_length=100)]
ChangeResult = TypeVar("ChangeResult")


def _is_fragment_request(request: Request) -> bool:
    return bool(request.headers.get("hx-request")) and not request.headers.get(
        "hx-history-restore-request"
    )


def _optional_id(value: str) -> int | None:
    # isdigit() alone also accepts "²", which int() rejects.
    return (
        int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
    )


def _board_filter(
    channel_id: str, tag_id: str, search: str, visible: set[int] | None = None
) -> ContactFilter:
    return ContactFilter(
        channel_id=_optional_id(channel_id),
        tag_id=_optional_id(tag_id),
        search=search.strip() or None,
        visible=frozenset(visible) if visible is not None else None,
    )


def _filter_query(contact_filter: ContactFilter) -> str:
    values = {
        "channel_id": contact_filter.channel_id or "",
        "tag_id": contact_filter.tag_id or "",
        "search": contact_filter.search or "",
    }
    return urlencode({key: value for key, value in values.items() if value})


def _render(
    request: Request,
    user: User,
    state: State,
    template: str,
    status_code: int = 200,
    **values: Any,
) -> Response:
    context = page_context(
        request,
        user,
        fmt=Display(state.settings.timezone),
        statuses=status_choices(),
        palette=service.TAG_PALETTE,
        **values,
    )
    return templates.TemplateResponse(
        request, template, context, status_code=status_code
    )


async def _attempt(
    session: Session, change: Awaitable[ChangeResult]
) -> tuple[ChangeResult | None, CenatHubError | None]:
    """Run a change inside a savepoint; return its result or the rejection.

    Only the savepoint is rolled back, so the objects already loaded for the
    page (the user, above all) stay usable while the error is rendered.
    """
    try:
        async with session.begin_nested():
            return await change, None
    except CenatHubError as exc:
        log.info("crm.change_rejected", error_code=exc.code, status=exc.status_code)
        return None, exc


# The Funil board.


@router.get("/funil", response_class=HTMLResponse)
async def pipeline_page(
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    channel_id: OptionalText = "",
    tag_id: OptionalText = "",
    search: OptionalText = "",
) -> Response:
    visible = await visible_channel_ids(session, user)
    contact_filter = _board_filter(channel_id, tag_id, search, visible)
    columns = await views.board_columns(session, contact_filter)
    values = {
        "columns": columns,
        "contact_filter": contact_filter,
        "filter_query": _filter_query(contact_filter),
    }
    if _is_fragment_request(request):
        return _render(request, user, state, "crm/_board.html", **values)
    channels = await channels_by_id(session)
    return _render(
        request,
        user,
        state,
        "crm/pipeline.html",
        channels=[
            channel
            for channel in channels.values()
            if can_see_channel(visible, channel.id)
        ],
        tags=await service.list_tags(session),
        lost_reasons=await service.list_lost_reasons(session, include_inactive=False),
        **values,
    )


@router.get("/funil/colunas/{status}", response_class=HTMLResponse)
async def pipeline_column_page(
    status: str,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    cursor: OptionalText = "",
    channel_id: OptionalText = "",
    tag_id: OptionalText = "",
    search: OptionalText = "",
) -> Response:
    """Return the next cards of one column and a new "carregar mais" item."""
    page_cursor = PageCursor.decode(cursor)
    if page_cursor is None:
        raise InvalidInputError(
            f"Page cursor {cursor[:40]!r} is invalid; reload the page."
        )
    visible = await visible_channel_ids(session, user)
    contact_filter = replace(
        _board_filter(channel_id, tag_id, search, visible),
        lead_status=service.check_status(status),
    )
    cards, next_cursor = await views.column_page(session, contact_filter, page_cursor)
    return _render(
        request,
        user,
        state,
        "crm/_column_page.html",
        cards=cards,
        status=status,
        next_cursor=next_cursor,
        filter_query=_filter_query(replace(contact_filter, lead_status=None)),
    )


@router.get("/funil/cards/{wa_id}", response_class=HTMLResponse)
async def pipeline_card(
    wa_id: str,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    channel_id: OptionalText = "",
    tag_id: OptionalText = "",
    search: OptionalText = "",
) -> Response:
    """Return one card, or 204 when the board's filters exclude the lead.

    The board fetches a card when the events stream reports a changed lead,
    so the response gives both the card and whether it stays on the board.
    """
    visible = await visible_channel_ids(session, user)
    contact_filter = _board_filter(channel_id, tag_id, search, visible)
    contact = await service.get_contact(session, wa_id)
    if not await queries.contact_passes(session, contact.id, contact_filter):
        return Response(status_code=204)
    card = await views.lead_card(session, contact.wa_id)
    return _render(request, user, state, "crm/_card.html", card=card)


@router.post("/funil/cards/{wa_id}/status", response_class=HTMLResponse)
async def pipeline_move_card(
    wa_id: str,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    lead_status: Annotated[str, Form(max_length=30)],
    lost_reason_id: Annotated[str, Form(max_length=10)] = "",
    lost_reason_text: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Move a card to another column; return the card as it is now."""
    update = StatusUpdate(
        lead_status=lead_status,
        lost_reason_id=_optional_id(lost_reason_id),
        lost_reason_text=lost_reason_text or None,
    )
    outcome, exc = await _attempt(
        session, service.change_status(session, user, wa_id, update)
    )
    if exc is not None:
        return _render(
            request,
            user,
            state,
            "crm/_message.html",
            status_code=exc.status_code,
            message=page_error(exc),
        )
    assert outcome is not None
    contact, changed = outcome
    card = await views.lead_card(session, contact.wa_id)
    await session.commit()
    if changed:
        await state.events.publish([service.contact_updated_event(contact)])
    return _render(request, user, state, "crm/_card.html", card=card)


@router.post("/funil/importar", response_class=HTMLResponse)
async def pipeline_import(
    request: Request, session: Session, state: State, user: PageUser
) -> Response:
    """Import a CSV from the Funil page and show the report."""
    outcome, exc = await _attempt(session, _import_upload(request, session, user))
    if exc is not None:
        message = (
            invalid_csv_message()
            if isinstance(exc, csv_io.InvalidCsvError)
            else page_error(exc)
        )
        return _render(
            request,
            user,
            state,
            "crm/_message.html",
            status_code=exc.status_code,
            message=message,
        )
    assert outcome is not None
    report, changed = outcome
    await session.commit()
    await importing.publish_contact_updates(state.events, changed)
    response = _render(
        request,
        user,
        state,
        "crm/_import_report.html",
        report=report,
    )
    response.headers["HX-Trigger"] = "contacts-imported"
    return response


async def _import_upload(
    request: Request, session: Session, user: User
) -> tuple[ImportReport, list[ContactRef]]:
    upload = await csv_io.read_form_file(request)
    parsed = csv_io.parse_upload(await csv_io.read_upload(upload))
    return await importing.import_contacts(session, user, parsed)


# The lead panel.


@router.get("/crm/panel/{wa_id}", response_class=HTMLResponse)
async def lead_panel(
    wa_id: str,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    channel_id: OptionalText = "",
) -> Response:
    """Return the CRM panel; ``channel_id`` marks the conversation on screen."""
    panel = await views.lead_panel(session, wa_id)
    template = "crm/_panel.html" if _is_fragment_request(request) else "crm/lead.html"
    return _render(
        request,
        user,
        state,
        template,
        panel=panel,
        current_channel_id=_optional_id(channel_id),
        error=None,
    )


async def _panel_after_change(
    request: Request,
    session: Session,
    state: State,
    user: User,
    wa_id: str,
    change: Awaitable[tuple[Contact, bool]],
) -> Response:
    """Run a change, commit, publish, and return the re-rendered panel."""
    outcome, exc = await _attempt(session, change)
    panel = await views.lead_panel(session, wa_id)
    await session.commit()
    if outcome is not None and outcome[1]:
        await state.events.publish([service.contact_updated_event(outcome[0])])
    error = page_error(exc) if exc is not None else None
    status_code = exc.status_code if exc is not None else 200
    return _render(
        request,
        user,
        state,
        "crm/_panel.html",
        status_code=status_code,
        panel=panel,
        current_channel_id=_optional_id(request.query_params.get("channel_id", "")),
        error=error,
    )


@router.post("/crm/panel/{wa_id}/status", response_class=HTMLResponse)
async def panel_status(
    wa_id: str,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    lead_status: Annotated[str, Form(max_length=30)],
    lost_reason_id: Annotated[str, Form(max_length=10)] = "",
    lost_reason_text: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    update = StatusUpdate(
        lead_status=lead_status,
        lost_reason_id=_optional_id(lost_reason_id),
        lost_reason_text=lost_reason_text or None,
    )
    change = service.change_status(session, user, wa_id, update)
    return await _panel_after_change(request, session, state, user, wa_id, change)


@router.post("/crm/panel/{wa_id}/notes", response_class=HTMLResponse)
async def panel_notes(
    wa_id: str,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    notes: Annotated[str, Form(max_length=service.MAX_NOTES_CHARS * 2)] = "",
) -> Response:
    """Save notes as the agent types; return only the "saved by" line."""
    outcome, exc = await _attempt(
        session, service.update_notes(session, user, wa_id, notes)
    )
    if exc is not None:
        return _render(
            request,
            user,
            state,
            "crm/_message.html",
            status_code=exc.status_code,
            message=page_error(exc),
        )
    assert outcome is not None
    contact, changed = outcome
    await session.commit()
    if changed:
        await state.events.publish([service.contact_updated_event(contact)])
    author = user.name if contact.notes_updated_by_id == user.id else None
    return _render(
        request, user, state, "crm/_notes_status.html", contact=contact, author=author
    )


@router.post("/crm/panel/{wa_id}/tags", response_class=HTMLResponse)
async def panel_add_tag(
    wa_id: str,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    tag_id: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    change = service.add_tag(session, user, wa_id, _optional_id(tag_id) or 0)
    return await _panel_after_change(request, session, state, user, wa_id, change)


@router.post("/crm/panel/{wa_id}/tags/new", response_class=HTMLResponse)
async def panel_create_tag(
    wa_id: str,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    name: Annotated[str, Form(max_length=200)] = "",
    color: Annotated[str, Form(max_length=20)] = "blue",
    custom_color: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create a tag with a palette colour or a custom one, and tag the lead."""
    chosen = custom_color if color == "custom" else color

    async def create_and_attach() -> tuple[Contact, bool]:
        tag = await service.create_tag(session, name, chosen)
        return await service.add_tag(session, user, wa_id, tag.id)

    return await _panel_after_change(
        request, session, state, user, wa_id, create_and_attach()
    )


@router.delete("/crm/panel/{wa_id}/tags/{tag_id}", response_class=HTMLResponse)
async def panel_remove_tag(
    wa_id: str,
    tag_id: IdPath,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
) -> Response:
    change = service.remove_tag(session, user, wa_id, tag_id)
    return await _panel_after_change(request, session, state, user, wa_id, change)

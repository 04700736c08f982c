"""The Conversas page and the fragments its script and htmx ask for."""

from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.identity import find_contact_by_any_id
from cenat_hub.db.types import utcnow
from cenat_hub.errors import NotFoundError, PermissionDeniedError
from cenat_hub.events.stream import event_id
from cenat_hub.inbox import queries, reading, views
from cenat_hub.inbox.queries import ConversationRow, Cursor
from cenat_hub.inbox.rendering import ChatContext, RowView
from cenat_hub.models import Channel, Contact, Conversation, User
from cenat_hub.models.contact import LEAD_STATUSES
from cenat_hub.web.dependencies import IdPath, OptionalIdQuery, Session, State
from cenat_hub.web.pages import PageUser, page_context
from cenat_hub.web.security import SESSION_COOKIE, is_valid_csrf
from cenat_hub.web.state import AppState
from cenat_hub.web.templating import templates

router = APIRouter(include_in_schema=False)

SearchTerm = Annotated[str, Query(max_length=queries.MAX_SEARCH_CHARS)]
StatusFilter = Annotated[str, Query(alias="status", max_length=30)]
AssignedParam = Annotated[str, Query(max_length=20)]
CursorParam = Annotated[str | None, Query(max_length=60)]


def _zone(state: AppState) -> ZoneInfo:
    return ZoneInfo(state.settings.timezone)


def _pick_channel(channels: list[Channel], channel_id: int | None) -> Channel | None:
    for channel in channels:
        if channel.id == channel_id:
            return channel
    return channels[0] if channels else None


def _status(value: str) -> str | None:
    return value if value in LEAD_STATUSES else None


def _assigned(value: str) -> str:
    return value if value in queries.ASSIGNED_FILTERS else queries.ASSIGNED_ALL


def _chat_url(contact: Contact, channel_id: int) -> str:
    return "/conversas?" + urlencode(
        {"contact": contact.wa_id, "channel_id": channel_id}
    )


async def _list_rows(
    session: AsyncSession,
    user: User,
    channel: Channel,
    search: str,
    lead_status: str | None,
    assigned: str,
    after: Cursor | None,
) -> tuple[list[ConversationRow], str | None]:
    rows = await queries.conversation_page(
        session,
        channel.id,
        search=search,
        lead_status=lead_status,
        assigned=assigned,
        user_id=user.id,
        after=after,
    )
    next_cursor = None
    if len(rows) == queries.CONVERSATIONS_PER_PAGE:
        last = rows[-1].conversation
        assert last.last_message_at is not None
        next_cursor = Cursor(last.last_message_at, last.id).encode()
    return rows, next_cursor


def _list_context(
    state: AppState,
    channel: Channel,
    rows: list[ConversationRow],
    next_cursor: str | None,
    search: str,
    lead_status: str | None,
    assigned: str,
    after: str | None,
    open_conversation_id: int | None = None,
) -> dict[str, object]:
    zone = _zone(state)
    query = {
        "channel_id": channel.id,
        "q": search,
        "status": lead_status or "",
        "assigned": assigned,
    }
    return {
        "rows": [
            RowView(
                row.conversation, row.contact, zone, assignee_name=row.assignee_name
            )
            for row in rows
        ],
        "next_cursor": next_cursor,
        "next_query": urlencode({**query, "after": next_cursor or ""}),
        "search": search,
        "lead_status": lead_status,
        "assigned": assigned,
        "after": after,
        "open_conversation_id": open_conversation_id,
    }


async def _open_chat(
    session: AsyncSession,
    state: AppState,
    conversation: Conversation,
    contact: Contact,
    channel: Channel,
) -> tuple[ChatContext, list[object], reading.ReadReceipt | None]:
    receipt = await reading.mark_conversation_read(session, conversation)
    messages = await queries.message_page(session, conversation.id)
    chat = await views.chat_context(
        session, _zone(state), conversation, contact, messages, channel
    )
    return chat, list(messages), receipt


async def _after_read(
    session: AsyncSession,
    state: AppState,
    receipt: reading.ReadReceipt | None,
    tasks: BackgroundTasks,
) -> None:
    """Commit the cleared count, tell every browser, and tell WhatsApp later."""
    if receipt is None:
        return
    await session.commit()
    await state.events.publish([receipt.event])
    tasks.add_task(reading.send_read_receipt, state, receipt)


async def _visible_conversation(
    session: AsyncSession, user: User, conversation_id: int
) -> tuple[Conversation, Contact, Channel]:
    row = await queries.conversation_row(session, conversation_id)
    channels = await queries.visible_channels(session, user)
    channel = next(
        (item for item in channels if row and item.id == row.conversation.channel_id),
        None,
    )
    if row is None or channel is None:
        raise NotFoundError(f"Conversation {conversation_id} not found.")
    return row.conversation, row.contact, channel


@router.get("/conversas", response_class=HTMLResponse)
async def conversations_page(
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    tasks: BackgroundTasks,
    channel_id: OptionalIdQuery = None,
    contact: Annotated[str | None, Query(max_length=150)] = None,
    q: SearchTerm = "",
    lead_status: StatusFilter = "",
    assigned: AssignedParam = "",
) -> Response:
    channels = await queries.visible_channels(session, user)
    channel = _pick_channel(channels, channel_id)
    chat = None
    messages: list[object] = []
    receipt = None
    if contact and channels:
        found = await find_contact_by_any_id(session, contact)
        ids = [channel.id] if channel and channel_id else [c.id for c in channels]
        conversation = (
            await queries.conversation_of_contact(session, found, ids)
            if found
            else None
        )
        if found is None or conversation is None:
            raise NotFoundError(f"Conversation with {contact} not found.")
        channel = _pick_channel(channels, conversation.channel_id)
        assert channel is not None
        chat, messages, receipt = await _open_chat(
            session, state, conversation, found, channel
        )
    status = _status(lead_status)
    assignment = _assigned(assigned)
    list_context: dict[str, object] = {}
    if channel is not None:
        rows, next_cursor = await _list_rows(
            session, user, channel, q, status, assignment, None
        )
        list_context = _list_context(
            state,
            channel,
            rows,
            next_cursor,
            q,
            status,
            assignment,
            None,
            chat.conversation.id if chat else None,
        )
    context = page_context(
        request,
        user,
        channels=channels,
        channel=channel,
        chat=chat,
        messages=messages,
        older_cursor=views.older_cursor(messages),  # type: ignore[arg-type]
        before=None,
        lead_statuses=views.lead_status_choices(),
        assigned_choices=views.assigned_choices(),
        js_texts=views.js_texts(),
        zone_name=state.settings.timezone,
        last_event_id=event_id(utcnow()),
        **list_context,
    )
    context.setdefault("search", q)
    context.setdefault("lead_status", status)
    context.setdefault("assigned", assignment)
    await _after_read(session, state, receipt, tasks)
    return templates.TemplateResponse(request, "inbox/page.html", context)


@router.get("/conversas/lista", response_class=HTMLResponse)
async def conversation_list(
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    channel_id: OptionalIdQuery = None,
    q: SearchTerm = "",
    lead_status: StatusFilter = "",
    assigned: AssignedParam = "",
    after: CursorParam = None,
) -> Response:
    """Render the rows of one page of the list (search, filter and infinite scroll)."""
    assignment = _assigned(assigned)
    if not request.headers.get("hx-request"):
        query = urlencode(
            {
                "channel_id": channel_id or "",
                "q": q,
                "status": lead_status,
                "assigned": assignment,
            }
        )
        return RedirectResponse(f"/conversas?{query}", status_code=303)
    channels = await queries.visible_channels(session, user)
    channel = _pick_channel(channels, channel_id)
    if channel is None:
        return HTMLResponse("")
    status = _status(lead_status)
    rows, next_cursor = await _list_rows(
        session, user, channel, q, status, assignment, Cursor.decode(after)
    )
    context = _list_context(
        state, channel, rows, next_cursor, q, status, assignment, after
    )
    response = templates.TemplateResponse(request, "inbox/_rows.html", context)
    response.headers["HX-Push-Url"] = "false"
    return response


@router.get("/conversas/{conversation_id}", response_class=HTMLResponse)
async def chat_pane(
    request: Request,
    conversation_id: IdPath,
    session: Session,
    state: State,
    user: PageUser,
    tasks: BackgroundTasks,
) -> Response:
    """Render one conversation in the chat pane and mark it read."""
    conversation, contact, channel = await _visible_conversation(
        session, user, conversation_id
    )
    if not request.headers.get("hx-request"):
        return RedirectResponse(_chat_url(contact, channel.id), status_code=303)
    chat, messages, receipt = await _open_chat(
        session, state, conversation, contact, channel
    )
    context = {
        "chat": chat,
        "messages": messages,
        "older_cursor": views.older_cursor(messages),  # type: ignore[arg-type]
        "before": None,
    }
    await _after_read(session, state, receipt, tasks)
    return templates.TemplateResponse(request, "inbox/_chat.html", context)


@router.get("/conversas/{conversation_id}/mensagens", response_class=HTMLResponse)
async def older_messages(
    request: Request,
    conversation_id: IdPath,
    session: Session,
    state: State,
    user: PageUser,
    before: CursorParam = None,
) -> Response:
    """Render a page of older messages, with the trigger for the page before it."""
    conversation, contact, channel = await _visible_conversation(
        session, user, conversation_id
    )
    cursor = Cursor.decode(before)
    messages = await queries.message_page(session, conversation.id, cursor)
    chat = await views.chat_context(
        session, _zone(state), conversation, contact, messages, channel
    )
    context = {
        "chat": chat,
        "messages": messages,
        "older_cursor": views.older_cursor(messages),
        "before": before,
    }
    return templates.TemplateResponse(request, "inbox/_messages.html", context)


@router.get(
    "/conversas/{conversation_id}/mensagens/{message_id}",
    response_class=HTMLResponse,
)
async def one_message(
    conversation_id: IdPath,
    message_id: IdPath,
    session: Session,
    state: State,
    user: PageUser,
) -> HTMLResponse:
    """Render one bubble, which the composer shows once the send call returns."""
    conversation, contact, channel = await _visible_conversation(
        session, user, conversation_id
    )
    message = await queries.message_in_conversation(
        session, conversation.id, message_id
    )
    if message is None:
        raise NotFoundError(f"Message {message_id} not found.")
    chat = await views.chat_context(
        session, _zone(state), conversation, contact, [message], channel
    )
    return HTMLResponse(views.render_message(message, chat))


@router.post("/conversas/{conversation_id}/lida")
async def mark_read(
    request: Request,
    conversation_id: IdPath,
    session: Session,
    state: State,
    user: PageUser,
    tasks: BackgroundTasks,
) -> Response:
    """Clear the unread count of the conversation the agent is looking at."""
    secret = state.settings.jwt_secret.get_secret_value()
    session_token = request.cookies.get(SESSION_COOKIE, "")
    if not is_valid_csrf(session_token, request.headers.get("x-csrf-token"), secret):
        raise PermissionDeniedError(
            "CSRF token is missing or invalid; reload the page."
        )
    conversation, _contact, _channel = await _visible_conversation(
        session, user, conversation_id
    )
    receipt = await reading.mark_conversation_read(session, conversation)
    await _after_read(session, state, receipt, tasks)
    return Response(status_code=204)

"""``GET /api/events``: one Server-Sent Events stream per open browser page.

Each event carries an id, the server time it was sent at. A page that
reconnects presents the last id it saw (the ``Last-Event-ID`` header, or the
``last_event_id`` parameter when the page opens a new stream itself) and the
stream first replays what changed since then from the database, then goes
live. Replayed fragments replace what the page already shows, so a message
seen twice is still shown once.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sse_starlette import EventSourceResponse, ServerSentEvent

from cenat_hub.db.types import utcnow
from cenat_hub.events.hub import RESYNC, Event
from cenat_hub.i18n import set_locale
from cenat_hub.inbox.live import Fragment, FragmentRenderer, load_user
from cenat_hub.web.dependencies import current_user
from cenat_hub.web.state import AppState, app_state

log = structlog.get_logger(__name__)
router = APIRouter(tags=["events"])
_bearer = HTTPBearer(auto_error=False)

_T = TypeVar("_T")

PING_SECONDS = 15
SEND_TIMEOUT_SECONDS = 30
# Replays start this long before the last event a page saw, so changes that
# were committed while their events were still on the way are not missed.
# Seeing a change twice is harmless.
REPLAY_OVERLAP = timedelta(seconds=30)


def event_id(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1_000_000))


def parse_event_id(value: str | None) -> datetime | None:
    if not value or not value.isdigit() or len(value) > 20:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _sse(fragment: Fragment, moment: datetime) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps(fragment.data), event=fragment.kind, id=event_id(moment)
    )


@router.get("/api/events")
async def event_stream(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    last_event_id: Annotated[str | None, Query(max_length=20)] = None,
) -> EventSourceResponse:
    """Stream new messages, status changes and list changes to one page.

    The user is checked with a session of its own, so the stream keeps no
    database connection while it waits for events.
    """
    state = app_state(request)
    async with state.session_factory() as session:
        user = await current_user(request, session, credentials)
        user_id = user.id
    since = parse_event_id(request.headers.get("last-event-id") or last_event_id)
    return EventSourceResponse(
        _stream(state, user_id, since),
        ping=PING_SECONDS,
        send_timeout=SEND_TIMEOUT_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(
    state: AppState, user_id: int, since: datetime | None
) -> AsyncIterator[ServerSentEvent | bytes]:
    # Subscribe before replaying, so nothing falls between the two.
    queue = state.events.subscribe()
    zone = ZoneInfo(state.settings.timezone)
    log.info("events.stream_opened", user_id=user_id, replay=since is not None)
    try:
        if since is None:
            yield _sse(Fragment("hello"), utcnow())
        else:
            for item in await _finish(_replay(state, user_id, zone, since)):
                yield item
        while True:
            event = await queue.get()
            items: Sequence[ServerSentEvent | bytes] | None
            if event.kind == RESYNC:
                since = utcnow() - 2 * REPLAY_OVERLAP
                items = await _finish(
                    _replay(state, user_id, zone, since, tell_page=True)
                )
            else:
                items = await _render_once(state, user_id, zone, event)
            if items is None:
                return
            for item in items:
                yield item
    finally:
        state.events.unsubscribe(queue)
        log.info("events.stream_closed", user_id=user_id)


async def _finish(work: Coroutine[Any, Any, _T]) -> _T:
    """Run database work to its end even when the page disconnects meanwhile.

    A stream is cancelled when its page goes away. Cancelling a query half-way
    can leave its connection checked out with the transaction open, which on
    SQLite keeps every writer waiting.
    """
    return await asyncio.shield(asyncio.ensure_future(work))


async def _render_once(
    state: AppState, user_id: int, zone: ZoneInfo, event: Event
) -> list[bytes] | None:
    """Render ``event`` for ``user_id`` once, shared by all of that user's streams.

    The first stream to reach the event starts the rendering, and the others
    await the same task. A stream that disconnects meanwhile does not cancel
    it, because the others still need the result; the shield also keeps the
    rendering's database work from being cut half-way (see ``_finish``).
    """
    rendering = event.renderings.get(user_id)
    if rendering is None:
        rendering = asyncio.ensure_future(_render(state, user_id, zone, event))
        event.renderings[user_id] = rendering
    result: list[bytes] | None = await asyncio.shield(rendering)
    return result


async def _render(
    state: AppState, user_id: int, zone: ZoneInfo, event: Event
) -> list[bytes] | None:
    """Render one event, or return None to end the stream of a deactivated user.

    The fragments are encoded once into one chunk, so each of the user's
    streams sends the event with a single write.
    """
    async with state.session_factory() as session:
        user = await load_user(session, user_id)
        if user is None:
            return None
        set_locale(user.locale)
        fragments = await FragmentRenderer(session, user, zone).for_event(
            event.kind, event.data
        )
    if not fragments:
        return []
    moment = utcnow()
    return [b"".join(_sse(fragment, moment).encode() for fragment in fragments)]


async def _replay(
    state: AppState,
    user_id: int,
    zone: ZoneInfo,
    since: datetime,
    *,
    tell_page: bool = False,
) -> list[ServerSentEvent]:
    """Return fragments of everything changed since ``since``, or one resync."""
    moment = utcnow()
    async with state.session_factory() as session:
        user = await load_user(session, user_id)
        if user is None:
            return []
        set_locale(user.locale)
        fragments = await FragmentRenderer(session, user, zone).since(
            since - REPLAY_OVERLAP
        )
    if fragments is None:
        log.info("events.replay_too_long", user_id=user_id)
        return [_sse(Fragment(RESYNC, {"reload": True}), moment)]
    if tell_page:
        fragments.append(Fragment(RESYNC, {"reload": False}))
    fragments.append(Fragment("caught-up"))
    return [_sse(fragment, moment) for fragment in fragments]

"""The Dashboard page: cards, tables and the daily-activity chart."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from cenat_hub.channels.access import visible_channel_ids
from cenat_hub.channels.service import list_channels
from cenat_hub.dashboard import service
from cenat_hub.dashboard.chart import build_chart, day_label
from cenat_hub.dashboard.period import PERIOD_DAYS
from cenat_hub.db.types import utcnow
from cenat_hub.errors import InvalidInputError
from cenat_hub.i18n import N_, format_date, format_number, gettext
from cenat_hub.web.dependencies import MAX_DATABASE_ID, Session, State
from cenat_hub.web.pages import PageUser, page_context
from cenat_hub.web.templating import templates

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {
    "novo": N_("New"),
    "contato": N_("In contact"),
    "qualificado": N_("Qualified"),
    "matriculado": N_("Enrolled"),
    "perdido": N_("Lost"),
}
WAIT_BUCKET_LABELS = {
    "under_1h": N_("Under 1 h"),
    "from_1h_to_4h": N_("1 h to 4 h"),
    "from_4h_to_24h": N_("4 h to 24 h"),
    "over_24h": N_("Over 24 h (window closed)"),
}


def _translated(labels: dict[str, str]) -> dict[str, str]:
    return {key: gettext(label) for key, label in labels.items()}


def format_duration(seconds: float | None) -> str:
    """Write a duration the way the team reads it: "45 s", "12 min", "3 h 05 min"."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return gettext("{seconds} s").format(seconds=total)
    minutes = total // 60
    if minutes < 60:
        return gettext("{minutes} min").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return gettext("{hours} h {minutes} min").format(
            hours=hours, minutes=f"{minutes:02d}"
        )
    return gettext("{days} d {hours} h").format(days=hours // 24, hours=hours % 24)


def format_percent(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{format_number(round(ratio * 100))}%"


def _channel_filter(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    # isdigit() alone also accepts "²", which int() rejects.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_DATABASE_ID:
        raise InvalidInputError(f"channel_id={value!r} is invalid; use a channel id.")
    return int(text)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    days: int = 7,
    channel_id: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Render the dashboard, or only its body for an htmx request.

    ``channel_id`` is a string because the channel selector sends an empty
    value for "every channel".
    """
    visible = await visible_channel_ids(session, user)
    stats = await service.dashboard_stats(
        session,
        visible=visible,
        channel_id=_channel_filter(channel_id),
        days=days,
        timezone=state.settings.timezone,
        now=utcnow(),
    )
    context = page_context(
        request,
        user,
        stats=stats,
        chart=build_chart(stats.daily),
        period_first=format_date(stats.period.first_day, "short"),
        period_last=format_date(stats.period.last_day, "short"),
        day_label=day_label,
        channels=await list_channels(session, visible, include_inactive=True),
        period_days=PERIOD_DAYS,
        status_labels=_translated(STATUS_LABELS),
        wait_bucket_labels=_translated(WAIT_BUCKET_LABELS),
        duration=format_duration,
        percent=format_percent,
    )
    partial = request.headers.get("hx-request") == "true" and not request.headers.get(
        "hx-history-restore-request"
    )
    if partial:
        return templates.TemplateResponse(request, "dashboard/_body.html", context)
    return templates.TemplateResponse(request, "dashboard/page.html", context)

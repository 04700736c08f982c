"""The template cache: listing from Meta, freshness, and status changes.

Every template of a WhatsApp Business Account is kept whatever its status, so a
paused or rejected template is known, but only APPROVED ones are offered for
sending. A template that disappeared from Meta's list is deleted from the cache.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.db.upsert import insert_or_ignore
from cenat_hub.errors import UpstreamError
from cenat_hub.integrations.whatsapp.client import GraphClient
from cenat_hub.integrations.whatsapp.errors import GraphAPIError
from cenat_hub.models import MessageTemplate
from cenat_hub.templates import queries

if TYPE_CHECKING:
    from cenat_hub.web.state import AppState

log = structlog.get_logger(__name__)

STATUS_APPROVED = "APPROVED"
STALE_AFTER = timedelta(minutes=15)
PAGE_SIZE = 100
# Stops a listing whose cursors never end; 100 pages of 100 is far past any
# real account.
MAX_PAGES = 100
LIST_FIELDS = "id,name,language,status,category,parameter_format,components"
# fetched_at of a cache that must be refreshed at the next read.
_EXPIRED = datetime(2000, 1, 1, tzinfo=UTC)

# Meta's template webhook events that are not a status name of their own.
_EVENT_STATUSES = {"REINSTATED": STATUS_APPROVED, "UNPAUSED": STATUS_APPROVED}


async def fetch_templates(
    graph: GraphClient, waba_id: str, token: str, page_size: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    """List every template of a WABA, following the ``after`` cursor page by page."""
    templates: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        page = await graph.list_templates_page(
            waba_id, token, after=after, limit=page_size, fields=LIST_FIELDS
        )
        data = page.get("data")
        if isinstance(data, list):
            templates += [item for item in data if isinstance(item, dict)]
        paging = page.get("paging") if isinstance(page.get("paging"), dict) else {}
        cursors = (
            paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        )
        after = cursors.get("after") if isinstance(cursors.get("after"), str) else None
        if not paging.get("next") or not after:
            return templates
    log.warning("templates.listing_truncated", waba_id=waba_id, pages=MAX_PAGES)
    return templates


def _bounded(value: Any, limit: int) -> str | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text if text and len(text) <= limit else None


def _columns(raw: dict[str, Any]) -> dict[str, Any] | None:
    """Return the cache columns of one listed template, or None if it is unusable."""
    name = _bounded(raw.get("name"), 512)
    language = _bounded(raw.get("language"), 20)
    if name is None or language is None:
        return None
    components = raw.get("components")
    parameter_format = (
        _bounded(raw.get("parameter_format"), 20) or "POSITIONAL"
    ).upper()
    return {
        "name": name,
        "language": language,
        "meta_template_id": _bounded(raw.get("id"), 50),
        "status": (_bounded(raw.get("status"), 30) or "UNKNOWN").upper(),
        "category": (_bounded(raw.get("category"), 30) or "").upper() or None,
        "parameter_format": parameter_format,
        "components": components if isinstance(components, list) else [],
    }


async def store_templates(
    session: AsyncSession, waba_id: str, fetched: Sequence[dict[str, Any]]
) -> list[MessageTemplate]:
    """Replace the cache of a WABA with a fresh listing."""
    now = utcnow()
    existing = {
        (t.name, t.language): t
        for t in await queries.templates_of_waba(session, waba_id)
    }
    seen: set[tuple[str, str]] = set()
    for raw in fetched:
        columns = _columns(raw)
        if columns is None:
            log.warning("templates.unusable_listing_item", waba_id=waba_id)
            continue
        key = (columns["name"], columns["language"])
        if key in seen:
            continue
        seen.add(key)
        row = existing.get(key)
        if row is None:
            await insert_or_ignore(
                session,
                MessageTemplate,
                {"waba_id": waba_id, "fetched_at": now, **columns},
                ["waba_id", "name", "language"],
            )
            row = await queries.find_template(session, waba_id, *key)
            assert row is not None
        for column, value in columns.items():
            setattr(row, column, value)
        row.fetched_at = now
    removed = [row for key, row in existing.items() if key not in seen]
    for row in removed:
        await session.delete(row)
    await session.flush()
    log.info(
        "templates.synced",
        waba_id=waba_id,
        templates=len(seen),
        removed=len(removed),
    )
    return await queries.templates_of_waba(session, waba_id)


def is_fresh(templates: Sequence[MessageTemplate], now: datetime | None = None) -> bool:
    """Return whether a WABA's cache is younger than ``STALE_AFTER``.

    An empty cache is never fresh, so an account without templates is listed
    again at each read.
    """
    if not templates:
        return False
    oldest = min(template.fetched_at for template in templates)
    return (now or utcnow()) - oldest < STALE_AFTER


async def load_templates(
    state: "AppState", waba_id: str, token: str, *, refresh: bool = False
) -> list[MessageTemplate]:
    """Return a WABA's templates, listing them from Meta when asked or stale.

    When Meta cannot be reached, a stale cache is returned rather than nothing,
    unless ``refresh`` asked explicitly for a new listing.
    """
    async with unit_of_work(state.session_factory) as session:
        cached = await queries.templates_of_waba(session, waba_id)
    if not refresh and is_fresh(cached):
        return cached
    try:
        fetched = await fetch_templates(state.graph, waba_id, token)
    except GraphAPIError as exc:
        log.warning(
            "templates.sync_failed",
            waba_id=waba_id,
            code=exc.code,
            http_status=exc.http_status,
        )
        if cached and not refresh:
            return cached
        raise UpstreamError(
            f"Listing the templates of WABA {waba_id} failed: {exc.title}",
            meta_code=exc.code,
            explanation=exc.portuguese,
        ) from exc
    async with unit_of_work(state.session_factory) as session:
        return await store_templates(session, waba_id, fetched)


async def expire_cache(session: AsyncSession, waba_id: str) -> None:
    """Make the next read of a WABA's templates list them from Meta again."""
    await session.execute(
        update(MessageTemplate)
        .where(MessageTemplate.waba_id == waba_id)
        .values(fetched_at=_EXPIRED)
    )


async def set_status(
    session: AsyncSession,
    waba_id: str,
    status: str,
    *,
    meta_template_id: str | None = None,
    name: str | None = None,
    language: str | None = None,
) -> MessageTemplate | None:
    """Set the cached status of one template found by Meta's id or by name and language."""
    template = None
    if meta_template_id:
        template = await queries.find_by_meta_id(session, waba_id, meta_template_id)
    if template is None and name and language:
        template = await queries.find_template(session, waba_id, name, language)
    if template is None:
        return None
    if template.status != status:
        log.info(
            "templates.status_changed",
            waba_id=waba_id,
            template=template.name,
            language=template.language,
            old_status=template.status,
            new_status=status,
        )
        template.status = status
    return template


async def apply_status_webhook(
    session: AsyncSession, waba_id: str | None, value: dict[str, Any]
) -> None:
    """Apply a ``message_template_status_update`` webhook to the cache.

    A template the cache does not know is left for the next listing.
    """
    event = _bounded(value.get("event"), 30)
    if not waba_id or event is None:
        log.info("templates.status_webhook_ignored", waba_id=waba_id)
        return
    status = _EVENT_STATUSES.get(event.upper(), event.upper())
    await set_status(
        session,
        waba_id,
        status,
        meta_template_id=_bounded(value.get("message_template_id"), 50),
        name=_bounded(value.get("message_template_name"), 512),
        language=_bounded(value.get("message_template_language"), 20),
    )

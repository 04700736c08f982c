"""Rules of the lead CRM: status and lost reasons, notes, tags and their history.

Every change is recorded in ``lead_events`` with its author. Functions only
flush; the caller commits and then publishes ``contact_updated_event``.
"""

import re
import unicodedata
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.identity import find_contact_by_any_id
from cenat_hub.crm import queries
from cenat_hub.crm.schemas import (
    LeadEventOut,
    LostReasonCreate,
    LostReasonUpdate,
    StatusUpdate,
)
from cenat_hub.db.types import utcnow
from cenat_hub.errors import ConflictError, InvalidInputError, NotFoundError
from cenat_hub.events.hub import Event
from cenat_hub.models import (
    AuditLogEntry,
    Contact,
    ContactTag,
    LeadEvent,
    LostReason,
    Tag,
    User,
)
from cenat_hub.models.contact import LEAD_STATUSES

STATUS_LOST = "perdido"
LEAD_STATUS_LABELS = {
    "novo": "Novo",
    "contato": "Contato",
    "qualificado": "Qualificado",
    "matriculado": "Matriculado",
    "perdido": "Perdido",
}

MAX_NOTES_CHARS = 10_000
MAX_LOST_REASON_TEXT_CHARS = 500
MAX_LOST_REASON_NAME_CHARS = 100
MAX_TAG_NAME_CHARS = 50
MAX_HISTORY_EVENTS = 200

TAG_PALETTE = (
    "gray",
    "red",
    "orange",
    "yellow",
    "green",
    "teal",
    "blue",
    "indigo",
    "purple",
    "pink",
)
_HEX_COLOR = re.compile(r"#[0-9a-f]{6}")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

# Notes are saved while the agent types; saves by the same agent this close
# together update one history entry instead of adding one per pause.
NOTES_EDIT_MERGE_WINDOW = timedelta(minutes=10)

EVENT_STATUS_CHANGED = "status_changed"
EVENT_TAG_ADDED = "tag_added"
EVENT_TAG_REMOVED = "tag_removed"
EVENT_NOTES_CHANGED = "notes_changed"


class InvalidStatusError(InvalidInputError):
    code = "invalid_status"


class LostReasonRequiredError(InvalidInputError):
    code = "lost_reason_required"


class NotesTooLongError(InvalidInputError):
    code = "notes_too_long"


class InvalidTagError(InvalidInputError):
    code = "invalid_tag"


class InvalidColorError(InvalidInputError):
    code = "invalid_color"


class DuplicateTagError(ConflictError):
    code = "duplicate_tag"


def contact_updated_event(contact: Contact) -> Event:
    return Event("contact.updated", {"contact_id": contact.id, "wa_id": contact.wa_id})


async def get_contact(session: AsyncSession, wa_id: str) -> Contact:
    """Return the contact behind any form of a number or user id, or raise 404."""
    contact = await find_contact_by_any_id(session, wa_id[:150])
    if contact is None:
        raise NotFoundError(
            f"Contact {wa_id[:150]} not found; use the wa_id, the number with or "
            "without the ninth digit, or the user id of a known contact."
        )
    return contact


def check_status(value: str) -> str:
    if value not in LEAD_STATUSES:
        raise InvalidStatusError(
            f"Lead status {value[:30]!r} is invalid; use one of "
            f"{', '.join(LEAD_STATUSES)}."
        )
    return value


async def _record_event(
    session: AsyncSession,
    contact: Contact,
    user: User | None,
    kind: str,
    old_value: dict[str, Any] | None,
    new_value: dict[str, Any] | None,
) -> None:
    session.add(
        LeadEvent(
            contact_id=contact.id,
            user_id=user.id if user else None,
            kind=kind,
            old_value=old_value,
            new_value=new_value,
            created_at=utcnow(),
        )
    )


# Status and lost reasons.


async def change_status(
    session: AsyncSession, user: User | None, wa_id: str, update: StatusUpdate
) -> tuple[Contact, bool]:
    """Set a lead's status; return the contact and whether anything changed."""
    contact = await get_contact(session, wa_id)
    changed = await set_status(
        session,
        user,
        contact,
        update.lead_status,
        lost_reason_id=update.lost_reason_id,
        lost_reason_text=update.lost_reason_text,
    )
    return contact, changed


async def set_status(
    session: AsyncSession,
    user: User | None,
    contact: Contact,
    lead_status: str,
    *,
    lost_reason_id: int | None = None,
    lost_reason_text: str | None = None,
) -> bool:
    """Apply a status to a loaded contact, checking its lost reason."""
    status = check_status(lead_status)
    reason, text = await _check_lost_reason(
        session, status, lost_reason_id, lost_reason_text
    )
    new_reason_id = reason.id if reason else None
    if (
        contact.lead_status == status
        and contact.lost_reason_id == new_reason_id
        and contact.lost_reason_text == text
    ):
        return False

    old_value = await _status_value(
        session, contact.lead_status, contact.lost_reason_id, contact.lost_reason_text
    )
    if contact.lead_status != status:
        contact.status_changed_at = utcnow()
    contact.lead_status = status
    contact.lost_reason_id = new_reason_id
    contact.lost_reason_text = text
    new_value = await _status_value(session, status, new_reason_id, text)
    await _record_event(
        session, contact, user, EVENT_STATUS_CHANGED, old_value, new_value
    )
    return True


async def _check_lost_reason(
    session: AsyncSession,
    status: str,
    reason_id: int | None,
    text: str | None,
) -> tuple[LostReason | None, str | None]:
    text = _CONTROL_CHARACTERS.sub(" ", text).strip() if text else None
    if status != STATUS_LOST:
        if reason_id is not None or text:
            raise InvalidInputError(
                f"A lost reason applies only to status 'perdido', not {status!r}; "
                "drop lost_reason_id and lost_reason_text."
            )
        return None, None
    if text and len(text) > MAX_LOST_REASON_TEXT_CHARS:
        raise InvalidInputError(
            f"lost_reason_text is {len(text):,} characters long; the maximum is "
            f"{MAX_LOST_REASON_TEXT_CHARS}. Shorten it."
        )
    if reason_id is None and not text:
        raise LostReasonRequiredError(
            "Status 'perdido' needs a lost reason: send lost_reason_id (one of "
            "/api/lost-reasons), lost_reason_text, or both."
        )
    if reason_id is None:
        return None, text
    reason = await session.get(LostReason, reason_id)
    if reason is None:
        raise NotFoundError(
            f"Lost reason {reason_id} not found; list them at /api/lost-reasons."
        )
    if not reason.is_active:
        raise InvalidInputError(
            f"Lost reason {reason_id} ({reason.name}) is inactive; "
            "choose an active one from /api/lost-reasons."
        )
    return reason, text


async def _status_value(
    session: AsyncSession, status: str, reason_id: int | None, text: str | None
) -> dict[str, Any]:
    value: dict[str, Any] = {"lead_status": status}
    if status == STATUS_LOST:
        reason = await session.get(LostReason, reason_id) if reason_id else None
        value["lost_reason_id"] = reason_id
        value["lost_reason"] = reason.name if reason else None
        value["lost_reason_text"] = text
    return value


async def list_lost_reasons(
    session: AsyncSession, *, include_inactive: bool
) -> list[LostReason]:
    return await queries.lost_reasons(session, include_inactive=include_inactive)


def clean_lost_reason_name(name: str) -> str:
    """Return ``name`` without control or format characters and with single
    spaces, so that invisible characters, a right-to-left override or extra
    spacing cannot make a second reason that looks like the first."""
    kept = "".join(
        " " if unicodedata.category(char) == "Cc" else char
        for char in unicodedata.normalize("NFC", name)
        if unicodedata.category(char) != "Cf"
    )
    return " ".join(kept.split())


def _check_lost_reason_name(name: str) -> str:
    cleaned = clean_lost_reason_name(name)
    if not cleaned:
        raise InvalidInputError("Lost reason name is empty; type a name.")
    if len(cleaned) > MAX_LOST_REASON_NAME_CHARS:
        raise InvalidInputError(
            f"Lost reason name is {len(cleaned)} characters long; the maximum is "
            f"{MAX_LOST_REASON_NAME_CHARS}."
        )
    return cleaned


async def _check_lost_reason_unique(
    session: AsyncSession, name: str, exclude_id: int | None = None
) -> None:
    # Two admins adding "Preço" and "preço" at once on PostgreSQL would both
    # find no match, so writers wait for each other until the transaction ends.
    # SQLite needs nothing because every transaction takes the write lock.
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            sql_text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": "lost_reasons.names"},
        )
    key = tag_name_key(name)
    for reason in await queries.lost_reasons(session, include_inactive=True):
        existing = tag_name_key(clean_lost_reason_name(reason.name))
        if reason.id != exclude_id and existing == key:
            raise ConflictError(
                f"Lost reason {reason.name!r} already exists (id {reason.id}); "
                "edit that one or choose another name."
            )


async def create_lost_reason(
    session: AsyncSession, admin: User, data: LostReasonCreate
) -> LostReason:
    name = _check_lost_reason_name(data.name)
    await _check_lost_reason_unique(session, name)
    position = data.position
    if position is None:
        highest = await session.execute(select(func.max(LostReason.position)))
        position = (highest.scalar_one_or_none() or 0) + 1
    reason = LostReason(name=name, is_active=True, position=position)
    session.add(reason)
    await session.flush()
    _audit(session, admin, "lost_reason.created", reason.id, {"name": name})
    return reason


async def update_lost_reason(
    session: AsyncSession, admin: User, reason_id: int, data: LostReasonUpdate
) -> LostReason:
    reason = await session.get(LostReason, reason_id)
    if reason is None:
        raise NotFoundError(
            f"Lost reason {reason_id} not found; list them at /api/lost-reasons."
        )
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes:
        changes["name"] = _check_lost_reason_name(changes["name"])
        await _check_lost_reason_unique(session, changes["name"], reason.id)
    for field, value in changes.items():
        setattr(reason, field, value)
    await session.flush()
    _audit(session, admin, "lost_reason.updated", reason.id, changes)
    return reason


def _audit(
    session: AsyncSession,
    admin: User,
    action: str,
    target_id: int,
    details: dict[str, Any],
) -> None:
    session.add(
        AuditLogEntry(
            actor_user_id=admin.id,
            action=action,
            target_type="lost_reason",
            target_id=target_id,
            details=details,
            created_at=utcnow(),
        )
    )


# Notes.


async def update_notes(
    session: AsyncSession, user: User, wa_id: str, notes: str | None
) -> tuple[Contact, bool]:
    """Replace a lead's internal notes; return the contact and whether they changed."""
    contact = await get_contact(session, wa_id)
    # PostgreSQL rejects NUL characters in text columns.
    new_notes = notes.replace("\x00", "") if notes else None
    if new_notes is not None and len(new_notes) > MAX_NOTES_CHARS:
        raise NotesTooLongError(
            f"Notes are {len(new_notes):,} characters long; the maximum is "
            f"{MAX_NOTES_CHARS:,}. Shorten them and save again."
        )
    new_notes = new_notes or None
    if new_notes == contact.notes:
        return contact, False

    old_notes = contact.notes
    now = utcnow()
    contact.notes = new_notes
    contact.notes_updated_at = now
    contact.notes_updated_by_id = user.id
    latest = await queries.latest_lead_event(session, contact.id)
    if (
        latest is not None
        and latest.kind == EVENT_NOTES_CHANGED
        and latest.user_id == user.id
        and now - latest.created_at < NOTES_EDIT_MERGE_WINDOW
    ):
        latest.new_value = {"notes": new_notes}
        latest.created_at = now
        await session.flush()
    else:
        await _record_event(
            session,
            contact,
            user,
            EVENT_NOTES_CHANGED,
            {"notes": old_notes},
            {"notes": new_notes},
        )
    return contact, True


# Tags.


def tag_name_key(name: str) -> str:
    """Return the form under which two names count as the same, ignoring case."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def check_tag_name(name: str) -> str:
    cleaned = " ".join(_CONTROL_CHARACTERS.sub(" ", name).split())
    if not cleaned:
        raise InvalidTagError(
            f"Tag name is empty; type a name of 1 to {MAX_TAG_NAME_CHARS} characters."
        )
    if len(cleaned) > MAX_TAG_NAME_CHARS:
        raise InvalidTagError(
            f"Tag name {cleaned[:20]!r}... is {len(cleaned)} characters long; "
            f"the maximum is {MAX_TAG_NAME_CHARS}."
        )
    return cleaned


def check_color(color: str) -> str:
    """Return a palette name or a lowercase #rrggbb code, or raise 400."""
    normalized = color.strip().lower()
    if normalized in TAG_PALETTE or _HEX_COLOR.fullmatch(normalized):
        return normalized
    raise InvalidColorError(
        f"Color {color[:20]!r} is invalid; use one of {', '.join(TAG_PALETTE)} "
        "or a hex code such as #1a7f5a."
    )


async def list_tags(session: AsyncSession) -> list[Tag]:
    statement = select(Tag).order_by(Tag.name_key)
    return list((await session.execute(statement)).scalars())


async def get_tag(session: AsyncSession, tag_id: int) -> Tag:
    tag = await session.get(Tag, tag_id)
    if tag is None:
        raise NotFoundError(f"Tag {tag_id} not found; list tags at /api/tags.")
    return tag


async def find_tag_by_name(session: AsyncSession, name: str) -> Tag | None:
    statement = select(Tag).where(Tag.name_key == tag_name_key(name))
    return (await session.execute(statement)).scalar_one_or_none()


async def create_tag(session: AsyncSession, name: str, color: str) -> Tag:
    """Create a tag; names are unique regardless of letter case."""
    name = check_tag_name(name)
    color = check_color(color)
    existing = await find_tag_by_name(session, name)
    if existing is not None:
        raise _duplicate_tag(existing)
    tag = Tag(name=name, name_key=tag_name_key(name), color=color, created_at=utcnow())
    try:
        async with session.begin_nested():
            session.add(tag)
            await session.flush()
    except IntegrityError:
        # Another request created the same name between the check and the insert.
        existing = await find_tag_by_name(session, name)
        if existing is None:
            raise
        raise _duplicate_tag(existing) from None
    return tag


def _duplicate_tag(existing: Tag) -> DuplicateTagError:
    return DuplicateTagError(
        f"Tag {existing.name!r} already exists (id {existing.id}); names are "
        "compared ignoring case. Use that tag or choose another name.",
        tag_id=existing.id,
    )


async def add_tag(
    session: AsyncSession, user: User | None, wa_id: str, tag_id: int
) -> tuple[Contact, bool]:
    """Tag a contact; tagging it twice changes nothing and is not an error."""
    contact = await get_contact(session, wa_id)
    tag = await get_tag(session, tag_id)
    return contact, await attach_tag(session, user, contact, tag)


async def attach_tag(
    session: AsyncSession, user: User | None, contact: Contact, tag: Tag
) -> bool:
    if await session.get(ContactTag, (contact.id, tag.id)) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                ContactTag(contact_id=contact.id, tag_id=tag.id, created_at=utcnow())
            )
            await session.flush()
    except IntegrityError:
        # Another agent added the same tag at the same moment.
        return False
    await _record_event(session, contact, user, EVENT_TAG_ADDED, None, tag_value(tag))
    return True


async def remove_tag(
    session: AsyncSession, user: User, wa_id: str, tag_id: int
) -> tuple[Contact, bool]:
    """Untag a contact; removing a tag it does not have changes nothing."""
    contact = await get_contact(session, wa_id)
    tag = await get_tag(session, tag_id)
    link = await session.get(ContactTag, (contact.id, tag.id))
    if link is None:
        return contact, False
    await session.delete(link)
    await _record_event(session, contact, user, EVENT_TAG_REMOVED, tag_value(tag), None)
    return contact, True


def tag_value(tag: Tag) -> dict[str, Any]:
    return {"tag_id": tag.id, "name": tag.name, "color": tag.color}


# History.


async def lead_history(
    session: AsyncSession, wa_id: str, limit: int = MAX_HISTORY_EVENTS
) -> list[LeadEventOut]:
    contact = await get_contact(session, wa_id)
    return await contact_history(session, contact, limit)


async def contact_history(
    session: AsyncSession, contact: Contact, limit: int
) -> list[LeadEventOut]:
    rows = await queries.lead_events(session, contact.id, limit)
    return [
        LeadEventOut(
            id=event.id,
            kind=event.kind,
            user_id=event.user_id,
            user_name=user_name,
            old_value=event.old_value,
            new_value=event.new_value,
            created_at=event.created_at,
        )
        for event, user_name in rows
    ]

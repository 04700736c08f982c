"""Apply a checked CSV upload to the contacts, recording each change."""

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.identity import IdentityClaims, find_or_create_contact
from cenat_hub.crm import service
from cenat_hub.crm.csv_io import ImportRow, ParsedUpload
from cenat_hub.crm.schemas import ImportReport
from cenat_hub.db.base import Base
from cenat_hub.db.types import utcnow
from cenat_hub.events.hub import Event, EventHub
from cenat_hub.models import Contact, ContactIdentity, ContactTag, LeadEvent, Tag, User
from cenat_hub.models.contact import IDENTITY_PHONE, NOVO_BIT, status_bit

IMPORTED_TAG_COLOR = "gray"
# Rows per multi-row INSERT and keys per IN (...) lookup. SQLite allows
# 32,766 bound parameters per statement and a contact row binds 8.
_INSERT_BATCH = 500


class ContactRef(NamedTuple):
    id: int
    wa_id: str


# Above this many changed contacts an import publishes one summary event
# instead of one event per contact, so browser queues do not overflow.
MAX_IMPORT_EVENTS = 100


class _TagResolver:
    """Find tags by name for one import, creating missing ones once."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._by_key: dict[str, Tag] = {}
        self.created: list[str] = []

    async def get(self, name: str) -> Tag:
        key = service.tag_name_key(name)
        if key in self._by_key:
            return self._by_key[key]
        tag = await service.find_tag_by_name(self._session, name)
        if tag is None:
            tag = await service.create_tag(self._session, name, IMPORTED_TAG_COLOR)
            self.created.append(tag.name)
        self._by_key[key] = tag
        return tag


async def import_contacts(
    session: AsyncSession, user: User, upload: ParsedUpload
) -> tuple[ImportReport, list[ContactRef]]:
    """Create or update one contact per distinct number; return the report.

    A number that matches a known contact in any form (with or without the
    ninth digit) updates that contact: its empty name is filled, the status is
    set when the row has one, and the row's tags are added. Existing names and
    tags are never removed. Also returns the contacts that changed.
    """
    tags = _TagResolver(session)
    known = await _known_contact_ids(session, [row.key for row in upload.rows])
    new_rows = [row for row in upload.rows if row.key not in known]
    changed: list[ContactRef] = []
    for start in range(0, len(new_rows), _INSERT_BATCH):
        batch = new_rows[start : start + _INSERT_BATCH]
        changed += await _create_contacts(session, user, batch, tags)

    updated = unchanged = 0
    for row in upload.rows:
        if row.key not in known:
            continue
        contact = await session.get(Contact, known[row.key])
        assert contact is not None
        if await _update_contact(session, user, contact, row, tags):
            updated += 1
            changed.append(ContactRef(contact.id, contact.wa_id))
        else:
            unchanged += 1
    report = ImportReport(
        rows=upload.row_count,
        created=len(new_rows),
        updated=updated,
        unchanged=unchanged,
        merged=upload.merged,
        rejected=upload.rejected,
        tags_created=tags.created,
    )
    return report, changed


async def _known_contact_ids(session: AsyncSession, keys: list[str]) -> dict[str, int]:
    """Map the phone keys that belong to existing contacts to those contacts."""
    known: dict[str, int] = {}
    for start in range(0, len(keys), _INSERT_BATCH):
        statement = select(ContactIdentity.value, ContactIdentity.contact_id).where(
            ContactIdentity.kind == IDENTITY_PHONE,
            ContactIdentity.value.in_(keys[start : start + _INSERT_BATCH]),
        )
        for value, contact_id in (await session.execute(statement)).all():
            known[value] = contact_id
    return known


async def _create_contacts(
    session: AsyncSession, user: User, rows: list[ImportRow], tags: _TagResolver
) -> list[ContactRef]:
    """Insert new contacts with a few statements per batch rather than per row.

    A row whose wa_id another transaction inserted meanwhile goes through the
    one-row path, which finds that contact instead.
    """
    now = utcnow()
    inserted = await _insert_returning(
        session,
        Contact,
        [_new_contact_values(row, now) for row in rows],
        conflict_columns=["wa_id"],
        returning=(Contact.__table__.c.id, Contact.__table__.c.wa_id),
    )
    ids_by_wa_id = {wa_id: contact_id for contact_id, wa_id in inserted}
    # NOTE: a key that another transaction claimed since _known_contact_ids
    # is skipped here, so that new contact is found by its wa_id only.
    await _insert_returning(
        session,
        ContactIdentity,
        [
            {
                "contact_id": ids_by_wa_id[row.phone],
                "kind": IDENTITY_PHONE,
                "value": row.key,
                "created_at": now,
            }
            for row in rows
            if row.phone in ids_by_wa_id
        ],
        conflict_columns=["kind", "value"],
        returning=(ContactIdentity.__table__.c.id,),
    )
    refs = []
    for row in rows:
        contact_id = ids_by_wa_id.get(row.phone)
        if contact_id is None:
            contact = await find_or_create_contact(
                session, IdentityClaims(phone=row.phone, name=row.name), None
            )
            assert contact is not None
            await _update_contact(session, user, contact, row, tags)
            contact_id = contact.id
        else:
            await _record_new_contact_changes(session, user, contact_id, row, tags)
        refs.append(ContactRef(contact_id, row.phone))
    return refs


def _new_contact_values(row: ImportRow, now: datetime) -> dict[str, Any]:
    status = row.status or "novo"
    return {
        "wa_id": row.phone,
        "name": row.name,
        "lead_status": status,
        "reached_statuses": NOVO_BIT | status_bit(status),
        "lost_reason_text": row.lost_reason if status == service.STATUS_LOST else None,
        "status_changed_at": now if status != "novo" else None,
        "channel_id": None,
        "created_at": now,
        "updated_at": now,
    }


async def _record_new_contact_changes(
    session: AsyncSession,
    user: User,
    contact_id: int,
    row: ImportRow,
    tags: _TagResolver,
) -> None:
    """Record the status and tags a new contact got from its row."""
    now = utcnow()
    if row.status and row.status != "novo":
        new_value: dict[str, Any] = {"lead_status": row.status}
        if row.status == service.STATUS_LOST:
            new_value |= {
                "lost_reason_id": None,
                "lost_reason": None,
                "lost_reason_text": row.lost_reason,
            }
        session.add(
            LeadEvent(
                contact_id=contact_id,
                user_id=user.id,
                kind=service.EVENT_STATUS_CHANGED,
                old_value={"lead_status": "novo"},
                new_value=new_value,
                created_at=now,
            )
        )
    for name in row.tags:
        tag = await tags.get(name)
        session.add(ContactTag(contact_id=contact_id, tag_id=tag.id, created_at=now))
        session.add(
            LeadEvent(
                contact_id=contact_id,
                user_id=user.id,
                kind=service.EVENT_TAG_ADDED,
                old_value=None,
                new_value=service.tag_value(tag),
                created_at=now,
            )
        )


async def _insert_returning(
    session: AsyncSession,
    model: type[Base],
    rows: list[dict[str, Any]],
    *,
    conflict_columns: list[str],
    returning: tuple[Any, ...],
) -> list[tuple[Any, ...]]:
    """Insert many rows, skipping conflicts; return the inserted rows' columns."""
    if not rows:
        return []
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model.__table__)
        .values(rows)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(*returning)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def _update_contact(
    session: AsyncSession,
    user: User,
    contact: Contact,
    row: ImportRow,
    tags: _TagResolver,
) -> bool:
    changed = False
    if row.name and not contact.name:
        contact.name = row.name
        changed = True
    if row.status:
        changed |= await service.set_status(
            session, user, contact, row.status, lost_reason_text=row.lost_reason
        )
    for name in row.tags:
        tag = await tags.get(name)
        changed |= await service.attach_tag(session, user, contact, tag)
    return changed


async def publish_contact_updates(events: EventHub, contacts: list[ContactRef]) -> None:
    """Publish the changes of an import, after its commit."""
    if len(contacts) > MAX_IMPORT_EVENTS:
        await events.publish([Event("contacts.imported", {"count": len(contacts)})])
        return
    await events.publish(
        [
            Event("contact.updated", {"contact_id": ref.id, "wa_id": ref.wa_id})
            for ref in contacts
        ]
    )

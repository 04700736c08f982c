"""Apply a checked CSV upload to the contacts, recording each change."""

from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.identity import (
    IdentityClaims,
    find_contact,
    find_or_create_contact,
)
from cenat_hub.crm import service
from cenat_hub.crm.csv_io import ImportRow, ParsedUpload
from cenat_hub.crm.schemas import ImportReport
from cenat_hub.events.hub import Event, EventHub
from cenat_hub.models import Contact, Tag, User

IMPORTED_TAG_COLOR = "gray"

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
) -> tuple[ImportReport, list[Contact]]:
    """Create or update one contact per distinct number; return the report.

    A number that matches a known contact in any form (with or without the
    ninth digit) updates that contact: its empty name is filled, the status is
    set when the row has one, and the row's tags are added. Existing names and
    tags are never removed. Returns the contacts that changed as well.
    """
    tags = _TagResolver(session)
    created = updated = unchanged = 0
    changed_contacts: list[Contact] = []
    for row in upload.rows:
        contact, is_new = await _find_or_create(session, row)
        changed = await _apply_row(session, user, contact, row, tags)
        if is_new:
            created += 1
        elif changed:
            updated += 1
        else:
            unchanged += 1
        if is_new or changed:
            changed_contacts.append(contact)
    report = ImportReport(
        rows=upload.row_count,
        created=created,
        updated=updated,
        unchanged=unchanged,
        merged=upload.merged,
        rejected=upload.rejected,
        tags_created=tags.created,
    )
    return report, changed_contacts


async def _find_or_create(
    session: AsyncSession, row: ImportRow
) -> tuple[Contact, bool]:
    claims = IdentityClaims(phone=row.phone, name=row.name)
    contact = await find_contact(session, claims)
    if contact is not None:
        return contact, False
    contact = await find_or_create_contact(session, claims, channel_id=None)
    assert contact is not None, "a valid phone number always gives an address"
    return contact, True


async def _apply_row(
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


async def publish_contact_updates(events: EventHub, contacts: list[Contact]) -> None:
    """Publish the changes of an import, after its commit."""
    if len(contacts) > MAX_IMPORT_EVENTS:
        await events.publish([Event("contacts.imported", {"count": len(contacts)})])
        return
    await events.publish(
        [service.contact_updated_event(contact) for contact in contacts]
    )

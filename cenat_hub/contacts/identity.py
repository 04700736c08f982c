"""Find or create the contact behind the ids a webhook or an agent names."""

import re
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.phone import (
    InvalidPhoneNumberError,
    is_phone_wa_id,
    match_key,
    normalize_typed_number,
)
from cenat_hub.db.folding import fold_for_search
from cenat_hub.db.types import utcnow
from cenat_hub.db.upsert import dialect_insert, insert_or_ignore_object
from cenat_hub.models import Contact, ContactIdentity
from cenat_hub.models.contact import (
    IDENTITY_PARENT_USER_ID,
    IDENTITY_PHONE,
    IDENTITY_USER_ID,
)

_TYPED_NUMBER = re.compile(r"\+?[0-9(][0-9 ().-]{6,30}")


@dataclass
class IdentityClaims:
    """The ids one payload gives for a person; any of them may be missing."""

    phone: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    name: str | None = None
    username: str | None = None

    def identity_keys(self) -> list[tuple[str, str]]:
        keys = []
        if self.phone and is_phone_wa_id(self.phone):
            keys.append((IDENTITY_PHONE, match_key(self.phone)))
        if self.user_id:
            keys.append((IDENTITY_USER_ID, self.user_id))
        if self.parent_user_id:
            keys.append((IDENTITY_PARENT_USER_ID, self.parent_user_id))
        return keys

    @property
    def address(self) -> str | None:
        """The id to file the contact under: the phone, else the user id."""
        if self.phone and is_phone_wa_id(self.phone):
            return self.phone
        return self.user_id or self.parent_user_id or self.phone


async def find_contact(session: AsyncSession, claims: IdentityClaims) -> Contact | None:
    """Return the contact matching these ids, preferring the phone number.

    When the ids point at different contacts, the phone wins and nothing is
    merged.
    """
    keys = claims.identity_keys()
    if not keys:
        return None
    rows = (
        await session.execute(
            select(ContactIdentity.kind, ContactIdentity.contact_id).where(
                tuple_(ContactIdentity.kind, ContactIdentity.value).in_(keys)
            )
        )
    ).all()
    by_kind = {kind: contact_id for kind, contact_id in rows}
    for kind in (IDENTITY_PHONE, IDENTITY_USER_ID, IDENTITY_PARENT_USER_ID):
        if kind in by_kind:
            return await session.get(Contact, by_kind[kind])
    return None


async def _contact_by_wa_id(session: AsyncSession, wa_id: str) -> Contact | None:
    statement = select(Contact).where(Contact.wa_id == wa_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def find_contact_by_any_id(session: AsyncSession, value: str) -> Contact | None:
    """Resolve a path parameter: a wa_id, a number as typed, or a business-scoped id.

    Numbers may carry +55, spaces, dashes and parentheses, with or without the
    Brazilian ninth digit ("+55 (11) 90000-0001", "11900000001").
    """
    value = value.strip()
    contact = await _contact_by_wa_id(session, value)
    if contact is not None:
        return contact
    if _TYPED_NUMBER.fullmatch(value):
        try:
            digits = normalize_typed_number(value)
        except InvalidPhoneNumberError:
            return None
        return await _contact_by_wa_id(session, digits) or await find_contact(
            session, IdentityClaims(phone=digits)
        )
    return await find_contact(session, IdentityClaims(user_id=value))


async def find_or_create_contact(
    session: AsyncSession, claims: IdentityClaims, channel_id: int | None
) -> Contact | None:
    """Return the contact for these ids, creating it and recording new aliases."""
    resolved = await resolve_contact(session, claims, channel_id)
    return resolved[0] if resolved else None


async def resolve_contact(
    session: AsyncSession,
    claims: IdentityClaims,
    channel_id: int | None,
    *,
    lock: bool = False,
) -> tuple[Contact, bool] | None:
    """Return the contact for these ids and whether this call created it.

    Works like ``find_or_create_contact`` with fewer statements: one SELECT
    finds the contact with its known identities, a new contact comes back from
    its INSERT, and only identities not stored yet are inserted. With
    ``lock``, an existing contact's row is locked until the transaction ends
    (on PostgreSQL) and read afresh, so concurrent updates of it queue.
    """
    address = claims.address
    if address is None:
        return None
    owners, contact = await _find_owners(session, claims.identity_keys(), lock)
    created = False
    if contact is None:
        contact = await insert_or_ignore_object(
            session,
            Contact,
            {
                "wa_id": address,
                "name": claims.name,
                "user_id": claims.user_id,
                "username": claims.username,
                "search_name": fold_for_search(claims.name, claims.username),
                "lead_status": "novo",
                "channel_id": channel_id,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            },
            ["wa_id"],
        )
        created = contact is not None
        if contact is None:
            statement = select(Contact).where(Contact.wa_id == address)
            if lock:
                statement = statement.with_for_update().execution_options(
                    populate_existing=True
                )
            contact = (await session.execute(statement)).scalar_one()
    await _remember_identities(session, contact, claims, owners)
    return contact, created


async def _find_owners(
    session: AsyncSession, keys: list[tuple[str, str]], lock: bool
) -> tuple[dict[tuple[str, str], int], Contact | None]:
    """Return the owner of each stored key and the contact the keys point at.

    The phone number wins over the user ids, as in ``find_contact``.
    """
    if not keys:
        return {}, None
    statement = (
        select(ContactIdentity.kind, ContactIdentity.value, Contact)
        .join(Contact, Contact.id == ContactIdentity.contact_id)
        .where(tuple_(ContactIdentity.kind, ContactIdentity.value).in_(keys))
    )
    if lock:
        statement = statement.with_for_update(of=Contact).execution_options(
            populate_existing=True
        )
    rows = (await session.execute(statement)).all()
    owners = {(kind, value): contact.id for kind, value, contact in rows}
    by_kind = {kind: contact for kind, _, contact in rows}
    for kind in (IDENTITY_PHONE, IDENTITY_USER_ID, IDENTITY_PARENT_USER_ID):
        if kind in by_kind:
            return owners, by_kind[kind]
    return owners, None


async def _remember_identities(
    session: AsyncSession,
    contact: Contact,
    claims: IdentityClaims,
    owners: dict[tuple[str, str], int] | None = None,
) -> None:
    """Store the claims' keys that no contact owns yet; update names and user id.

    ``owners`` maps keys already stored to their contact; without it every
    key is offered to the database, which keeps the existing owner.
    """
    owners = dict(owners or {})
    missing = [key for key in claims.identity_keys() if key not in owners]
    if missing:
        now = utcnow()
        statement = (
            dialect_insert(session)(ContactIdentity)
            .values(
                [
                    {
                        "contact_id": contact.id,
                        "kind": kind,
                        "value": value,
                        "created_at": now,
                    }
                    for kind, value in missing
                ]
            )
            .on_conflict_do_nothing(index_elements=["kind", "value"])
            .returning(ContactIdentity.kind, ContactIdentity.value)
        )
        for kind, value in (await session.execute(statement)).all():
            owners[(kind, value)] = contact.id
    if claims.name and not contact.name:
        contact.name = claims.name
    if claims.user_id and contact.user_id != claims.user_id:
        owner = owners.get((IDENTITY_USER_ID, claims.user_id))
        if owner is None:
            owner = await _identity_owner(session, IDENTITY_USER_ID, claims.user_id)
        if owner == contact.id:
            contact.user_id = claims.user_id
    if claims.username:
        contact.username = claims.username


async def _identity_owner(session: AsyncSession, kind: str, value: str) -> int | None:
    statement = select(ContactIdentity.contact_id).where(
        ContactIdentity.kind == kind, ContactIdentity.value == value
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def add_identity(
    session: AsyncSession, contact: Contact, claims: IdentityClaims
) -> None:
    """Record extra ids for a known contact (a changed number, a rotated user id)."""
    await _remember_identities(session, contact, claims)

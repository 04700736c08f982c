from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    inspect,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.folding import fold_for_search
from cenat_hub.db.types import UTCDateTime, utcnow

LEAD_STATUSES = ("novo", "contato", "qualificado", "matriculado", "perdido")


def status_bit(status: str | None) -> int:
    """Return the bit of a status in ``Contact.reached_statuses``, 0 if unknown.

    Bit i is ``LEAD_STATUSES[i]``, so appending a status keeps the stored bits.
    """
    if status not in LEAD_STATUSES:
        return 0
    return 1 << LEAD_STATUSES.index(status)


NOVO_BIT = status_bit("novo")

IDENTITY_PHONE = "phone"
IDENTITY_USER_ID = "user_id"
IDENTITY_PARENT_USER_ID = "parent_user_id"


class Contact(Base):
    """One lead, whatever numbers and business-scoped ids they write from."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The phone wa_id WhatsApp gave this person; their business-scoped user id
    # when no phone number is known.
    wa_id: Mapped[str] = mapped_column(String(150), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(150))
    username: Mapped[str | None] = mapped_column(String(150))
    # Name and username folded for search; see cenat_hub.db.folding.
    search_name: Mapped[str | None] = mapped_column(String(600))
    lead_status: Mapped[str] = mapped_column(String(30), default="novo", index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    notes_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes_updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    lost_reason_id: Mapped[int | None] = mapped_column(
        ForeignKey("lost_reasons.id", ondelete="SET NULL")
    )
    lost_reason_text: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One bit per status the lead ever had (see status_bit): novo, which every
    # lead starts as, its current status and every status a status_changed
    # event set. Statuses outside LEAD_STATUSES have no bit.
    reached_statuses: Mapped[int] = mapped_column(
        SmallInteger, default=NOVO_BIT, server_default=str(NOVO_BIT)
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL")
    )
    # The newest message time on any of the contact's conversations, either way.
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    @hybrid_property
    def last_activity_at(self) -> datetime:
        """The newest message time, or the creation time before any message."""
        return self.last_message_at or self.created_at

    @last_activity_at.inplace.expression
    @classmethod
    def _last_activity_at_expression(cls) -> ColumnElement[datetime]:
        return func.coalesce(cls.last_message_at, cls.created_at, type_=UTCDateTime)


# The pipeline and the contact list sort on last activity; these expression
# indexes let both databases read a page in order without sorting every row.
Index(
    "ix_contacts_pipeline",
    Contact.lead_status,
    Contact.last_activity_at,
    Contact.id,
)
Index("ix_contacts_last_activity", Contact.last_activity_at, Contact.id)
# The dashboard counts new leads per day.
Index("ix_contacts_created_at", Contact.created_at)


@event.listens_for(Contact.name, "set")
def _fold_name(contact: Contact, value: str | None, *_: object) -> None:
    contact.search_name = fold_for_search(value, contact.username)


@event.listens_for(Contact.lead_status, "set")
def _reach_status(contact: Contact, value: str | None, *_: object) -> None:
    """Add the new status's bit to ``reached_statuses``.

    A row already in the database gets ``reached_statuses | bit`` in its
    UPDATE, so two transactions that change one lead's status at once both
    keep their bit. The attribute is then expired until the row is loaded again.
    """
    bit = status_bit(value)
    state = inspect(contact)
    current = state.dict.get("reached_statuses")
    if isinstance(current, int) and current & bit == bit:
        return
    if not state.has_identity:
        start = NOVO_BIT if current is None else current
        contact.reached_statuses = start | bit
        return
    # A pending expression from an earlier change in this flush is extended.
    stored = current if isinstance(current, ColumnElement) else Contact.reached_statuses
    contact.reached_statuses = stored.op("|")(bit)


@event.listens_for(Contact.username, "set")
def _fold_username(contact: Contact, value: str | None, *_: object) -> None:
    contact.search_name = fold_for_search(contact.name, value)


class ContactIdentity(Base):
    """An identifier that leads to a contact.

    ``phone`` values are matching keys (Brazilian mobiles in their 13-digit
    form), ``user_id`` and ``parent_user_id`` values are Meta's
    business-scoped user ids as received.
    """

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    # The name NFC-normalised and case-folded in Python, so "Pós" and "PÓS"
    # collide on SQLite too, whose lower() folds ASCII letters only.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str] = mapped_column(String(20), default="blue")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactTag(Base):
    __tablename__ = "contact_tags"
    __table_args__ = (Index("ix_contact_tags_tag_id", "tag_id"),)

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Reads behind the inbox pages and the browser stream."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, literal, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cenat_hub.channels.access import contact_clause
from cenat_hub.contacts.phone import digits_only
from cenat_hub.db.folding import fold_for_search
from cenat_hub.models import (
    Channel,
    Contact,
    ContactIdentity,
    Conversation,
    Message,
    User,
    UserChannel,
)
from cenat_hub.web.dependencies import MAX_DATABASE_ID

CONVERSATIONS_PER_PAGE = 40
MESSAGES_PER_PAGE = 40
MAX_SEARCH_CHARS = 100
# A search term with at least this many digits also matches phone numbers.
MIN_NUMBER_DIGITS = 3
# Message types that never get a bubble of their own.
HIDDEN_TYPES = ("reaction", "edit", "revoke")
# The list's assignment filter: the user's own conversations, the
# unassigned ones, or every conversation.
ASSIGNED_MINE = "mine"
ASSIGNED_NOBODY = "unassigned"
ASSIGNED_ALL = "all"
ASSIGNED_FILTERS = (ASSIGNED_MINE, ASSIGNED_NOBODY, ASSIGNED_ALL)
# A search reads the messages of up to this many conversations after the
# cursor one by one before it turns to the trigram index for the older ones.
SEARCH_PROBE_CONVERSATIONS = 400


@dataclass(frozen=True)
class ConversationRow:
    conversation: Conversation
    contact: Contact
    assignee_name: str | None = None


def _rows_statement() -> Select[tuple[Conversation, Contact, str | None]]:
    """Select conversations with their contact and the name of their assignee."""
    return (
        select(Conversation, Contact, User.name)
        .join(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(User, User.id == Conversation.assignee_id)
    )


@dataclass(frozen=True)
class Cursor:
    """A position in a list ordered newest first: a time and a tie-breaking id."""

    at: datetime
    id: int

    def encode(self) -> str:
        micros = int(self.at.timestamp() * 1_000_000)
        return f"{micros}_{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> "Cursor | None":
        if not value:
            return None
        micros, _, row_id = value.partition("_")
        try:
            at = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
            cursor = cls(at=at, id=int(row_id))
        except (ValueError, OverflowError, OSError):
            return None
        # A larger id cannot name a row, and PostgreSQL rejects it as a parameter.
        return cursor if 1 <= cursor.id <= MAX_DATABASE_ID else None


async def visible_channels(session: AsyncSession, user: User) -> list[Channel]:
    """Return the active channels the user may work on.

    An agent without rows in ``user_channels`` sees every channel.
    """
    statement = select(Channel).where(Channel.is_active.is_(True)).order_by(Channel.id)
    if not user.is_admin:
        allowed = list(
            (
                await session.execute(
                    select(UserChannel.channel_id).where(UserChannel.user_id == user.id)
                )
            ).scalars()
        )
        if allowed:
            statement = statement.where(Channel.id.in_(allowed))
    return list((await session.execute(statement)).scalars())


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class _SearchPatterns:
    """LIKE patterns of one search term: folded text, and digits when it has enough."""

    text: str
    digits: str | None

    @classmethod
    def of(cls, term: str | None) -> "_SearchPatterns | None":
        folded = fold_for_search((term or "").strip()[:MAX_SEARCH_CHARS])
        if not folded:
            return None
        digits = digits_only(term or "")
        return cls(
            text=f"%{_escape_like(folded)}%",
            digits=f"%{digits}%" if len(digits) >= MIN_NUMBER_DIGITS else None,
        )


def _matches_by_index(
    patterns: _SearchPatterns, channel_id: int
) -> ColumnElement[bool]:
    """Match conversations through one set of every match in the channel.

    Each part of the union can use its own index on PostgreSQL (the trigram
    indexes on names and on message text), which is cheap for a term that
    few rows contain and slow for a term that many messages contain.
    """
    conversation = aliased(Conversation)
    contact = aliased(Contact)
    named = (
        select(conversation.id)
        .join(contact, contact.id == conversation.contact_id)
        .where(conversation.channel_id == channel_id)
    )
    parts: list[Select[tuple[int]]] = [
        named.where(contact.search_name.like(patterns.text, escape="\\")),
        select(Message.conversation_id).where(
            Message.channel_id == channel_id,
            Message.search_text.like(patterns.text, escape="\\"),
        ),
    ]
    if patterns.digits is not None:
        parts.append(named.where(contact.wa_id.like(patterns.digits)))
        parts.append(
            select(conversation.id)
            .join(
                ContactIdentity,
                ContactIdentity.contact_id == conversation.contact_id,
            )
            .where(
                conversation.channel_id == channel_id,
                ContactIdentity.value.like(patterns.digits),
            )
        )
    return Conversation.id.in_(union(*parts))


def _matches_by_probe(patterns: _SearchPatterns) -> ColumnElement[bool]:
    """Match each conversation by reading its own messages.

    The cost grows with the number of conversations read, not with the
    number of matching messages. Each probe is a scalar subquery, because
    PostgreSQL may turn an ``EXISTS`` into one hashed set of every matching
    message, the cost this form is meant to avoid.
    """
    clauses: list[ColumnElement[bool]] = [
        Contact.search_name.like(patterns.text, escape="\\"),
        _first(
            select(literal(1)).where(
                Message.conversation_id == Conversation.id,
                Message.search_text.like(patterns.text, escape="\\"),
            )
        ),
    ]
    if patterns.digits is not None:
        clauses.append(Contact.wa_id.like(patterns.digits))
        clauses.append(
            _first(
                select(literal(1)).where(
                    ContactIdentity.contact_id == Contact.id,
                    ContactIdentity.value.like(patterns.digits),
                )
            )
        )
    return or_(*clauses)


def _first(statement: Select[tuple[int]]) -> ColumnElement[bool]:
    """Return true when the statement finds a row, reading no further than one."""
    return statement.limit(1).scalar_subquery().is_not(None)


def _list_filters(
    channel_id: int, lead_status: str | None, assigned: str, user_id: int | None
) -> list[ColumnElement[bool]]:
    filters = [
        Conversation.channel_id == channel_id,
        Conversation.last_message_at.is_not(None),
    ]
    if lead_status:
        filters.append(Contact.lead_status == lead_status)
    if assigned == ASSIGNED_MINE:
        filters.append(Conversation.assignee_id == user_id)
    elif assigned == ASSIGNED_NOBODY:
        filters.append(Conversation.assignee_id.is_(None))
    return filters


def _older_than(cursor: Cursor) -> ColumnElement[bool]:
    # Both conditions together mean (last_message_at, id) < cursor. The plain
    # range on last_message_at lets the planner read the list's index.
    return and_(
        Conversation.last_message_at <= cursor.at,
        or_(
            Conversation.last_message_at < cursor.at,
            Conversation.id < cursor.id,
        ),
    )


def _not_older_than(cursor: Cursor) -> ColumnElement[bool]:
    return and_(
        Conversation.last_message_at >= cursor.at,
        or_(
            Conversation.last_message_at > cursor.at,
            Conversation.id >= cursor.id,
        ),
    )


async def _rows_in_order(
    session: AsyncSession,
    filters: list[ColumnElement[bool]],
    after: Cursor | None,
    limit: int,
) -> list[ConversationRow]:
    statement = _rows_statement().where(*filters)
    if after is not None:
        statement = statement.where(_older_than(after))
    statement = statement.order_by(
        Conversation.last_message_at.desc(), Conversation.id.desc()
    ).limit(limit)
    rows = (await session.execute(statement)).all()
    return [ConversationRow(*row) for row in rows]


async def _walk_end(
    session: AsyncSession, filters: list[ColumnElement[bool]], after: Cursor | None
) -> Cursor | None:
    """Return the last of the conversations a search probes one by one.

    None means that fewer than ``SEARCH_PROBE_CONVERSATIONS`` remain after the
    cursor, so the probes cover all of them.
    """
    statement = (
        select(Conversation.last_message_at, Conversation.id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(*filters)
    )
    if after is not None:
        statement = statement.where(_older_than(after))
    statement = (
        statement.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .offset(SEARCH_PROBE_CONVERSATIONS - 1)
        .limit(1)
    )
    row = (await session.execute(statement)).first()
    return Cursor(at=row[0], id=row[1]) if row else None


async def _search_rows(
    session: AsyncSession,
    channel_id: int,
    filters: list[ColumnElement[bool]],
    patterns: _SearchPatterns,
    after: Cursor | None,
    limit: int,
) -> list[ConversationRow]:
    """Probe the next conversations one by one, then search older ones by index.

    The probes read at most ``SEARCH_PROBE_CONVERSATIONS`` conversations, and
    the index search runs only when they gave fewer than ``limit`` rows.

    A term in many messages fills the page among the newest conversations, so
    the probes stop early. A term in few messages leaves the page short after
    a bounded number of probes, and the index finds the rest cheaply.
    """
    walk_end = await _walk_end(session, filters, after)
    probed = [_matches_by_probe(patterns)]
    if walk_end is not None:
        probed.append(_not_older_than(walk_end))
    rows = await _rows_in_order(session, [*filters, *probed], after, limit)
    if len(rows) == limit or walk_end is None:
        return rows
    # NOTE: a term that few of the newest conversations contain but many older
    # messages do still costs the full index search: 0.4 s warm, 1.6 s cold
    # for a word in 47,000 of a channel's 628,000 messages (docs/benchmarks.md).
    # SQLite has no trigram index, so there this part reads every message of
    # the channel (about 1 s at that size).
    indexed = [*filters, _matches_by_index(patterns, channel_id)]
    return rows + await _rows_in_order(session, indexed, walk_end, limit - len(rows))


async def conversation_page(
    session: AsyncSession,
    channel_id: int,
    *,
    search: str | None = None,
    lead_status: str | None = None,
    assigned: str = ASSIGNED_ALL,
    user_id: int | None = None,
    after: Cursor | None = None,
    limit: int = CONVERSATIONS_PER_PAGE,
) -> list[ConversationRow]:
    """Return a channel's conversations, newest activity first, after a cursor.

    ``assigned`` keeps the conversations of ``user_id`` (``mine``), those of
    nobody (``unassigned``) or all of them. Paging by (last_message_at, id)
    instead of an offset keeps every page as fast as the first, through the
    (channel_id, last_message_at) index.
    """
    filters = _list_filters(channel_id, lead_status, assigned, user_id)
    patterns = _SearchPatterns.of(search)
    if patterns is None:
        return await _rows_in_order(session, filters, after, limit)
    return await _search_rows(session, channel_id, filters, patterns, after, limit)


async def conversation_row(
    session: AsyncSession, conversation_id: int
) -> ConversationRow | None:
    statement = _rows_statement().where(Conversation.id == conversation_id)
    row = (await session.execute(statement)).first()
    return ConversationRow(*row) if row else None


async def conversation_of_contact(
    session: AsyncSession, contact: Contact, channel_ids: list[int]
) -> Conversation | None:
    """Return the contact's most recently active conversation among these channels."""
    statement = (
        select(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            Conversation.channel_id.in_(channel_ids),
        )
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id)
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def message_page(
    session: AsyncSession,
    conversation_id: int,
    before: Cursor | None = None,
    limit: int = MESSAGES_PER_PAGE,
) -> list[Message]:
    """Return up to ``limit`` visible messages before a cursor, oldest first."""
    statement = select(Message).where(
        Message.conversation_id == conversation_id,
        Message.message_type.not_in(HIDDEN_TYPES),
    )
    if before is not None:
        statement = statement.where(
            or_(
                Message.timestamp < before.at,
                and_(Message.timestamp == before.at, Message.id < before.id),
            )
        )
    statement = statement.order_by(Message.timestamp.desc(), Message.id.desc()).limit(
        limit
    )
    rows = list((await session.execute(statement)).scalars())
    rows.reverse()
    return rows


async def messages_by_wa_id(
    session: AsyncSession, wa_message_ids: set[str]
) -> dict[str, Message]:
    if not wa_message_ids:
        return {}
    statement = select(Message).where(Message.wa_message_id.in_(wa_message_ids))
    return {
        message.wa_message_id: message
        for message in (await session.execute(statement)).scalars()
        if message.wa_message_id
    }


async def user_names(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    statement = select(User.id, User.name).where(User.id.in_(user_ids))
    return {user_id: name for user_id, name in (await session.execute(statement)).all()}


async def last_inbound_wa_message_id(
    session: AsyncSession, conversation_id: int
) -> str | None:
    statement = (
        select(Message.wa_message_id)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "inbound",
            Message.wa_message_id.is_not(None),
            Message.message_type.not_in(HIDDEN_TYPES),
        )
        .order_by(Message.timestamp.desc(), Message.id.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def messages_changed_since(
    session: AsyncSession, since: datetime, channel_ids: list[int], limit: int
) -> list[Message]:
    """Return messages created or changed after ``since``, oldest change first."""
    statement = (
        select(Message)
        .where(Message.updated_at > since, Message.channel_id.in_(channel_ids))
        .order_by(Message.updated_at, Message.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


async def conversations_changed_since(
    session: AsyncSession, since: datetime, channel_ids: list[int], limit: int
) -> list[int]:
    """Return the ids of conversations whose row or contact changed after ``since``."""
    statement = (
        select(Conversation.id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(
            Conversation.channel_id.in_(channel_ids),
            Conversation.last_message_at.is_not(None),
            or_(Conversation.updated_at > since, Contact.updated_at > since),
        )
        .order_by(Conversation.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


async def conversation_ids_of_contact(
    session: AsyncSession, contact_id: int, channel_ids: list[int]
) -> list[int]:
    statement = select(Conversation.id).where(
        Conversation.contact_id == contact_id,
        Conversation.channel_id.in_(channel_ids),
    )
    return list((await session.execute(statement)).scalars())


async def visible_contact(
    session: AsyncSession, contact_id: int, visible: set[int] | None
) -> Contact | None:
    """Return the contact when a user seeing ``visible`` channels may see it."""
    statement = select(Contact).where(Contact.id == contact_id, contact_clause(visible))
    return (await session.execute(statement)).scalar_one_or_none()


async def message_in_conversation(
    session: AsyncSession, conversation_id: int, message_id: int
) -> Message | None:
    message = await session.get(Message, message_id)
    if message is None or message.conversation_id != conversation_id:
        return None
    return message

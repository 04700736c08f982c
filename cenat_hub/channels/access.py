"""Which channels a user may see, and the checks built on that answer.

Admins see every channel. An agent sees every channel until an admin limits
them with rows in ``user_channels``; from then on they see only those
channels. Deactivated channels stay visible to the users who could see them,
so their history can still be read.
"""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, delete, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from cenat_hub.models import Channel, Contact, Conversation, User, UserChannel
from cenat_hub.models.user import ROLE_AGENT

MAX_CHANNELS_PER_USER = 500


async def visible_channel_ids(session: AsyncSession, user: User) -> set[int] | None:
    """Return the ids of the channels ``user`` may see, or None for every channel."""
    if user.is_admin:
        return None
    statement = select(UserChannel.channel_id).where(UserChannel.user_id == user.id)
    channel_ids = set((await session.execute(statement)).scalars())
    return channel_ids or None


def can_see_channel(visible: set[int] | None, channel_id: int) -> bool:
    return visible is None or channel_id in visible


def ensure_channel_visible(visible: set[int] | None, channel_id: int) -> None:
    """Raise 403 when a request names a channel its user may not use."""
    if not can_see_channel(visible, channel_id):
        raise PermissionDeniedError(
            f"Channel {channel_id} is not among the channels you can use."
        )


def channel_clause(
    column: ColumnElement[int] | ColumnElement[int | None], visible: set[int] | None
) -> ColumnElement[bool]:
    """Build a WHERE clause keeping rows whose channel column is visible."""
    if visible is None:
        return true()
    return column.in_(sorted(visible))


def contact_clause(visible: set[int] | None) -> ColumnElement[bool]:
    """Build a WHERE clause on ``Contact`` keeping the contacts a user may see.

    A contact is visible through a conversation on a visible channel, or,
    before any conversation exists, through its channel of first contact.
    """
    if visible is None:
        return true()
    ids = sorted(visible)
    has_visible_conversation = exists().where(
        Conversation.contact_id == Contact.id, Conversation.channel_id.in_(ids)
    )
    return or_(has_visible_conversation, Contact.channel_id.in_(ids))


async def ensure_contact_visible(
    session: AsyncSession, contact: Contact, visible: set[int] | None, wa_id: str
) -> None:
    """Raise 404, as for an unknown contact, when ``contact`` is out of sight."""
    if visible is None:
        return
    statement = select(Contact.id).where(
        Contact.id == contact.id, contact_clause(visible)
    )
    if (await session.execute(statement)).scalar_one_or_none() is None:
        raise NotFoundError(f"Contact {wa_id} not found.")


async def user_channel_ids(session: AsyncSession, user_id: int) -> list[int]:
    """Return the channel ids stored for a user; empty means every channel."""
    statement = (
        select(UserChannel.channel_id)
        .where(UserChannel.user_id == user_id)
        .order_by(UserChannel.channel_id)
    )
    return list((await session.execute(statement)).scalars())


async def set_user_channels(
    session: AsyncSession, user_id: int, channel_ids: Iterable[int]
) -> list[int]:
    """Replace the channels a user is limited to; an empty list lifts the limit."""
    wanted = sorted(set(channel_ids))
    if len(wanted) > MAX_CHANNELS_PER_USER:
        raise InvalidInputError(
            f"Too many channels ({len(wanted)}); list at most {MAX_CHANNELS_PER_USER}."
        )
    if await session.get(User, user_id) is None:
        raise NotFoundError(f"User {user_id} not found.")
    if wanted:
        found = set(
            (
                await session.execute(select(Channel.id).where(Channel.id.in_(wanted)))
            ).scalars()
        )
        unknown = [channel_id for channel_id in wanted if channel_id not in found]
        if unknown:
            raise InvalidInputError(
                f"Channels {', '.join(map(str, unknown))} do not exist.",
                channel_ids=unknown,
            )
    await session.execute(delete(UserChannel).where(UserChannel.user_id == user_id))
    session.add_all(
        UserChannel(user_id=user_id, channel_id=channel_id) for channel_id in wanted
    )
    await session.flush()
    return wanted


async def agents_with_channels(session: AsyncSession) -> list[tuple[User, set[int]]]:
    """List active agents by name, each with the channel ids they are limited to."""
    agents = list(
        (
            await session.execute(
                select(User)
                .where(User.role == ROLE_AGENT, User.is_active.is_(True))
                .order_by(User.name, User.id)
            )
        ).scalars()
    )
    rows = (
        await session.execute(
            select(UserChannel.user_id, UserChannel.channel_id).where(
                UserChannel.user_id.in_([agent.id for agent in agents])
            )
        )
    ).all()
    limits: dict[int, set[int]] = {}
    for user_id, channel_id in rows:
        limits.setdefault(user_id, set()).add(channel_id)
    return [(agent, limits.get(agent.id, set())) for agent in agents]

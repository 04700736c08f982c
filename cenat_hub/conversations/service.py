"""Rules of a conversation: creation, assignment, the 24-hour window, last activity."""

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import can_see_channel, visible_channel_ids
from cenat_hub.db.types import utcnow
from cenat_hub.db.upsert import insert_or_ignore_object
from cenat_hub.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from cenat_hub.events.hub import Event
from cenat_hub.models import Contact, Conversation, User

log = structlog.get_logger(__name__)

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
PREVIEW_CHARS = 200

# Message types that a person sees as a new bubble in the chat.
_VISIBLE_TYPES_EXCLUDED = frozenset({"reaction", "edit", "revoke"})


async def get_or_create_conversation(
    session: AsyncSession,
    channel_id: int,
    contact_id: int,
    *,
    new_contact: bool = False,
    lock: bool = False,
) -> Conversation:
    """Return the contact's conversation on a channel, creating it when new.

    A new conversation goes to the agent who owns the contact's other
    conversations, so a lead who writes to a second number stays with them.
    ``new_contact`` says that the contact was created in this transaction, so
    it has no conversation yet: the lookup and the owner search are skipped.
    With ``lock``, an existing conversation's row is locked until the
    transaction ends (on PostgreSQL) and read afresh, so that counters such as
    ``unread_count`` are not raised from a stale value by two transactions.
    """
    statement = select(Conversation).where(
        Conversation.channel_id == channel_id, Conversation.contact_id == contact_id
    )
    if lock:
        statement = statement.with_for_update().execution_options(
            populate_existing=True
        )
    if not new_contact:
        existing = (await session.execute(statement)).scalar_one_or_none()
        if existing is not None:
            return existing
    created = await insert_or_ignore_object(
        session,
        Conversation,
        {
            "channel_id": channel_id,
            "contact_id": contact_id,
            "unread_count": 0,
            "created_at": utcnow(),
        },
        ["channel_id", "contact_id"],
    )
    if created is None:
        # Another transaction created it since the lookup.
        return (await session.execute(statement)).scalar_one()
    if not new_contact:
        await _inherit_assignee(session, created)
    return created


async def _inherit_assignee(session: AsyncSession, conversation: Conversation) -> None:
    """Assign a new conversation to the owner of the contact's latest assigned one.

    The owner must be active and able to see the new conversation's channel.
    """
    statement = (
        select(User)
        .join(Conversation, Conversation.assignee_id == User.id)
        .where(
            Conversation.contact_id == conversation.contact_id,
            Conversation.id != conversation.id,
            User.is_active.is_(True),
        )
        .order_by(
            Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc()
        )
        .limit(1)
    )
    owner = (await session.execute(statement)).scalar_one_or_none()
    if owner is None:
        return
    if can_see_channel(
        await visible_channel_ids(session, owner), conversation.channel_id
    ):
        conversation.assignee_id = owner.id


async def get_visible_conversation(
    session: AsyncSession,
    conversation_id: int,
    visible: set[int] | None,
    *,
    for_update: bool = False,
) -> Conversation:
    """Return a conversation, or raise 404 when it is missing or out of sight.

    With ``for_update`` the row is locked until the transaction ends (on
    PostgreSQL; SQLite already holds the write lock from BEGIN IMMEDIATE) and
    read afresh, so a decision based on it cannot race another request.
    """
    conversation = await session.get(
        Conversation,
        conversation_id,
        with_for_update=for_update,
        populate_existing=for_update,
    )
    if conversation is None or not can_see_channel(visible, conversation.channel_id):
        raise NotFoundError(f"Conversation {conversation_id} not found.")
    return conversation


def _check_agent_may_assign(
    actor: User, conversation: Conversation, assignee_id: int | None
) -> None:
    """Let an agent take a free conversation or release their own, nothing else."""
    if assignee_id is not None and assignee_id != actor.id:
        raise PermissionDeniedError(
            "Agents can only assign conversations to themselves; ask an admin."
        )
    if conversation.assignee_id in (None, actor.id):
        return
    if assignee_id is None:
        raise PermissionDeniedError(
            f"Conversation {conversation.id} is assigned to another user; "
            "only they or an admin can release it."
        )
    raise ConflictError(
        f"Conversation {conversation.id} is already assigned to another user; "
        "ask an admin to reassign it.",
        assignee_id=conversation.assignee_id,
    )


async def assign_conversation(
    session: AsyncSession, actor: User, conversation_id: int, assignee_id: int | None
) -> Conversation:
    """Assign a conversation to a user, or unassign it when ``assignee_id`` is None.

    Admins assign anyone who is active and can see the channel; agents take
    a free conversation for themselves or release their own.
    """
    visible = await visible_channel_ids(session, actor)
    # Two agents pressing Assumir at once must not both get the conversation.
    conversation = await get_visible_conversation(
        session, conversation_id, visible, for_update=True
    )
    if not actor.is_admin:
        _check_agent_may_assign(actor, conversation, assignee_id)
    if assignee_id is not None and assignee_id != conversation.assignee_id:
        assignee = await session.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise InvalidInputError(
                f"User {assignee_id} does not exist or is deactivated; "
                "choose an active user."
            )
        assignee_visible = await visible_channel_ids(session, assignee)
        if not can_see_channel(assignee_visible, conversation.channel_id):
            raise InvalidInputError(
                f"User {assignee_id} cannot see channel {conversation.channel_id}; "
                "give them access to the channel first."
            )
    if conversation.assignee_id != assignee_id:
        conversation.assignee_id = assignee_id
        await session.flush()
        log.info(
            "conversation.assigned",
            conversation_id=conversation.id,
            assignee_id=assignee_id,
            actor_id=actor.id,
        )
    return conversation


def assignment_event(conversation: Conversation) -> Event:
    """Build the event that updates open inboxes when a conversation changes owner."""
    return Event(
        "conversation.updated",
        {
            "conversation_id": conversation.id,
            "channel_id": conversation.channel_id,
            "assignee_id": conversation.assignee_id,
        },
    )


def window_closes_at(conversation: Conversation | None) -> datetime | None:
    if conversation is None or conversation.last_inbound_at is None:
        return None
    return conversation.last_inbound_at + CUSTOMER_SERVICE_WINDOW


def is_window_open(
    conversation: Conversation | None, now: datetime | None = None
) -> bool:
    closes_at = window_closes_at(conversation)
    return closes_at is not None and (now or utcnow()) < closes_at


def message_preview(message_type: str, content: str | None) -> str:
    """Return the short text shown in the conversation list."""
    if content:
        return content[:PREVIEW_CHARS]
    return PREVIEW_LABELS.get(message_type, "Mensagem")


PREVIEW_LABELS = {
    "image": "📷 Imagem",
    "video": "🎥 Vídeo",
    "audio": "🎤 Áudio",
    "document": "📄 Documento",
    "sticker": "Figurinha",
    "location": "📍 Localização",
    "contacts": "👤 Contato",
    "order": "🛒 Pedido",
    "template": "Template",
    "unsupported": "Mensagem não suportada",
    "system": "Aviso do sistema",
    "request_welcome": "Abriu a conversa",
}


def record_message(
    conversation: Conversation,
    *,
    contact: Contact,
    message_type: str,
    content: str | None,
    timestamp: datetime,
    direction: str,
    sender_wa_id: str | None = None,
) -> None:
    """Move the conversation's last activity, window and unread count forward.

    The contact's ``last_message_at``, which orders the pipeline, moves with it.
    """
    if message_type in _VISIBLE_TYPES_EXCLUDED:
        return
    if direction == "inbound":
        if (
            conversation.last_inbound_at is None
            or timestamp > conversation.last_inbound_at
        ):
            conversation.last_inbound_at = timestamp
            if sender_wa_id:
                conversation.recipient_wa_id = sender_wa_id
        conversation.unread_count += 1
    elif sender_wa_id and not conversation.recipient_wa_id:
        conversation.recipient_wa_id = sender_wa_id
    if (
        conversation.last_message_at is None
        or timestamp >= conversation.last_message_at
    ):
        conversation.last_message_at = timestamp
        conversation.last_message_preview = message_preview(message_type, content)
        conversation.last_message_direction = direction
    if contact.last_message_at is None or timestamp > contact.last_message_at:
        contact.last_message_at = timestamp

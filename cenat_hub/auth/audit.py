"""The audit log: who created, changed or deactivated which user or channel, and when.

Entries are written in the same transaction as the change they describe, so
an entry exists exactly when its change was committed. Details hold names and
changed values, never passwords, hashes or tokens.
"""

from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cenat_hub.models import AuditLogEntry, User

log = structlog.get_logger(__name__)

USER_CREATED = "user.created"
USER_UPDATED = "user.updated"
USER_ACTIVATED = "user.activated"
USER_DEACTIVATED = "user.deactivated"
USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an action name
USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 - an action name
CHANNEL_CREATED = "channel.created"

TARGET_USER = "user"
TARGET_CHANNEL = "channel"


async def record(
    session: AsyncSession,
    *,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Add one entry; ``actor`` is None for actions run from the command line."""
    entry = AuditLogEntry(
        actor_user_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or None,
    )
    session.add(entry)
    await session.flush()
    log.info(
        "audit.recorded",
        action=action,
        actor_user_id=entry.actor_user_id,
        target_type=target_type,
        target_id=target_id,
    )
    return entry


async def list_entries(
    session: AsyncSession,
    *,
    limit: int,
    before_id: int | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
) -> list[tuple[AuditLogEntry, User | None]]:
    """Return entries newest first, each with its actor when the actor still exists."""
    actor = aliased(User)
    statement = (
        select(AuditLogEntry, actor)
        .outerjoin(actor, AuditLogEntry.actor_user_id == actor.id)
        .order_by(AuditLogEntry.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        statement = statement.where(AuditLogEntry.id < before_id)
    if target_type is not None:
        statement = statement.where(AuditLogEntry.target_type == target_type)
    if target_id is not None:
        statement = statement.where(AuditLogEntry.target_id == target_id)
    rows = await session.execute(statement)
    return [(entry, user) for entry, user in rows]

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.types import UTCDateTime, utcnow


class Conversation(Base):
    """The thread between one channel and one contact.

    ``last_inbound_at`` opens the 24-hour customer-service window.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel_id", "contact_id"),
        Index("ix_conversations_channel_last_message", "channel_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    # The address replies go to: the id the lead last wrote from on this channel.
    recipient_wa_id: Mapped[str | None] = mapped_column(String(150))
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_preview: Mapped[str | None] = mapped_column(String(200))
    last_message_direction: Mapped[str | None] = mapped_column(String(10))
    # The next three columns are derived from the messages for the dashboard
    # and kept by cenat_hub.conversations.waits.
    # Time of the newest message, reactions excluded.
    last_counted_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Start of the lead's wait that no agent has answered yet (first-response
    # figures). None when an agent's message came last.
    open_wait_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Time of the first inbound message after the last outbound one (waiting
    # figures).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moves on every change; a browser stream that reconnects replays the
    # conversations changed since it last heard from the server.
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


# The list across channels reads conversations in this order. SQLite has no
# NULLS clause in index definitions; the migration gives it the plain
# (last_message_at, id), which SQLite reads backwards in the same order.
Index(
    "ix_conversations_last_message_id",
    Conversation.last_message_at.desc().nulls_last(),
    Conversation.id.desc(),
)

# The dashboard's conversations waiting for a reply, longest wait first.
Index(
    "ix_conversations_waiting_since",
    Conversation.waiting_since,
    Conversation.id,
    postgresql_where=text("last_message_direction = 'inbound'"),
    sqlite_where=text("last_message_direction = 'inbound'"),
)

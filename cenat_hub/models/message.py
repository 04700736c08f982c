from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cenat_hub.db.base import Base
from cenat_hub.db.folding import fold_for_search
from cenat_hub.db.types import JSONType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from cenat_hub.models.media import MediaFile

DIRECTION_INBOUND = "inbound"
DIRECTION_OUTBOUND = "outbound"

STATUS_RECEIVED = "received"
STATUS_PENDING = "pending"
STATUS_SENT = "sent"
STATUS_DELIVERED = "delivered"
STATUS_READ = "read"
STATUS_PLAYED = "played"
STATUS_FAILED = "failed"

# Outbound statuses only move up this order. A failure on one of the lead's
# devices ranks below delivery on another, so "delivered" and "read" win over
# "failed"; the error is kept either way.
STATUS_RANK = {
    STATUS_PENDING: 0,
    STATUS_SENT: 1,
    STATUS_FAILED: 2,
    STATUS_DELIVERED: 3,
    STATUS_READ: 4,
    STATUS_PLAYED: 5,
}


class Message(Base):
    """One WhatsApp message, inbound or outbound, of any type."""

    __tablename__ = "messages"
    __table_args__ = (
        Index(
            "ix_messages_conversation_timestamp", "conversation_id", "timestamp", "id"
        ),
        Index("ix_messages_channel_timestamp", "channel_id", "timestamp"),
        # The dashboard's days across all channels.
        Index("ix_messages_timestamp", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wa_message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Idempotency key chosen by the client that asked for an outbound send.
    client_message_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    contact_wa_id: Mapped[str] = mapped_column(String(150))
    direction: Mapped[str] = mapped_column(String(10))
    message_type: Mapped[str] = mapped_column(String(30))
    content: Mapped[str | None] = mapped_column(Text)
    # Content, file name and place folded for search; see cenat_hub.db.folding.
    search_text: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))

    media_id: Mapped[str | None] = mapped_column(String(100), index=True)
    media_mime_type: Mapped[str | None] = mapped_column(String(150))
    media_sha256: Mapped[str | None] = mapped_column(String(100))
    media_filename: Mapped[str | None] = mapped_column(String(255))
    media_url: Mapped[str | None] = mapped_column(Text)
    media_voice: Mapped[bool] = mapped_column(Boolean, default=False)
    media_animated: Mapped[bool] = mapped_column(Boolean, default=False)

    reply_to_wa_message_id: Mapped[str | None] = mapped_column(String(255))
    reply_to_from: Mapped[str | None] = mapped_column(String(150))
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False)
    frequently_forwarded: Mapped[bool] = mapped_column(Boolean, default=False)

    reaction_to_wa_message_id: Mapped[str | None] = mapped_column(String(255))
    reaction_emoji: Mapped[str | None] = mapped_column(String(50))
    # The lead's current reaction to this message, shown on its bubble.
    lead_reaction: Mapped[str | None] = mapped_column(String(50))

    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_name: Mapped[str | None] = mapped_column(Text)
    location_address: Mapped[str | None] = mapped_column(Text)
    location_url: Mapped[str | None] = mapped_column(Text)

    shared_contacts: Mapped[list[Any] | None] = mapped_column(JSONType)
    interactive: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    referral: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    system: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    order: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    template: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)

    sent_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moves on every change (status, edit, reaction); a browser stream that
    # reconnects replays the messages changed since it last heard from the server.
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    # Our copy of the message's media file, loaded with every message so that
    # its download state can be shown.
    media_file: Mapped["MediaFile | None"] = relationship(
        lazy="selectin", viewonly=True, uselist=False
    )


def message_search_text(
    content: str | None,
    filename: str | None = None,
    location_name: str | None = None,
    location_address: str | None = None,
) -> str | None:
    return fold_for_search(content, filename, location_name, location_address)


@event.listens_for(Message.content, "set")
def _fold_content(message: Message, value: str | None, *_: object) -> None:
    message.search_text = message_search_text(
        value,
        message.media_filename,
        message.location_name,
        message.location_address,
    )


class MessageStatusEvent(Base):
    """A status webhook as received, kept until its message is known.

    A status can arrive before the send call that created its message has
    returned; ``applied`` stays false until the status reaches the message.
    """

    __tablename__ = "message_status_events"
    __table_args__ = (
        UniqueConstraint("wa_message_id", "status", "error_code"),
        Index("ix_message_status_events_unapplied", "applied", "wa_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wa_message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    recipient_id: Mapped[str | None] = mapped_column(String(150))
    # 0 when the status carries no error, so the unique key works on both databases.
    error_code: Mapped[int] = mapped_column(Integer, default=0)
    error_title: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

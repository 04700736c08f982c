from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.types import UTCDateTime, utcnow

MEDIA_PENDING = "pending"
MEDIA_STORED = "stored"
MEDIA_FAILED = "failed"


class MediaFile(Base):
    """A media file of a message and the state of our local copy."""

    __tablename__ = "media_files"
    __table_args__ = (
        Index("ix_media_files_state_next", "state", "next_attempt_at"),
        # Every message read loads its media file by message id.
        Index("ix_media_files_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[str] = mapped_column(String(100), unique=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE")
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    mime_type: Mapped[str | None] = mapped_column(String(150))
    sha256: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    filename: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=MEDIA_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker that is downloading the file holds it until this time; a crash
    # releases it when the time passes.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When Meta stops serving the media id; the download is given up after it.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.types import UTCDateTime


class ResponseWait(Base):
    """One answered wait of a lead for an agent, as the first-response figures count it.

    Rows are derived from the conversation's messages and kept up to date by
    ``cenat_hub.conversations.waits``; the wait not yet answered is
    ``Conversation.open_wait_started_at``.
    """

    __tablename__ = "response_waits"
    __table_args__ = (
        # The dashboard reads the waits that started in its period.
        Index(
            "ix_response_waits_started_at",
            "started_at",
            "channel_id",
            "agent_id",
            "seconds",
        ),
        # The percentiles read the waits of a few ranges of seconds.
        Index("ix_response_waits_seconds", "seconds", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE")
    )
    # The agent whose message answered the wait.
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # From started_at to answered_at, rounded to whole seconds (halves up).
    seconds: Mapped[int] = mapped_column(Integer)

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.types import UTCDateTime, utcnow


class LoginAttempt(Base):
    """One login attempt, kept for a day to throttle password guessing.

    The rows live in the database, not in memory, so every worker counts the
    same failures.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_attempted_at", "email", "attempted_at"),
        Index(
            "ix_login_attempts_client_address_attempted_at",
            "client_address",
            "attempted_at",
        ),
        Index("ix_login_attempts_attempted_at", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The email as typed, normalised; it may belong to no user.
    email: Mapped[str] = mapped_column(String(255))
    client_address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.types import UTCDateTime, utcnow

ROLE_ADMIN = "admin"
ROLE_AGENT = "atendente"
ROLES = (ROLE_ADMIN, ROLE_AGENT)
DEFAULT_LOCALE = "pt_BR"


class User(Base):
    """An admin or an agent ("atendente") who logs in to the panel."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=ROLE_AGENT)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised on deactivation and password reset; tokens carry the value they
    # were issued with, so older tokens stop working at once.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    # The interface language of this user: "pt_BR" (the default) or "en".
    locale: Mapped[str] = mapped_column(
        String(10), default=DEFAULT_LOCALE, server_default=DEFAULT_LOCALE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.types import UTCDateTime, utcnow


class Channel(Base):
    """One WhatsApp business phone number."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone_number: Mapped[str] = mapped_column(String(20))
    phone_number_id: Mapped[str] = mapped_column(String(50), unique=True)
    waba_id: Mapped[str | None] = mapped_column(String(50))
    # Fernet ciphertext of the access token; see cenat_hub.security.crypto.
    whatsapp_token: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.types import UTCDateTime, utcnow

DELIVERY_PENDING = "pending"
DELIVERY_PROCESSED = "processed"
DELIVERY_FAILED = "failed"


class WebhookDelivery(Base):
    """One POST body from Meta, stored as received before it is processed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default=DELIVERY_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

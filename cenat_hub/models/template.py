from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.db.types import JSONType, UTCDateTime, utcnow


class MessageTemplate(Base):
    """A message template of a WhatsApp Business Account, as Meta last listed it."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("waba_id", "name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    waba_id: Mapped[str] = mapped_column(String(50), index=True)
    meta_template_id: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    category: Mapped[str | None] = mapped_column(String(30))
    parameter_format: Mapped[str] = mapped_column(String(20), default="POSITIONAL")
    components: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

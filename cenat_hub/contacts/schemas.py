from datetime import datetime

from pydantic import BaseModel


class TagOut(BaseModel):
    id: int
    name: str
    color: str


class ConversationSummary(BaseModel):
    id: int
    channel_id: int
    recipient_wa_id: str | None
    last_inbound_at: datetime | None
    last_message_at: datetime | None
    last_message_preview: str | None
    unread_count: int
    window_open: bool
    window_closes_at: datetime | None


class ContactOut(BaseModel):
    id: int
    wa_id: str
    name: str | None
    user_id: str | None
    lead_status: str
    notes: str | None
    channel_id: int | None
    created_at: datetime
    tags: list[TagOut] = []
    last_message_at: datetime | None = None
    last_message_preview: str | None = None
    unread_count: int = 0


class ContactDetail(ContactOut):
    aliases: list[str] = []
    conversations: list[ConversationSummary] = []

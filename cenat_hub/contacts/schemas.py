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
    lost_reason_id: int | None = None
    lost_reason_text: str | None = None
    status_changed_at: datetime | None = None
    notes: str | None
    notes_updated_at: datetime | None = None
    notes_updated_by_id: int | None = None
    channel_id: int | None
    created_at: datetime
    last_activity_at: datetime | None = None
    tags: list[TagOut] = []
    last_message_at: datetime | None = None
    last_message_preview: str | None = None
    unread_count: int = 0


class ContactDetail(ContactOut):
    aliases: list[str] = []
    conversations: list[ConversationSummary] = []

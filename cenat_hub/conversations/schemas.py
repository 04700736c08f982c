from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

AssignedFilter = Literal["mine", "unassigned", "all"]


class AssignRequest(BaseModel):
    user_id: int | None = Field(
        ge=1,
        le=2**31 - 1,
        description="The user to assign the conversation to; null unassigns it.",
    )


class ContactBrief(BaseModel):
    id: int
    wa_id: str
    name: str | None
    lead_status: str


class UserBrief(BaseModel):
    id: int
    name: str


class ConversationItem(BaseModel):
    """One row of the conversation list."""

    id: int
    channel_id: int
    channel_name: str
    channel_is_active: bool
    contact: ContactBrief
    last_message_preview: str | None
    last_message_at: datetime | None
    last_message_direction: str | None
    unread_count: int
    window_open: bool
    window_closes_at: datetime | None
    waiting_reply: bool = Field(
        description="True when the last message came from the lead."
    )
    assignee: UserBrief | None

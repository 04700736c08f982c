from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cenat_hub.web.dependencies import MAX_DATABASE_ID


class StatusUpdate(BaseModel):
    """A new lead status; "perdido" also needs a lost reason id, text or both."""

    lead_status: str = Field(max_length=30)
    lost_reason_id: int | None = Field(default=None, ge=1, le=MAX_DATABASE_ID)
    lost_reason_text: str | None = None


class NotesUpdate(BaseModel):
    notes: str | None


class TagCreate(BaseModel):
    name: str
    color: str = "blue"


class LostReasonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    is_active: bool
    position: int


# Lost reasons are listed by position, then name.
MAX_POSITION = 10_000


class LostReasonCreate(BaseModel):
    name: str
    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)


class LostReasonUpdate(BaseModel):
    name: str | None = None
    is_active: bool | None = None
    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)


class LeadEventOut(BaseModel):
    """One change to a lead. Values are small objects such as {"lead_status": ...}."""

    id: int
    kind: str
    user_id: int | None
    user_name: str | None
    old_value: dict[str, Any] | None
    new_value: dict[str, Any] | None
    created_at: datetime


class RejectedRow(BaseModel):
    line: int
    code: str
    reason: str
    value: str | None = None


class MergedRow(BaseModel):
    line: int
    merged_into_line: int
    phone: str


class ImportReport(BaseModel):
    """The outcome of one CSV import; line numbers count the header as line 1."""

    rows: int
    created: int
    updated: int
    unchanged: int
    merged: list[MergedRow]
    rejected: list[RejectedRow]
    tags_created: list[str]

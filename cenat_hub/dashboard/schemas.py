from datetime import date, datetime

from pydantic import BaseModel, Field


class PeriodOut(BaseModel):
    days: int
    timezone: str
    first_day: date
    last_day: date
    starts_at: datetime = Field(description="UTC instant the first day begins.")


class StatusCount(BaseModel):
    status: str
    count: int


class FunnelStep(BaseModel):
    status: str
    reached: int = Field(description="Leads of the period that ever had this status.")
    share_of_leads: float | None = Field(
        description="reached / leads created in the period."
    )
    rate_from_previous: float | None = Field(
        description="reached / reached of the previous pipeline step; null for "
        "the first step and for perdido."
    )


class LostReasonCount(BaseModel):
    reason_id: int | None
    name: str | None = Field(description="null when no reason was given.")
    count: int


class ResponseTimeOut(BaseModel):
    id: int | None = None
    name: str | None = None
    count: int
    median_seconds: float | None
    p90_seconds: float | None


class FirstResponse(BaseModel):
    overall: ResponseTimeOut
    by_agent: list[ResponseTimeOut]
    by_channel: list[ResponseTimeOut]


class WaitingConversation(BaseModel):
    conversation_id: int
    contact_name: str | None
    wa_id: str
    channel_name: str
    waiting_since: datetime
    wait_seconds: int


class Waiting(BaseModel):
    count: int
    longest_wait_seconds: int | None
    buckets: dict[str, int] = Field(
        description="Counts by time waited: under_1h, from_1h_to_4h, "
        "from_4h_to_24h, over_24h."
    )
    longest: list[WaitingConversation]


class DailyActivity(BaseModel):
    date: date
    messages_in: int
    messages_out: int
    new_leads: int


class DashboardStats(BaseModel):
    """The dashboard figures; see docs/dashboard.md for each definition."""

    period: PeriodOut
    channel_id: int | None
    generated_at: datetime
    active_conversations: int
    new_leads_24h: int
    messages_sent: int
    messages_received: int
    leads_by_status: list[StatusCount]
    funnel_leads: int = Field(description="Leads created in the period.")
    funnel: list[FunnelStep]
    lost_reasons: list[LostReasonCount]
    first_response: FirstResponse
    waiting: Waiting
    daily: list[DailyActivity]

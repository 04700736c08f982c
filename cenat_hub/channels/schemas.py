from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ChannelCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    phone_number: str = Field(min_length=8, max_length=20)
    phone_number_id: str = Field(min_length=1, max_length=50, pattern=r"^\d+$")
    waba_id: str | None = Field(default=None, max_length=50, pattern=r"^\d+$")
    whatsapp_token: str = Field(min_length=1, max_length=4096)

    @field_validator("name", "whatsapp_token")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class ChannelOut(BaseModel):
    """A channel as the API shows it; the access token is never included."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    phone_number: str
    phone_number_id: str
    waba_id: str | None
    is_active: bool
    created_at: datetime

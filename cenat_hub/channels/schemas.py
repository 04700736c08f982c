from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cenat_hub.contacts.phone import digits_only
from cenat_hub.web.dependencies import MAX_DATABASE_ID

MIN_PHONE_DIGITS = 8
MAX_PHONE_DIGITS = 20


def _phone_digits(value: str) -> str:
    digits = digits_only(value)
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise ValueError(
            f"phone_number must have {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits"
        )
    return digits


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


class ChannelCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    phone_number: str = Field(min_length=8, max_length=30)
    phone_number_id: str = Field(min_length=1, max_length=20, pattern=r"^[0-9]+$")
    waba_id: str | None = Field(default=None, max_length=20, pattern=r"^[0-9]+$")
    whatsapp_token: str = Field(min_length=1, max_length=4096)

    @field_validator("name", "whatsapp_token")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("value is blank")
        return value

    @field_validator("phone_number")
    @classmethod
    def _digits(cls, value: str) -> str:
        return _phone_digits(value)

    @field_validator("waba_id", mode="before")
    @classmethod
    def _blank_is_null(cls, value: object) -> object:
        return _blank_to_none(value)


class ChannelUpdate(BaseModel):
    """Fields an admin may change; omitted fields keep their value.

    ``phone_number_id`` cannot change because webhooks are routed by it.
    ``waba_id`` may be set to null; the token can only be replaced.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone_number: str | None = Field(default=None, min_length=8, max_length=30)
    waba_id: str | None = Field(default=None, max_length=20, pattern=r"^[0-9]+$")
    whatsapp_token: str | None = Field(default=None, min_length=1, max_length=4096)

    @field_validator("name", "whatsapp_token")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError("value is blank")
        return value

    @field_validator("phone_number")
    @classmethod
    def _digits(cls, value: str | None) -> str | None:
        return None if value is None else _phone_digits(value)

    @field_validator("waba_id", mode="before")
    @classmethod
    def _blank_is_null(cls, value: object) -> object:
        return _blank_to_none(value)


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


class ChannelCheckError(BaseModel):
    code: int | None
    http_status: int | None
    message: str = Field(description="What the failure means, in Portuguese.")
    meta_message: str = Field(description="Meta's own error message, in English.")


class ChannelCheck(BaseModel):
    """The outcome of calling the Graph API with a channel's token."""

    channel_id: int
    ok: bool
    display_phone_number: str | None = None
    verified_name: str | None = None
    quality_rating: str | None = None
    quality_rating_label: str | None = None
    error: ChannelCheckError | None = None


# A channel id within the range of the database column. PostgreSQL rejects a
# larger value as a query parameter, which gave a 500.
ChannelId = Annotated[int, Field(ge=1, le=MAX_DATABASE_ID)]


class UserChannelsUpdate(BaseModel):
    channel_ids: list[ChannelId] = Field(max_length=500)


class UserChannelsOut(BaseModel):
    user_id: int
    channel_ids: list[int] = Field(
        description="Channels the user is limited to; empty means no limit."
    )
    all_channels: bool = Field(
        description="True when the user sees every channel (admins, or no limit)."
    )

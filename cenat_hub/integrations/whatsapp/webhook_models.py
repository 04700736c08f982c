"""Tolerant models of Meta's webhook envelope.

Everything in a webhook body is untrusted: a field of the wrong type becomes
empty instead of raising, so one odd item never blocks the rest of a batch.
"""

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _text_or_none(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _dicts_only(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _dict_or_empty(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


LenientText = Annotated[str | None, BeforeValidator(_text_or_none)]
LenientDict = Annotated[dict[str, Any], BeforeValidator(_dict_or_empty)]
RawDicts = Annotated[list[dict[str, Any]], BeforeValidator(_dicts_only)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Metadata(_Model):
    display_phone_number: LenientText = None
    phone_number_id: LenientText = None


class WebhookContact(_Model):
    wa_id: LenientText = None
    user_id: LenientText = None
    parent_user_id: LenientText = None
    profile: LenientDict = {}

    @property
    def name(self) -> str | None:
        return _text_or_none(self.profile.get("name"))

    @property
    def username(self) -> str | None:
        return _text_or_none(self.profile.get("username"))


class ChangeValue(_Model):
    metadata: Annotated[Metadata, BeforeValidator(_dict_or_empty)] = Metadata()
    contacts: Annotated[list[WebhookContact], BeforeValidator(_dicts_only)] = []
    messages: RawDicts = []
    statuses: RawDicts = []
    errors: RawDicts = []
    message_echoes: RawDicts = []


class Change(_Model):
    field: LenientText = None
    value: LenientDict = {}

    def parsed_value(self) -> ChangeValue:
        return ChangeValue.model_validate(self.value)


class Entry(_Model):
    id: LenientText = None
    changes: Annotated[list[Change], BeforeValidator(_dicts_only)] = []


class WebhookPayload(_Model):
    object: LenientText = None
    entry: Annotated[list[Entry], BeforeValidator(_dicts_only)] = []

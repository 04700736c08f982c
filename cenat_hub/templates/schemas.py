"""JSON shapes of templates and template sends in the API."""

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator

from cenat_hub.models import MessageTemplate
from cenat_hub.templates.components import (
    BODY_ONLY_PARAMETER_MAX,
    TemplateStructure,
    understand_template,
)

MAX_VALUES = 100


class SendTemplateRequest(BaseModel):
    """A template send to a known contact (``wa_id``) or to a typed number (``phone``).

    ``values`` maps field keys (as ``GET /api/channels/{id}/templates`` lists them)
    to their values. ``parameters`` is the older form: body values in order.
    """

    wa_id: str | None = Field(default=None, min_length=1, max_length=150)
    phone: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        validation_alias=AliasChoices("phone", "to"),
    )
    name: str | None = Field(
        default=None,
        max_length=255,
        validation_alias=AliasChoices("name", "contact_name"),
    )
    channel_id: int = Field(ge=1, le=2**31 - 1)
    template_name: str = Field(
        min_length=1,
        max_length=512,
        validation_alias=AliasChoices("template_name", "template"),
    )
    language: str = Field(min_length=2, max_length=20, pattern=r"^[A-Za-z_]+$")
    # Numbers are accepted for coordinates and turned into text like the rest.
    values: dict[str, str | int | float] = Field(default_factory=dict)
    parameters: list[str] | None = Field(default=None, max_length=MAX_VALUES)
    header_media_id: str | None = Field(default=None, min_length=1, max_length=100)
    client_message_id: str | None = Field(
        default=None, min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$"
    )

    @field_validator("wa_id", "phone", "name", "template_name", "header_media_id")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL text cannot hold NUL, and no number or name needs one.
        if value is not None and "\x00" in value:
            raise ValueError("contains a NUL character; remove it")
        return value

    @field_validator("parameters")
    @classmethod
    def _no_nul_in_parameters(cls, values: list[str] | None) -> list[str] | None:
        if values is not None and any("\x00" in value for value in values):
            raise ValueError("a parameter contains a NUL character; remove it")
        return values

    @field_validator("values")
    @classmethod
    def _bounded_values(
        cls, values: dict[str, str | int | float]
    ) -> dict[str, str | int | float]:
        if len(values) > MAX_VALUES:
            raise ValueError(f"at most {MAX_VALUES} values are accepted")
        texts = {key: str(value).strip() for key, value in values.items()}
        for key, value in texts.items():
            if "\x00" in key or "\x00" in value:
                raise ValueError(f"field {key!r} contains a NUL character; remove it")
            if len(key) > 100:
                raise ValueError(
                    f"field key {key[:100]!r}... is longer than 100 characters"
                )
            if len(value) > BODY_ONLY_PARAMETER_MAX:
                raise ValueError(
                    f"value of {key!r} is longer than {BODY_ONLY_PARAMETER_MAX} characters"
                )
        return dict(texts)

    def text_values(self) -> dict[str, str]:
        return {key: str(value) for key, value in self.values.items()}

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _needs_recipient(self) -> "SendTemplateRequest":
        if not (self.wa_id or self.phone):
            raise ValueError("the recipient is missing; send wa_id or phone")
        return self


def template_to_dict(template: MessageTemplate) -> dict[str, Any]:
    """Serialise a cached template with its parts and the fields to fill."""
    structure = structure_of(template)
    return {
        "id": template.id,
        "meta_template_id": template.meta_template_id,
        "name": template.name,
        "language": template.language,
        "status": template.status,
        "category": template.category,
        "parameter_format": structure.parameter_format,
        "components": template.components,
        "header": {"format": structure.header_format, "text": structure.header_text}
        if structure.header_format
        else None,
        "body": structure.body_text,
        "footer": structure.footer_text,
        "buttons": [
            {
                "index": button.index,
                "type": button.type,
                "text": button.text,
                "url": button.url,
                "phone_number": button.phone_number,
            }
            for button in structure.buttons
        ],
        "fields": [
            {
                "key": f.key,
                "component": f.component,
                "kind": f.kind,
                "label": f.label,
                "placeholder": f.placeholder,
                "variable": f.variable,
                "button_index": f.button_index,
                "max_length": f.max_length,
                "required": f.required,
            }
            for f in structure.fields
        ],
        "supported": structure.unsupported_reason is None,
        "unsupported_reason": structure.unsupported_reason,
        "fetched_at": _iso(template.fetched_at),
    }


def structure_of(template: MessageTemplate) -> TemplateStructure:
    return understand_template(
        {
            "name": template.name,
            "language": template.language,
            "category": template.category,
            "parameter_format": template.parameter_format,
            "components": template.components,
        }
    )


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")

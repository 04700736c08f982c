"""Understand a message template and build the ``components`` of its send.

Pure functions over a template object in the shape ``GET /<WABA_ID>/message_templates``
returns: which fields an agent fills, how the filled template reads, and the
``template.components`` array of ``POST /<PHONE_NUMBER_ID>/messages``.

Field keys name where a value goes: ``header.<variable>`` and ``body.<variable>``
for text variables (``1`` or ``customer_name``), ``header.media`` (a link) and
``header.filename`` for media headers, ``header.latitude``, ``header.longitude``,
``header.name`` and ``header.address`` for a location header, and
``button.<index>`` for a button's dynamic value.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cenat_hub.i18n import N_, gettext

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")

NAMED = "NAMED"
POSITIONAL = "POSITIONAL"

# Header formats whose send parameter is a media object, and its parameter type.
MEDIA_HEADER_TYPES = {
    "IMAGE": "image",
    "VIDEO": "video",
    "DOCUMENT": "document",
    "GIF": "gif",
}
SUPPORTED_BUTTON_TYPES = frozenset({"QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE"})

# Meta's limits on send parameters. A body parameter may be 1024 characters when
# the template has other components, and 32768 when the body is alone. A header
# text is at most 60 characters with its variable filled, a coupon code at most
# 15 characters, and a URL at most 2000.
BODY_PARAMETER_MAX = 1024
BODY_ONLY_PARAMETER_MAX = 32768
HEADER_TEXT_MAX = 60
COUPON_CODE_MAX = 15
URL_MAX = 2000
# Bounds of this service, not documented by Meta.
PAYLOAD_MAX = 256
FILENAME_MAX = 240
LOCATION_TEXT_MAX = 1000
MEDIA_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")

# Meta rejects text parameters with a line break, a tab, or more than four
# consecutive spaces.
_FORBIDDEN_WHITESPACE = re.compile(r"[\n\r\t]| {5,}")

KIND_TEXT = "text"
KIND_MEDIA_LINK = "media_link"
KIND_FILENAME = "filename"
KIND_LATITUDE = "latitude"
KIND_LONGITUDE = "longitude"
KIND_LOCATION_NAME = "location_name"
KIND_LOCATION_ADDRESS = "location_address"
KIND_URL_SUFFIX = "url_suffix"
KIND_COUPON_CODE = "coupon_code"
KIND_PAYLOAD = "payload"

# What a media header holds, as the page names it.
_MEDIA_LABELS = {
    "IMAGE": N_("Image"),
    "VIDEO": N_("Video"),
    "DOCUMENT": N_("Document"),
    "GIF": "GIF",
}
# The field of a media header's link, per header type.
_MEDIA_LINK_LABELS = {
    "IMAGE": N_("Header image link"),
    "VIDEO": N_("Header video link"),
    "DOCUMENT": N_("Header document link"),
    "GIF": N_("Header GIF link"),
}


@dataclass(frozen=True)
class TemplateField:
    """One value an agent fills, with Meta's example value as its placeholder."""

    key: str
    component: str
    kind: str
    label: str
    placeholder: str | None = None
    variable: str | None = None
    button_index: int | None = None
    max_length: int | None = None
    required: bool = True


@dataclass(frozen=True)
class TemplateButton:
    index: int
    type: str
    text: str
    url: str | None = None
    phone_number: str | None = None
    example: str | None = None

    @property
    def url_variables(self) -> list[str]:
        return variables_in(self.url or "")


@dataclass(frozen=True)
class TemplateStructure:
    """A template's parts and the fields an agent fills to send it.

    ``unsupported_reason`` is set, in the current language, when the template has a part
    this service cannot send (a carousel, a product header, a flow button...).
    """

    name: str
    language: str
    category: str | None
    parameter_format: str
    header_format: str | None
    header_text: str | None
    body_text: str
    footer_text: str | None
    buttons: tuple[TemplateButton, ...]
    fields: tuple[TemplateField, ...]
    unsupported_reason: str | None = None

    @property
    def is_named(self) -> bool:
        return self.parameter_format == NAMED

    @property
    def header_variables(self) -> list[str]:
        if self.header_format != "TEXT":
            return []
        return ordered_variables(self.header_text or "", self.is_named)

    @property
    def body_variables(self) -> list[str]:
        return ordered_variables(self.body_text, self.is_named)

    def field(self, key: str) -> TemplateField | None:
        return next((f for f in self.fields if f.key == key), None)


@dataclass(frozen=True)
class FieldProblem:
    """A reason a value cannot be sent: English for the API, and for pages the
    text in the current language (Portuguese unless the user chose another)."""

    key: str
    message: str
    portuguese: str


@dataclass
class PreparedSend:
    """The ``template`` object of a send and the rendered template to store."""

    send_object: dict[str, Any]
    rendered: dict[str, Any]
    body_text: str


@dataclass
class Segment:
    """A piece of rendered text: literal, a filled variable, or an empty one."""

    text: str
    variable: str | None = None
    filled: bool = True


@dataclass
class Preview:
    """The parts of a template as a WhatsApp bubble shows them."""

    header_format: str | None
    header_segments: list[Segment]
    media_label: str | None
    media_name: str | None
    location: dict[str, str] | None
    body_segments: list[Segment]
    footer: str | None
    buttons: list[dict[str, Any]] = field(default_factory=list)


def variables_in(text: str) -> list[str]:
    """Return the distinct ``{{...}}`` variable names of a text, in order of appearance."""
    names: list[str] = []
    for match in VARIABLE.finditer(text):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


def ordered_variables(text: str, named: bool) -> list[str]:
    """Return the variables in the order their parameters are sent.

    Positional parameters go in numeric order whatever order the text uses;
    named parameters go in order of appearance.
    """
    names = variables_in(text)
    if named:
        return names
    return sorted(names, key=lambda name: int(name) if name.isdigit() else math.inf)


def understand_template(template: Mapping[str, Any]) -> TemplateStructure:
    """Read a template object into its parts and the fields an agent must fill."""
    components = _dicts(template.get("components"))
    by_type: dict[str, dict[str, Any]] = {}
    unsupported: str | None = None
    for component in components:
        kind = str(component.get("type", "")).upper()
        if kind in {"HEADER", "BODY", "FOOTER", "BUTTONS"}:
            by_type.setdefault(kind, component)
        else:
            unsupported = gettext("component {kind} is not supported").format(
                kind=kind or gettext("unknown")
            )

    header = by_type.get("HEADER")
    header_format = str(header.get("format", "TEXT")).upper() if header else None
    header_text = _text(header.get("text")) if header else None
    body_text = _text(by_type.get("BODY", {}).get("text")) or ""
    footer_text = _text(by_type.get("FOOTER", {}).get("text"))
    buttons = _read_buttons(by_type.get("BUTTONS"))
    parameter_format = _parameter_format(template, header_text, body_text)
    named = parameter_format == NAMED

    if header_format is not None and header_format not in {
        "TEXT",
        "LOCATION",
        *MEDIA_HEADER_TYPES,
    }:
        unsupported = gettext("header of type {kind} is not supported").format(
            kind=header_format
        )
    for button in buttons:
        if button.type not in SUPPORTED_BUTTON_TYPES:
            unsupported = gettext("button of type {kind} is not supported").format(
                kind=button.type
            )

    fields: list[TemplateField] = []
    if header is not None:
        fields += _header_fields(header, header_format, named)
    other_components = header is not None or footer_text is not None or bool(buttons)
    body_max = BODY_PARAMETER_MAX if other_components else BODY_ONLY_PARAMETER_MAX
    fields += _body_fields(by_type.get("BODY", {}), body_text, named, body_max)
    for button in buttons:
        fields += _button_fields(button)

    return TemplateStructure(
        name=str(template.get("name", "")),
        language=str(template.get("language", "")),
        category=_text(template.get("category")),
        parameter_format=parameter_format,
        header_format=header_format,
        header_text=header_text,
        body_text=body_text,
        footer_text=footer_text,
        buttons=tuple(buttons),
        fields=tuple(fields),
        unsupported_reason=unsupported,
    )


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _parameter_format(
    template: Mapping[str, Any], header_text: str | None, body_text: str
) -> str:
    """Return NAMED or POSITIONAL; templates listed without the field are read
    from their variables (names that are not numbers mean NAMED)."""
    declared = str(template.get("parameter_format") or "").upper()
    if declared in {NAMED, POSITIONAL}:
        return declared
    names = variables_in((header_text or "") + body_text)
    return NAMED if any(not name.isdigit() for name in names) else POSITIONAL


def _read_buttons(component: dict[str, Any] | None) -> list[TemplateButton]:
    if component is None:
        return []
    buttons = []
    for index, raw in enumerate(_dicts(component.get("buttons"))):
        example = raw.get("example")
        if isinstance(example, list):
            example = next((item for item in example if isinstance(item, str)), None)
        button_type = str(raw.get("type", "")).upper()
        default_text = gettext("Copy code") if button_type == "COPY_CODE" else ""
        buttons.append(
            TemplateButton(
                index=index,
                type=button_type,
                text=_text(raw.get("text")) or default_text,
                url=_text(raw.get("url")),
                phone_number=_text(raw.get("phone_number")),
                example=example if isinstance(example, str) else None,
            )
        )
    return buttons


def _examples(
    component: dict[str, Any], names: list[str], named: bool, prefix: str
) -> dict[str, str]:
    """Map each variable to Meta's example value for it.

    Positional examples are ``example.<prefix>_text`` (a list for headers, a
    list of lists for bodies); named ones are ``example.<prefix>_text_named_params``.
    """
    example = component.get("example")
    if not isinstance(example, dict):
        return {}
    if named:
        pairs = _dicts(example.get(f"{prefix}_text_named_params"))
        return {
            str(pair.get("param_name")): str(pair.get("example"))
            for pair in pairs
            if pair.get("example") is not None
        }
    values = example.get(f"{prefix}_text")
    if isinstance(values, list) and values and isinstance(values[0], list):
        values = values[0]
    if not isinstance(values, list):
        return {}
    found = {}
    for name in names:
        position = int(name) - 1 if name.isdigit() else -1
        if 0 <= position < len(values) and isinstance(values[position], str | int):
            found[name] = str(values[position])
    return found


def _header_fields(
    header: dict[str, Any], header_format: str | None, named: bool
) -> list[TemplateField]:
    if header_format == "TEXT":
        names = ordered_variables(_text(header.get("text")) or "", named)
        examples = _examples(header, names, named, "header")
        return [
            TemplateField(
                key=f"header.{name}",
                component="header",
                kind=KIND_TEXT,
                label=gettext("Header {variable}").format(variable=f"{{{{{name}}}}}"),
                placeholder=examples.get(name),
                variable=name,
                max_length=HEADER_TEXT_MAX,
            )
            for name in names
        ]
    if header_format in MEDIA_HEADER_TYPES:
        fields = [
            TemplateField(
                key="header.media",
                component="header",
                kind=KIND_MEDIA_LINK,
                label=gettext(_MEDIA_LINK_LABELS[header_format]),
                placeholder="https://",
                max_length=URL_MAX,
            )
        ]
        if header_format == "DOCUMENT":
            fields.append(
                TemplateField(
                    key="header.filename",
                    component="header",
                    kind=KIND_FILENAME,
                    label=gettext("File name (optional)"),
                    placeholder="material.pdf",
                    max_length=FILENAME_MAX,
                    required=False,
                )
            )
        return fields
    if header_format == "LOCATION":
        return [
            TemplateField(
                "header.latitude", "header", KIND_LATITUDE, gettext("Latitude")
            ),
            TemplateField(
                "header.longitude", "header", KIND_LONGITUDE, gettext("Longitude")
            ),
            TemplateField(
                "header.name",
                "header",
                KIND_LOCATION_NAME,
                gettext("Place name"),
                max_length=LOCATION_TEXT_MAX,
            ),
            TemplateField(
                "header.address",
                "header",
                KIND_LOCATION_ADDRESS,
                gettext("Address"),
                max_length=LOCATION_TEXT_MAX,
            ),
        ]
    return []


def _body_fields(
    body: dict[str, Any], body_text: str, named: bool, max_length: int
) -> list[TemplateField]:
    names = ordered_variables(body_text, named)
    examples = _examples(body, names, named, "body")
    return [
        TemplateField(
            key=f"body.{name}",
            component="body",
            kind=KIND_TEXT,
            label=gettext("Message {variable}").format(variable=f"{{{{{name}}}}}"),
            placeholder=examples.get(name),
            variable=name,
            max_length=max_length,
        )
        for name in names
    ]


def _button_fields(button: TemplateButton) -> list[TemplateField]:
    key = f"button.{button.index}"
    if button.type == "URL" and button.url_variables:
        return [
            TemplateField(
                key=key,
                component="button",
                kind=KIND_URL_SUFFIX,
                label=gettext("Button “{text}”: end of the link").format(
                    text=button.text
                ),
                placeholder=_url_suffix_example(button),
                button_index=button.index,
                max_length=URL_MAX,
            )
        ]
    if button.type == "COPY_CODE":
        return [
            TemplateField(
                key=key,
                component="button",
                kind=KIND_COUPON_CODE,
                label=gettext("Coupon code"),
                placeholder=button.example,
                button_index=button.index,
                max_length=COUPON_CODE_MAX,
            )
        ]
    if button.type == "QUICK_REPLY":
        return [
            TemplateField(
                key=key,
                component="button",
                kind=KIND_PAYLOAD,
                label=gettext("Button “{text}”: payload (optional)").format(
                    text=button.text
                ),
                placeholder=button.text,
                button_index=button.index,
                max_length=PAYLOAD_MAX,
                required=False,
            )
        ]
    return []


def _url_suffix_example(button: TemplateButton) -> str | None:
    """Return the part of the example URL that stands for the variable."""
    if not button.example:
        return None
    prefix = VARIABLE.split(button.url or "", maxsplit=1)[0]
    if prefix and button.example.startswith(prefix):
        return button.example[len(prefix) :]
    return button.example


def check_values(
    structure: TemplateStructure,
    values: Mapping[str, str],
    media_id: str | None = None,
) -> list[FieldProblem]:
    """Return every reason these values cannot be sent with this template."""
    problems: list[FieldProblem] = []
    known = {f.key for f in structure.fields}
    for key in values:
        if key not in known:
            problems.append(
                FieldProblem(
                    key,
                    f"Field {key} is not part of template {structure.name}.",
                    gettext("This field does not exist in the template."),
                )
            )
    for template_field in structure.fields:
        problem = _check_field(structure, template_field, values, media_id)
        if problem is not None:
            problems.append(problem)
    if media_id is not None:
        problems += _check_media_id(structure, values, media_id)
    header_problem = _check_rendered_header(structure, values)
    if header_problem is not None:
        problems.append(header_problem)
    return problems


def _problem(key: str, english: str, portuguese: str) -> FieldProblem:
    return FieldProblem(key, f"Field {key} {english}", portuguese)


def _check_field(
    structure: TemplateStructure,
    template_field: TemplateField,
    values: Mapping[str, str],
    media_id: str | None,
) -> FieldProblem | None:
    key = template_field.key
    value = values.get(key, "")
    if not value.strip():
        if template_field.kind == KIND_MEDIA_LINK and media_id:
            return None
        if template_field.required:
            return _problem(key, "is required.", "Preencha este campo.")
        return None
    if template_field.max_length and len(value) > template_field.max_length:
        return _problem(
            key,
            f"is longer than {template_field.max_length} characters.",
            f"Use no máximo {template_field.max_length} caracteres.",
        )
    checker = _CHECKERS.get(template_field.kind)
    return checker(structure, template_field, value) if checker else None


def _check_text(
    _structure: TemplateStructure, template_field: TemplateField, value: str
) -> FieldProblem | None:
    if _FORBIDDEN_WHITESPACE.search(value):
        return _problem(
            template_field.key,
            "contains a line break, a tab or more than 4 consecutive spaces, "
            "which Meta rejects in template parameters.",
            gettext(
                "No line breaks, tabs or more than 4 spaces in a row: "
                "WhatsApp rejects such variables."
            ),
        )
    return None


def _check_link(
    _structure: TemplateStructure, template_field: TemplateField, value: str
) -> FieldProblem | None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value:
        return _problem(
            template_field.key,
            "must be an http or https URL.",
            gettext("Enter a link that starts with https://."),
        )
    return None


def _check_single_line(
    _structure: TemplateStructure, template_field: TemplateField, value: str
) -> FieldProblem | None:
    if any(character in value for character in "\n\r\t"):
        return _problem(
            template_field.key,
            "must be a single line.",
            gettext("Use a single line."),
        )
    return None


def _check_coordinate(
    _structure: TemplateStructure, template_field: TemplateField, value: str
) -> FieldProblem | None:
    bound = 90.0 if template_field.kind == KIND_LATITUDE else 180.0
    number = _float_or_none(value)
    if number is None or not -bound <= number <= bound:
        return _problem(
            template_field.key,
            f"must be a number from -{bound:g} to {bound:g}.",
            gettext("Enter a number from -{bound} to {bound} (e.g. -23.5505).").format(
                bound=f"{bound:g}"
            ),
        )
    return None


def _check_url_suffix(
    structure: TemplateStructure, template_field: TemplateField, value: str
) -> FieldProblem | None:
    if any(character.isspace() for character in value):
        return _problem(
            template_field.key,
            "must not contain spaces.",
            gettext("The end of the link cannot have spaces."),
        )
    button = structure.buttons[template_field.button_index or 0]
    if len(_fill(button.url or "", {}, value)) > URL_MAX:
        return _problem(
            template_field.key,
            f"makes the button URL longer than {URL_MAX} characters.",
            gettext("The button link would be longer than {limit} characters.").format(
                limit=URL_MAX
            ),
        )
    return None


def _check_code(
    _structure: TemplateStructure, template_field: TemplateField, value: str
) -> FieldProblem | None:
    if any(character.isspace() for character in value):
        return _problem(
            template_field.key,
            "must not contain spaces.",
            gettext("Do not use spaces in this field."),
        )
    return None


_CHECKERS = {
    KIND_TEXT: _check_text,
    KIND_MEDIA_LINK: _check_link,
    KIND_FILENAME: _check_single_line,
    KIND_LATITUDE: _check_coordinate,
    KIND_LONGITUDE: _check_coordinate,
    KIND_LOCATION_NAME: _check_single_line,
    KIND_LOCATION_ADDRESS: _check_single_line,
    KIND_URL_SUFFIX: _check_url_suffix,
    KIND_COUPON_CODE: _check_code,
    KIND_PAYLOAD: _check_single_line,
}


def _check_media_id(
    structure: TemplateStructure, values: Mapping[str, str], media_id: str
) -> list[FieldProblem]:
    key = "header.media"
    if structure.header_format not in MEDIA_HEADER_TYPES:
        return [
            _problem(
                key,
                "takes no media: the template has no image, video or document header.",
                gettext("This template has no media in its header."),
            )
        ]
    if values.get(key):
        return [
            _problem(
                key,
                "has both a link and an uploaded media id; send one of them.",
                gettext("Use the link or the uploaded file, not both."),
            )
        ]
    if not MEDIA_ID_PATTERN.match(media_id):
        return [
            _problem(
                key, "has an invalid media id.", gettext("Invalid media identifier.")
            )
        ]
    return []


def _check_rendered_header(
    structure: TemplateStructure, values: Mapping[str, str]
) -> FieldProblem | None:
    if not structure.header_variables or not structure.header_text:
        return None
    filled = _fill(structure.header_text, _values_for(values, "header"))
    if len(filled) <= HEADER_TEXT_MAX:
        return None
    key = f"header.{structure.header_variables[0]}"
    return _problem(
        key,
        f"makes the header longer than {HEADER_TEXT_MAX} characters.",
        gettext("The filled header would be longer than {limit} characters.").format(
            limit=HEADER_TEXT_MAX
        ),
    )


def _float_or_none(value: str) -> float | None:
    try:
        number = float(value.replace(",", ".") if value.count(",") == 1 else value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _values_for(values: Mapping[str, str], component: str) -> dict[str, str]:
    prefix = component + "."
    return {
        key.removeprefix(prefix): value
        for key, value in values.items()
        if key.startswith(prefix) and value
    }


def _fill(text: str, values: Mapping[str, str], only_value: str | None = None) -> str:
    """Replace each ``{{name}}`` with its value; unknown names stay as they are.

    ``only_value`` fills every variable, for URLs whose one variable is the suffix.
    """

    def replace(match: re.Match[str]) -> str:
        if only_value is not None:
            return only_value
        return values.get(match.group(1), match.group(0))

    return VARIABLE.sub(replace, text)


def build_components(
    structure: TemplateStructure,
    values: Mapping[str, str],
    media_id: str | None = None,
) -> list[dict[str, Any]]:
    """Build the ``components`` of a send; the values must have passed ``check_values``."""
    components: list[dict[str, Any]] = []
    header = _header_component(structure, values, media_id)
    if header is not None:
        components.append(header)
    body = _values_for(values, "body")
    if structure.body_variables:
        parameters = [
            _text_parameter(name, body[name], structure.is_named)
            for name in structure.body_variables
        ]
        components.append({"type": "body", "parameters": parameters})
    for button in structure.buttons:
        component = _button_component(button, values.get(f"button.{button.index}"))
        if component is not None:
            components.append(component)
    return components


def _text_parameter(name: str, value: str, named: bool) -> dict[str, Any]:
    parameter: dict[str, Any] = {"type": "text", "text": value}
    if named:
        parameter["parameter_name"] = name
    return parameter


def _header_component(
    structure: TemplateStructure, values: Mapping[str, str], media_id: str | None
) -> dict[str, Any] | None:
    header_format = structure.header_format
    if header_format == "TEXT" and structure.header_variables:
        header = _values_for(values, "header")
        parameters = [
            _text_parameter(name, header[name], structure.is_named)
            for name in structure.header_variables
        ]
        return {"type": "header", "parameters": parameters}
    if header_format in MEDIA_HEADER_TYPES:
        media_type = MEDIA_HEADER_TYPES[header_format]
        media: dict[str, Any] = (
            {"id": media_id} if media_id else {"link": values["header.media"]}
        )
        if header_format == "DOCUMENT" and values.get("header.filename"):
            media["filename"] = values["header.filename"]
        return {
            "type": "header",
            "parameters": [{"type": media_type, media_type: media}],
        }
    if header_format == "LOCATION":
        location = {
            "latitude": _float_or_none(values["header.latitude"]),
            "longitude": _float_or_none(values["header.longitude"]),
            "name": values["header.name"],
            "address": values["header.address"],
        }
        return {
            "type": "header",
            "parameters": [{"type": "location", "location": location}],
        }
    return None


def _button_component(
    button: TemplateButton, value: str | None
) -> dict[str, Any] | None:
    if button.type == "URL" and button.url_variables:
        sub_type, parameter = "url", {"type": "text", "text": value}
    elif button.type == "COPY_CODE":
        sub_type, parameter = "copy_code", {"type": "coupon_code", "coupon_code": value}
    elif button.type == "QUICK_REPLY" and value:
        sub_type, parameter = "quick_reply", {"type": "payload", "payload": value}
    else:
        return None
    return {
        "type": "button",
        "sub_type": sub_type,
        "index": button.index,
        "parameters": [parameter],
    }


def prepare_send(
    structure: TemplateStructure,
    values: Mapping[str, str],
    media_id: str | None = None,
) -> PreparedSend:
    """Build the ``template`` object of a send and the rendered copy to store.

    The values must have passed ``check_values``.
    """
    components = build_components(structure, values, media_id)
    send_object = {
        "name": structure.name,
        "language": {"code": structure.language, "policy": "deterministic"},
        "components": components,
    }
    body_text = _fill(structure.body_text, _values_for(values, "body"))
    rendered = {
        "name": structure.name,
        "language": structure.language,
        "category": structure.category,
        "parameter_format": structure.parameter_format,
        "components": components,
        "header": _rendered_header(structure, values, media_id),
        "body": body_text,
        "footer": structure.footer_text,
        "buttons": [_rendered_button(b, values) for b in structure.buttons],
    }
    return PreparedSend(send_object, rendered, body_text)


def _rendered_header(
    structure: TemplateStructure, values: Mapping[str, str], media_id: str | None
) -> dict[str, Any] | None:
    header_format = structure.header_format
    if header_format is None:
        return None
    header: dict[str, Any] = {"format": header_format}
    if header_format == "TEXT":
        header["text"] = _fill(
            structure.header_text or "", _values_for(values, "header")
        )
    elif header_format in MEDIA_HEADER_TYPES:
        header["media"] = {
            "link": values.get("header.media") or None,
            "id": media_id,
            "filename": values.get("header.filename") or None,
        }
    elif header_format == "LOCATION":
        header["location"] = {
            "latitude": _float_or_none(values.get("header.latitude", "")),
            "longitude": _float_or_none(values.get("header.longitude", "")),
            "name": values.get("header.name"),
            "address": values.get("header.address"),
        }
    return header


def _rendered_button(
    button: TemplateButton, values: Mapping[str, str]
) -> dict[str, Any]:
    value = values.get(f"button.{button.index}") or None
    rendered: dict[str, Any] = {"type": button.type, "text": button.text}
    if button.url:
        rendered["url"] = _fill(button.url, {}, value) if value else button.url
    if button.phone_number:
        rendered["phone_number"] = button.phone_number
    if button.type == "COPY_CODE":
        rendered["coupon_code"] = value
    if button.type == "QUICK_REPLY" and value:
        rendered["payload"] = value
    return rendered


def build_preview(structure: TemplateStructure, values: Mapping[str, str]) -> Preview:
    """Render a template for a live preview, marking variables still empty."""
    header_values = _values_for(values, "header")
    media_label = None
    media_name = None
    location = None
    if structure.header_format in MEDIA_HEADER_TYPES:
        media_label = gettext(_MEDIA_LABELS[structure.header_format])
        link = values.get("header.media", "")
        media_name = values.get("header.filename") or _last_path_part(link)
    elif structure.header_format == "LOCATION":
        location = {
            "name": values.get("header.name", ""),
            "address": values.get("header.address", ""),
        }
    header_segments = []
    if structure.header_format == "TEXT" and structure.header_text:
        header_segments = segments(structure.header_text, header_values)
    return Preview(
        header_format=structure.header_format,
        header_segments=header_segments,
        media_label=media_label,
        media_name=media_name,
        location=location,
        body_segments=segments(structure.body_text, _values_for(values, "body")),
        footer=structure.footer_text,
        buttons=[_rendered_button(b, values) for b in structure.buttons],
    )


def _last_path_part(link: str) -> str | None:
    path = urlsplit(link).path if link else ""
    name = path.rsplit("/", 1)[-1]
    return name or None


def segments(text: str, values: Mapping[str, str]) -> list[Segment]:
    """Split a text into literal pieces and variables, filled or still empty."""
    pieces: list[Segment] = []
    position = 0
    for match in VARIABLE.finditer(text):
        if match.start() > position:
            pieces.append(Segment(text[position : match.start()]))
        name = match.group(1)
        value = values.get(name)
        if value:
            pieces.append(Segment(value, variable=name))
        else:
            pieces.append(Segment(match.group(0), variable=name, filled=False))
        position = match.end()
    if position < len(text):
        pieces.append(Segment(text[position:]))
    return pieces

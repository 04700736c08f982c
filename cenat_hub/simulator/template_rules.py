"""Checks a template send against the stored template, with Meta's error codes.

132001 means missing or not sendable, 132015 paused, 132016 disabled, and 132000
parameters that do not fit the template's components. Code 100 rejects a text
parameter with a line break, a tab or more than four consecutive spaces, and a
media header naming an unknown media id."""

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeGuard

from cenat_hub.simulator.errors import (
    GraphError,
    invalid_parameter,
    parameter_count_mismatch,
)

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_FORBIDDEN_WHITESPACE = re.compile(r"[\n\r\t]| {5,}")
_TEXT_PARAMETER_TYPES = {"text", "currency", "date_time"}
_MEDIA_HEADER_FORMATS = {"IMAGE", "VIDEO", "DOCUMENT", "GIF"}
_BUTTON_SUB_TYPES = {
    "QUICK_REPLY": "quick_reply",
    "URL": "url",
    "COPY_CODE": "copy_code",
    "FLOW": "flow",
    "CATALOG": "catalog",
    "MPM": "mpm",
}
_BUTTON_PARAMETER_TYPES = {
    "quick_reply": "payload",
    "url": "text",
    "copy_code": "coupon_code",
    "flow": "action",
    "catalog": "action",
    "mpm": "action",
}


def find_sendable_template(
    templates: Iterable[dict[str, Any]], name: str, language_code: str
) -> dict[str, Any]:
    """Return the APPROVED template with exactly this name and language code."""
    template = next(
        (t for t in templates if t["name"] == name and t["language"] == language_code),
        None,
    )
    if template is None:
        raise _not_sendable(f"template name ({name}) does not exist in {language_code}")

    status = template.get("status")
    if status == "APPROVED":
        return template
    if status == "PAUSED":
        raise GraphError(
            http_status=400,
            code=132015,
            title="Template is Paused",
            details=f"Template {name} ({language_code}) is paused because of low quality.",
        )
    if status == "DISABLED":
        raise GraphError(
            http_status=400,
            code=132016,
            title="Template is disabled",
            details=f"Template {name} ({language_code}) is disabled for low quality.",
        )
    raise _not_sendable(f"template {name} ({language_code}) has status {status}")


def _not_sendable(details: str) -> GraphError:
    return GraphError(
        http_status=400,
        code=132001,
        title="Template name does not exist in the translation",
        details=details,
    )


def template_variables(text: str) -> list[str]:
    """Return the distinct ``{{...}}`` variable names of a template text, in order."""
    names: list[str] = []
    for match in _VARIABLE.finditer(text):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


def check_template_parameters(
    template: dict[str, Any],
    sent: dict[str, Any],
    media_exists: Callable[[str], bool] = lambda _media_id: True,
) -> None:
    """Raise 132000 unless the send's components give every variable of the
    template, in the template's parameter format.

    ``media_exists`` returns whether an uploaded media id is known, so a media
    header naming an unknown id is rejected as a media message would be.
    """
    header_params, body_params, button_components = _split_components(
        sent.get("components", [])
    )
    named = template.get("parameter_format") == "NAMED"
    by_type = {component["type"]: component for component in template["components"]}

    _check_header(by_type.get("HEADER"), header_params, named, media_exists)
    body_text = by_type.get("BODY", {}).get("text", "")
    _check_text_parameters("body", template_variables(body_text), body_params, named)
    buttons = by_type.get("BUTTONS", {}).get("buttons", [])
    _check_buttons(buttons, button_components)


def _split_components(
    components: Any,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    if not isinstance(components, list):
        raise invalid_parameter("Param template['components'] must be an array.")

    header: list[dict[str, Any]] = []
    body: list[dict[str, Any]] = []
    buttons: list[dict[str, Any]] = []
    for position, component in enumerate(components):
        kind = component.get("type") if isinstance(component, dict) else None
        parameters = (
            component.get("parameters", []) if isinstance(component, dict) else None
        )
        if not isinstance(kind, str) or not _is_list_of_objects(parameters):
            raise invalid_parameter(
                f"Param template['components'][{position}] needs a type and a "
                "parameters array of objects."
            )
        if kind.lower() == "header":
            header += parameters
        elif kind.lower() == "body":
            body += parameters
        elif kind.lower() == "button":
            buttons.append(component)
        else:
            raise invalid_parameter(f"Unknown template component type '{kind}'.")
    return header, body, buttons


def _is_list_of_objects(value: Any) -> TypeGuard[list[dict[str, Any]]]:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _check_header(
    header: dict[str, Any] | None,
    parameters: list[dict[str, Any]],
    named: bool,
    media_exists: Callable[[str], bool],
) -> None:
    header_format = header.get("format", "TEXT") if header else None
    if header is None or header_format == "TEXT":
        expected = template_variables(header["text"]) if header else []
        _check_text_parameters("header", expected, parameters, named)
        return

    if len(parameters) != 1:
        raise _count_mismatch("header", len(parameters), 1)
    parameter = parameters[0]
    if header_format in _MEDIA_HEADER_FORMATS:
        _check_media_parameter(header_format.lower(), parameter, media_exists)
    elif header_format == "LOCATION":
        _check_location_parameter(parameter)


def _check_media_parameter(
    media_type: str, parameter: dict[str, Any], media_exists: Callable[[str], bool]
) -> None:
    if parameter.get("type") != media_type:
        raise parameter_count_mismatch(
            f"header: expected a {media_type} parameter, received "
            f"'{parameter.get('type')}'"
        )
    media = parameter.get(media_type)
    sources = [
        key for key in ("id", "link") if isinstance(media, dict) and media.get(key)
    ]
    if len(sources) != 1:
        raise invalid_parameter(
            f"header: the {media_type} parameter needs exactly one of id or link."
        )
    assert isinstance(media, dict)
    media_id = media.get("id")
    if media_id is not None and not media_exists(str(media_id)):
        raise invalid_parameter(f"Media {media_id} not found; upload it first.")


def _check_location_parameter(parameter: dict[str, Any]) -> None:
    if parameter.get("type") != "location":
        raise parameter_count_mismatch(
            f"header: expected a location parameter, received '{parameter.get('type')}'"
        )
    location = parameter.get("location")
    required = ("latitude", "longitude", "name", "address")
    if not isinstance(location, dict) or any(key not in location for key in required):
        raise invalid_parameter(
            "header: the location parameter needs latitude, longitude, name and address."
        )


def _check_text_parameters(
    component: str,
    expected: list[str],
    parameters: list[dict[str, Any]],
    named: bool,
) -> None:
    if len(parameters) != len(expected):
        raise _count_mismatch(component, len(parameters), len(expected))

    for position, parameter in enumerate(parameters):
        kind = parameter.get("type")
        if kind not in _TEXT_PARAMETER_TYPES:
            raise parameter_count_mismatch(
                f"{component}: parameter {position} has type '{kind}', expected one "
                f"of {sorted(_TEXT_PARAMETER_TYPES)}"
            )
        text = str(parameter.get("text") or "")
        if kind == "text" and not text.strip():
            raise invalid_parameter(
                f"{component}: text of parameter {position} is empty."
            )
        if kind == "text" and _FORBIDDEN_WHITESPACE.search(text):
            raise invalid_parameter(
                "Param text cannot have new-line/tab characters or more than 4 "
                "consecutive spaces"
            )

    names = [parameter.get("parameter_name") for parameter in parameters]
    if not named and any(name is not None for name in names):
        raise parameter_count_mismatch(
            f"{component}: parameter_name is only allowed in templates whose "
            "parameter_format is NAMED"
        )
    if named and sorted(str(name) for name in names) != sorted(expected):
        raise parameter_count_mismatch(
            f"{component}: parameter names {names} do not match the template's "
            f"named params {expected}"
        )


def _count_mismatch(component: str, received: int, expected: int) -> GraphError:
    return parameter_count_mismatch(
        f"{component}: number of localizable_params ({received}) does not match the "
        f"expected number of params ({expected})"
    )


def _check_buttons(
    buttons: list[dict[str, Any]], components: list[dict[str, Any]]
) -> None:
    components_by_index: dict[int, dict[str, Any]] = {}
    for component in components:
        index = _button_index(component, len(buttons))
        if index in components_by_index:
            raise parameter_count_mismatch(f"button: index {index} is given twice")
        _check_button(index, buttons[index], component)
        components_by_index[index] = component

    for index, button in enumerate(buttons):
        if index not in components_by_index and _button_needs_parameter(button):
            raise parameter_count_mismatch(
                f"button: {button['type']} button at index {index} expects 1 "
                "parameter, received 0"
            )


def _button_index(component: dict[str, Any], button_count: int) -> int:
    raw_index = component.get("index")
    if isinstance(raw_index, str) and raw_index.isdigit():
        raw_index = int(raw_index)
    if not isinstance(raw_index, int) or isinstance(raw_index, bool):
        raise parameter_count_mismatch("button: each button component needs an index")
    if not 0 <= raw_index < button_count:
        raise parameter_count_mismatch(
            f"button: the template has no button at index {raw_index}"
        )
    return raw_index


def _button_needs_parameter(button: dict[str, Any]) -> bool:
    if button["type"] == "URL":
        return bool(template_variables(str(button.get("url", ""))))
    return bool(button["type"] == "COPY_CODE")


def _check_button(
    index: int, button: dict[str, Any], component: dict[str, Any]
) -> None:
    expected_sub_type = _BUTTON_SUB_TYPES.get(button["type"])
    sub_type = str(component.get("sub_type", "")).lower()
    if expected_sub_type is None or sub_type != expected_sub_type:
        raise parameter_count_mismatch(
            f"button: sub_type '{sub_type}' does not match the {button['type']} "
            f"button at index {index}"
        )

    parameters = component["parameters"]
    if button["type"] == "URL" and not _button_needs_parameter(button):
        raise _count_mismatch(f"button {index}", len(parameters), 0)
    if len(parameters) != 1:
        raise _count_mismatch(f"button {index}", len(parameters), 1)

    expected_type = _BUTTON_PARAMETER_TYPES[sub_type]
    if parameters[0].get("type") != expected_type:
        raise parameter_count_mismatch(
            f"button {index}: expected a {expected_type} parameter, received "
            f"'{parameters[0].get('type')}'"
        )

"""``GET /<WABA_ID>/message_templates``: filters and cursor paging in Graph API
form."""

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from cenat_hub.simulator.errors import invalid_parameter

DEFAULT_PAGE_LIMIT = 25
MAX_PAGE_LIMIT = 1000


def list_templates(
    templates: list[dict[str, Any]], query: Mapping[str, str], page_url: str
) -> dict[str, Any]:
    """Return one page of ``templates`` after applying the ``status``, ``category``,
    ``language`` and ``name`` filters of ``query``.

    Cursors are the base64 of a template id, so ``after`` and ``before`` point at a
    template rather than at a position. ``paging.next`` and ``paging.previous`` are
    ``page_url`` (the request URL without its query) plus the same query with a new
    cursor, and are left out on the last and the first page.
    """
    limit = _parse_limit(query.get("limit"))
    matching = [template for template in templates if _matches(template, query)]
    start, end = _page_bounds(matching, query, limit)
    page = matching[start:end]

    fields = _parse_fields(query.get("fields"))
    body: dict[str, Any] = {"data": [_render(template, fields) for template in page]}
    if not page:
        body["paging"] = {"cursors": {}}
        return body

    cursors = {"before": _cursor(page[0]), "after": _cursor(page[-1])}
    paging: dict[str, Any] = {"cursors": cursors}
    if end < len(matching):
        paging["next"] = _page_link(page_url, query, "after", cursors["after"])
    if start > 0:
        paging["previous"] = _page_link(page_url, query, "before", cursors["before"])
    body["paging"] = paging
    return body


def _parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_LIMIT:
        raise invalid_parameter(
            f"Param limit must be an integer from 1 to {MAX_PAGE_LIMIT} - got '{raw}'."
        )
    return int(raw)


def _parse_fields(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    return ["id", *[name for name in names if name != "id"]]


def _matches(template: dict[str, Any], query: Mapping[str, str]) -> bool:
    """Apply the filters. ``status`` and ``category`` take comma-separated values.

    NOTE: ``name`` matches any template whose name contains the value, ignoring
    case; whether Meta matches a substring or the whole name was not checked.
    """
    for key in ("status", "category"):
        accepted_values = query.get(key)
        if accepted_values and template.get(key) not in accepted_values.upper().split(
            ","
        ):
            return False
    language = query.get("language")
    if language and template.get("language") != language:
        return False
    name = query.get("name")
    return not name or name.lower() in template["name"].lower()


def _page_bounds(
    templates: list[dict[str, Any]], query: Mapping[str, str], limit: int
) -> tuple[int, int]:
    after = query.get("after")
    before = query.get("before")
    if after:
        start = _position_of_cursor(templates, after) + 1
        return start, start + limit
    if before:
        end = _position_of_cursor(templates, before)
        return max(0, end - limit), end
    return 0, limit


def _position_of_cursor(templates: list[dict[str, Any]], cursor: str) -> int:
    try:
        template_id = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_parameter(f"Invalid paging cursor '{cursor}'.") from None
    for position, template in enumerate(templates):
        if template["id"] == template_id:
            return position
    raise invalid_parameter(f"Invalid paging cursor '{cursor}'.")


def _cursor(template: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(template["id"].encode("ascii")).decode("ascii")


def _page_link(page_url: str, query: Mapping[str, str], key: str, cursor: str) -> str:
    params = {
        name: value for name, value in query.items() if name not in {"after", "before"}
    }
    params[key] = cursor
    return f"{page_url}?{urlencode(params)}"


def _render(template: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    public = {key: value for key, value in template.items() if key != "waba_id"}
    if fields is None:
        return public
    return {key: public[key] for key in fields if key in public}

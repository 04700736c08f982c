"""Make a parsed webhook document safe to store on SQLite and PostgreSQL.

Valid JSON can still carry values neither database accepts: NUL characters
(PostgreSQL text), lone UTF-16 surrogates such as ``"\\ud83d"`` (UTF-8
encoding fails), and non-finite numbers such as ``1e999`` (PostgreSQL JSON).
One such value must not lose the rest of a batch, so each is replaced.
"""

import math
import re
from typing import Any

REPLACEMENT_CHARACTER = "\ufffd"
_UNSAFE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Replace NUL characters and lone surrogates with U+FFFD."""
    if _UNSAFE_CHARACTERS.search(value) is None:
        return value
    return _UNSAFE_CHARACTERS.sub(REPLACEMENT_CHARACTER, value)


def _clean_scalar(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def clean_document(document: Any) -> Any:
    """Return a copy of a JSON document with every unsafe scalar replaced.

    The walk uses an explicit stack, so documents nested as deep as the JSON
    parser allows do not exhaust Python's recursion limit here.
    """
    if not isinstance(document, dict | list):
        return _clean_scalar(document)
    root: Any = {} if isinstance(document, dict) else []
    stack: list[tuple[Any, Any]] = [(document, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if isinstance(value, dict | list):
                child: Any = {} if isinstance(value, dict) else []
                stack.append((value, child))
            else:
                child = _clean_scalar(value)
            if isinstance(target, dict):
                target[clean_text(key)] = child
            else:
                target.append(child)
    return root

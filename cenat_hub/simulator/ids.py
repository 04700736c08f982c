"""Random identifiers shaped like Meta's: wamids, numeric object ids, trace ids."""

import base64
import secrets


def new_wamid() -> str:
    """Return a message id like ``wamid.HBgN...``: the prefix and base64 text, as
    Meta's ids look, but with random content."""
    raw = secrets.token_bytes(36)
    return "wamid." + base64.b64encode(raw).decode("ascii").rstrip("=")


def new_numeric_id(digits: int = 16) -> str:
    """Return a random decimal id of ``digits`` digits with no leading zero."""
    first = str(secrets.randbelow(9) + 1)
    rest = "".join(str(secrets.randbelow(10)) for _ in range(digits - 1))
    return first + rest


def new_fbtrace_id() -> str:
    return "A" + secrets.token_urlsafe(16)


def new_conversation_id() -> str:
    return secrets.token_hex(16)

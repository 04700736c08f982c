"""Webhook signing as Meta does it: HMAC-SHA256 over the exact body bytes."""

import hashlib
import hmac
import json
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def encode_body(payload: Any) -> bytes:
    """Serialise a webhook payload the way Meta sends it.

    Meta writes every non-ASCII character as a ``\\uXXXX`` escape (emoji as
    surrogate pairs), and signs those bytes.
    """
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def sign(body: bytes, app_secret: str) -> str:
    """Return the ``X-Hub-Signature-256`` header value for ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def is_valid_signature(body: bytes, header_value: str | None, app_secret: str) -> bool:
    """Check a received signature header against the raw body in constant time."""
    if not header_value or not header_value.startswith(_PREFIX):
        return False
    presented = header_value.strip().encode("utf-8", "replace")
    return hmac.compare_digest(sign(body, app_secret).encode(), presented)

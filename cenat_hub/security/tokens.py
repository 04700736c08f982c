"""Signed access tokens (JWT, HS256)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

ALGORITHM = "HS256"


def create_access_token(
    user_id: int, token_version: int, secret: str, expires_in: timedelta
) -> tuple[str, datetime]:
    expires_at = datetime.now(UTC) + expires_in
    claims = {"sub": str(user_id), "ver": token_version, "exp": expires_at}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires_at


def decode_access_token(token: str, secret: str) -> dict[str, Any] | None:
    """Return the claims of a valid, unexpired token, else None."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError:
        return None
    subject = str(claims.get("sub", ""))
    if not (
        subject.isascii() and subject.isdigit() and len(subject) <= 9
    ) or not isinstance(claims.get("ver"), int):
        return None
    return claims

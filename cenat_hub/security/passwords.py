"""Password hashing: argon2id for new hashes, bcrypt still accepted."""

import hashlib
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

_password_hash = PasswordHash((Argon2Hasher(), BcryptHasher()))

# bcrypt only reads 72 bytes and bcrypt 5 raises on longer input.
_BCRYPT_MAX_BYTES = 72


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, stored_hash: str) -> tuple[bool, str | None]:
    """Check a password; return (valid, new hash when the stored one is outdated)."""
    if stored_hash.startswith("$2") and len(password.encode()) > _BCRYPT_MAX_BYTES:
        # The original service hashed with bcrypt, which silently used only the
        # first 72 bytes; compare the same prefix.
        password = password.encode()[:_BCRYPT_MAX_BYTES].decode("utf-8", "ignore")
    try:
        return _password_hash.verify_and_update(password, stored_hash)
    except ValueError:
        return False, None


@cache
def _dummy_hash() -> str:
    return _password_hash.hash(hashlib.sha256(b"cenat-hub").hexdigest())


def dummy_verify() -> None:
    """Spend the time of one verification, so unknown emails take as long."""
    _password_hash.verify("not-the-password", _dummy_hash())

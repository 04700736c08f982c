"""Password hashing: argon2id for new hashes, bcrypt hashes of the original accepted.

Passwords are normalised to Unicode NFKC before hashing, so the same password
typed on keyboards that compose accents differently still matches.
Hashing takes tens of milliseconds of CPU; async callers run it in a thread.
"""

import hashlib
import unicodedata
from functools import cache

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

_argon2 = PasswordHash((Argon2Hasher(),))
_bcrypt = BcryptHasher()

# bcrypt reads at most 72 bytes. bcrypt before 4.1 silently ignored the rest,
# which is how the original service hashed; bcrypt 5 raises on longer input.
BCRYPT_MAX_BYTES = 72


def _normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _argon2.hash(_normalize(password))


def is_legacy_hash(stored_hash: str) -> bool:
    return BcryptHasher.identify(stored_hash)


def verify_password(password: str, stored_hash: str) -> tuple[bool, str | None]:
    """Check a password; return (valid, new hash when the stored one is outdated).

    A bcrypt hash from the original service is checked against the first 72
    bytes of the password as typed, exactly the input bcrypt hashed then. When
    it matches, the new hash is argon2id of the whole password, so a password
    longer than 72 bytes keeps working after the upgrade. A hash in no known
    format never matches.
    """
    try:
        if is_legacy_hash(stored_hash):
            legacy_input = password.encode()[:BCRYPT_MAX_BYTES]
            if not _bcrypt.verify(legacy_input, stored_hash):
                return False, None
            return True, hash_password(password)
        return _argon2.verify_and_update(_normalize(password), stored_hash)
    except PwdlibError:
        return False, None


@cache
def _dummy_hash() -> str:
    return _argon2.hash(hashlib.sha256(b"cenat-hub").hexdigest())


def dummy_verify() -> None:
    """Spend the time of one verification, so unknown emails take as long."""
    _argon2.verify("not-the-password", _dummy_hash())

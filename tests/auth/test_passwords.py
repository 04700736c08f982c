import unicodedata

import bcrypt
import pytest

from cenat_hub.security.passwords import hash_password, verify_password

LONG_PASSWORD = "correct horse battery staple " * 40  # 1160 characters
NON_ASCII_PASSWORDS = [
    "pão de queijo & açaí",
    "ÇÃÕÉ maçã ÿ",
    "密码测试一二三",
    "🔑🔒 senha com emoji",
]


def _legacy_hash(password: str) -> str:
    """Hash like the original service: bcrypt over at most 72 bytes."""
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()


def test_new_hash_is_argon2id() -> None:
    assert hash_password("senha-de-teste").startswith("$argon2id$")


def test_verify_accepts_right_and_rejects_wrong() -> None:
    stored = hash_password("senha-de-teste")
    assert verify_password("senha-de-teste", stored) == (True, None)
    assert verify_password("senha-de-testE", stored) == (False, None)


@pytest.mark.parametrize("password", NON_ASCII_PASSWORDS)
def test_non_ascii_password_round_trip(password: str) -> None:
    stored = hash_password(password)
    assert verify_password(password, stored)[0] is True
    assert verify_password(password + "x", stored)[0] is False


def test_composed_and_decomposed_accents_match() -> None:
    composed = unicodedata.normalize("NFC", "coração")
    decomposed = unicodedata.normalize("NFD", "coração")
    assert composed != decomposed
    assert verify_password(decomposed, hash_password(composed))[0] is True


def test_long_password_uses_every_character() -> None:
    stored = hash_password(LONG_PASSWORD)
    assert verify_password(LONG_PASSWORD, stored)[0] is True
    assert verify_password(LONG_PASSWORD[:-1] + "X", stored)[0] is False
    assert verify_password(LONG_PASSWORD[:72], stored)[0] is False


def test_legacy_bcrypt_verifies_and_returns_argon2id() -> None:
    stored = _legacy_hash("senha-antiga-123")
    valid, new_hash = verify_password("senha-antiga-123", stored)
    assert valid is True
    assert new_hash is not None
    assert new_hash.startswith("$argon2id$")
    assert verify_password("senha-antiga-123", new_hash) == (True, None)


def test_legacy_bcrypt_wrong_password() -> None:
    stored = _legacy_hash("senha-antiga-123")
    assert verify_password("senha-antiga-124", stored) == (False, None)


def test_legacy_long_password_keeps_working_after_upgrade() -> None:
    """bcrypt saw only 72 bytes; the upgraded hash must cover the whole password."""
    password = "á" * 50 + "fim"  # 103 bytes; byte 72 falls inside an "á"
    stored = _legacy_hash(password)
    valid, new_hash = verify_password(password, stored)
    assert valid is True
    assert new_hash is not None
    assert verify_password(password, new_hash) == (True, None)
    assert verify_password("á" * 50 + "FIM", new_hash)[0] is False


@pytest.mark.parametrize("stored", ["", "!", "plain-text", "$2b$12$short"])
def test_unknown_hash_format_never_matches(stored: str) -> None:
    assert verify_password("anything", stored) == (False, None)

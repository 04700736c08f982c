"""Brazilian phone numbers and the ninth digit.

Brazilian mobiles gained a leading 9 (``55`` + two-digit area code + ``9`` +
eight digits), but many WhatsApp accounts still carry the older 12-digit form.
Both forms are one person. Eight-digit local numbers starting with 2 to 5 are
landlines, which never had a ninth digit added.
"""

import re

BRAZIL_COUNTRY_CODE = "55"
_NON_DIGITS = re.compile(r"[^0-9]")
_LANDLINE_FIRST_DIGITS = frozenset("2345")


class InvalidPhoneNumberError(ValueError):
    pass


def digits_only(value: str) -> str:
    return _NON_DIGITS.sub("", value)


def _is_brazilian_mobile_without_nine(digits: str) -> bool:
    return (
        len(digits) == 12
        and digits.startswith(BRAZIL_COUNTRY_CODE)
        and digits[4] not in _LANDLINE_FIRST_DIGITS
    )


def _is_brazilian_mobile_with_nine(digits: str) -> bool:
    return (
        len(digits) == 13
        and digits.startswith(BRAZIL_COUNTRY_CODE)
        and digits[4] == "9"
    )


def match_key(wa_id: str) -> str:
    """Return the key under which all forms of one number meet.

    Brazilian mobiles map to their 13-digit form; other numbers to their digits.
    """
    digits = digits_only(wa_id)
    if _is_brazilian_mobile_without_nine(digits):
        return digits[:4] + "9" + digits[4:]
    return digits


def normalize_typed_number(typed: str) -> str:
    """Turn a number as an agent types it into international digits.

    Accepts "+55 (11) 98765-4321", "11 98765-4321", "5511987654321" and the
    like; a number of 10 or 11 digits is taken as Brazilian without the country
    code.
    """
    digits = digits_only(typed)
    if typed.strip().startswith("+"):
        candidate = digits
    elif len(digits) in (10, 11) and not digits.startswith("0"):
        candidate = BRAZIL_COUNTRY_CODE + digits
    else:
        candidate = digits.lstrip("0")
    if not 8 <= len(candidate) <= 15:
        raise InvalidPhoneNumberError(
            f"Phone number {typed!r} is invalid; type it with the area code, "
            "for example (11) 98765-4321 or +55 11 98765-4321."
        )
    return candidate


def is_phone_wa_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and 8 <= len(value) <= 15


def brazilian_twin(digits: str) -> str | None:
    """Return the other ninth-digit form of a Brazilian mobile, if it has one."""
    if _is_brazilian_mobile_without_nine(digits):
        return digits[:4] + "9" + digits[4:]
    if (
        _is_brazilian_mobile_with_nine(digits)
        and digits[5] not in _LANDLINE_FIRST_DIGITS
    ):
        return digits[:4] + digits[5:]
    return None

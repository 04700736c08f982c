"""Brazilian mobile numbers with and without the ninth digit."""


def brazil_alternate_form(wa_id: str) -> str | None:
    """Return the other form of a Brazilian mobile number, or ``None``.

    Brazilian mobiles gained a leading 9 (``55`` + area code + ``9`` + 8 digits,
    13 digits in all), but many WhatsApp accounts are still registered under the
    older 12-digit form. An 8-digit local number starting with 2-5 is a landline,
    which never had a ninth digit, so it has no alternate form. Other 8-digit
    numbers count as mobiles, so fake numbers such as ``551100000001`` also get one.
    """
    if not wa_id.isdigit() or not wa_id.startswith("55"):
        return None
    area_code, local = wa_id[2:4], wa_id[4:]
    if len(local) == 9 and local[0] == "9":
        return "55" + area_code + local[1:]
    if len(local) == 8 and local[0] not in "2345":
        return "55" + area_code + "9" + local
    return None

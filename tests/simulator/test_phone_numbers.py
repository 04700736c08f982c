"""Brazilian ninth-digit forms."""

import pytest

from cenat_hub.simulator.phone_numbers import brazil_alternate_form


@pytest.mark.parametrize(
    ("wa_id", "alternate"),
    [
        ("5511987654321", "551187654321"),
        ("551187654321", "5511987654321"),
        ("5511900000001", "551100000001"),
        ("551100000001", "5511900000001"),
        ("551132654321", None),
        ("5511887654321", None),
        ("15550100002", None),
        ("+5511987654321", None),
        ("55119876543", None),
    ],
    ids=[
        "thirteen-to-twelve",
        "twelve-to-thirteen",
        "fake-thirteen",
        "fake-twelve",
        "landline",
        "thirteen-without-nine",
        "other-country",
        "not-digits",
        "too-short",
    ],
)
def test_brazil_alternate_form(wa_id: str, alternate: str | None) -> None:
    assert brazil_alternate_form(wa_id) == alternate

"""SQLite connections always have ln(), which the dashboard's buckets use."""

import math
import sqlite3

from cenat_hub.db.session import natural_log, provide_math_functions


def test_provided_ln_matches_python() -> None:
    connection = sqlite3.connect(":memory:")
    provide_math_functions(connection, force=True)

    for value in (1, 2, 59, 3_600, 2_147_483_647):
        (result,) = connection.execute("SELECT ln(?)", (value,)).fetchone()
        assert result == math.log(value)


def test_provided_ln_is_null_outside_domain() -> None:
    connection = sqlite3.connect(":memory:")
    provide_math_functions(connection, force=True)

    for value in (0, -5, None):
        (result,) = connection.execute("SELECT ln(?)", (value,)).fetchone()
        assert result is None


def test_natural_log_values_and_domain() -> None:
    assert natural_log(math.e) == 1.0
    assert natural_log(0.0) is None


def test_builtin_ln_is_kept() -> None:
    connection = sqlite3.connect(":memory:")
    provide_math_functions(connection)

    (result,) = connection.execute("SELECT ln(1)").fetchone()
    assert result == 0.0

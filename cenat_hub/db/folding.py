"""Text folded for search: lowercase and without accents.

Search columns hold folded copies of names and message text, so that "joao"
finds "João" and the other way round on SQLite and PostgreSQL alike, without
database extensions for accents.
"""

import unicodedata

# Longer text is cut before folding, so search misses words past this point.
MAX_FOLDED_CHARS = 4096


def fold_for_search(*values: str | None) -> str | None:
    """Join the given values and fold them, or return None when all are empty."""
    joined = " ".join(value for value in values if value)
    if not joined:
        return None
    decomposed = unicodedata.normalize("NFKD", joined[:MAX_FOLDED_CHARS])
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.casefold()

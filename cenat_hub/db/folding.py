"""Text folded for search: lowercase and without accents.

Search columns hold folded copies of names and message text, so that "joao"
finds "João" and the other way round on SQLite and PostgreSQL alike, without
database extensions for accents.
"""

import unicodedata

# Longer text is cut before it is folded; a search term is at most 100 chars.
MAX_FOLDED_CHARS = 4096


def fold_for_search(*values: str | None) -> str | None:
    """Join the given values and fold them; None when there is nothing to fold."""
    joined = " ".join(value for value in values if value)
    if not joined:
        return None
    decomposed = unicodedata.normalize("NFKD", joined[:MAX_FOLDED_CHARS])
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.casefold()

"""Safe forms of the file names leads and agents give their documents."""

import unicodedata
from urllib.parse import quote

MAX_FILENAME_CHARS = 200


def sanitize_filename(name: str | None) -> str | None:
    """Return the last path component of ``name`` without control or
    format characters, or None when nothing is left.

    ``../../etc/passwd.pdf`` becomes ``passwd.pdf``. Format characters include
    the right-to-left override that can disguise ``fdp.exe`` as ``exe.pdf``.
    """
    if not name:
        return None
    normalized = unicodedata.normalize("NFC", name)
    last = normalized.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(
        char for char in last if unicodedata.category(char) not in ("Cc", "Cf")
    )
    cleaned = " ".join(kept.split()).lstrip(".").strip()
    if not cleaned:
        return None
    if len(cleaned) > MAX_FILENAME_CHARS:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            keep = MAX_FILENAME_CHARS - len(extension) - 1
            cleaned = f"{stem[:keep]}.{extension}"
        else:
            cleaned = cleaned[:MAX_FILENAME_CHARS]
    return cleaned


def content_disposition(disposition: str, filename: str | None) -> str:
    """Build a Content-Disposition header with an ASCII fallback name and the
    UTF-8 name in ``filename*`` (RFC 6266 and RFC 5987)."""
    safe = sanitize_filename(filename)
    if not safe:
        return disposition
    fallback = "".join(
        char if char.isascii() and char not in '"\\%' else "_" for char in safe
    )
    encoded = quote(safe, safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def document_label(name: str | None) -> str:
    """Return the short label of a document icon: its extension in capitals
    (at most four letters), or ``ARQ`` (arquivo) without one."""
    stem, dot, extension = (name or "").rpartition(".")
    if not dot or not stem or not extension:
        return "ARQ"
    return extension[:4].upper()

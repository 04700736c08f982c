"""Contacts as CSV: parsing and checking an upload, and writing an export.

An upload needs a header row with ``phone`` (or ``telefone``) and may have
``name``/``nome``, ``status``, ``tags`` and ``lost_reason``/``motivo_perda``.
Fields are separated by commas or semicolons; tags inside a field by ``;``
or ``|``. Brazilian numbers may be typed in any usual form.
"""

import csv
import io
import unicodedata
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import UploadFile
from starlette.requests import Request

from cenat_hub.contacts.phone import (
    InvalidPhoneNumberError,
    is_phone_wa_id,
    match_key,
    normalize_typed_number,
)
from cenat_hub.contacts.schemas import TagOut
from cenat_hub.contacts.service import ContactFilter, tags_by_contact
from cenat_hub.crm import queries
from cenat_hub.crm.schemas import MergedRow, RejectedRow
from cenat_hub.crm.service import (
    LEAD_STATUS_LABELS,
    MAX_LOST_REASON_TEXT_CHARS,
    MAX_TAG_NAME_CHARS,
    STATUS_LOST,
)
from cenat_hub.errors import CenatHubError, InvalidInputError
from cenat_hub.models import Channel, Contact

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5_000
MAX_NAME_CHARS = 255
MAX_TAGS_PER_ROW = 20
_READ_CHUNK_BYTES = 64 * 1024
# Room for the multipart boundaries and headers around the file itself.
_FORM_OVERHEAD_BYTES = 64 * 1024

_COLUMN_ALIASES = {
    "name": "name",
    "nome": "name",
    "phone": "phone",
    "telefone": "phone",
    "whatsapp": "phone",
    "status": "status",
    "tags": "tags",
    "etiquetas": "tags",
    "lost_reason": "lost_reason",
    "motivo_perda": "lost_reason",
}

# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class PayloadTooLargeError(CenatHubError):
    status_code = 413
    code = "payload_too_large"


class InvalidCsvError(InvalidInputError):
    code = "invalid_csv"


@dataclass
class ImportRow:
    """One accepted row, already merged with later rows for the same number."""

    line: int
    phone: str
    key: str
    name: str | None
    status: str | None
    lost_reason: str | None
    tags: list[str] = field(default_factory=list)


@dataclass
class ParsedUpload:
    rows: list[ImportRow]
    merged: list[MergedRow]
    rejected: list[RejectedRow]
    row_count: int


async def read_form_file(request: Request) -> UploadFile:
    """Return the multipart field ``file``, refusing bodies that announce too much.

    Routes read the body here rather than through a ``File`` parameter so that
    the size check runs before the multipart parser stores the upload.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + _FORM_OVERHEAD_BYTES:
        raise _too_large()
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidCsvError(
            "No file was sent; send the CSV as the multipart form field 'file'."
        )
    return upload


def _too_large() -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; "
        f"split it into files of at most {MAX_IMPORT_ROWS:,} rows."
    )


async def read_upload(upload: UploadFile) -> str:
    """Read an uploaded file up to the size limit and decode it."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_READ_CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise _too_large()
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet programs on Windows in Brazil save CSV as Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    # PostgreSQL text cannot hold NUL, and no cell of a CSV needs one.
    return text.replace("\x00", "")


def parse_upload(text: str) -> ParsedUpload:
    """Check every row and merge rows that name the same number.

    A row is merged into the first row with the same number, ninth digit or
    not: the first non-empty name wins, a later status replaces an earlier
    one, and the tags are combined.
    """
    header_line = text.split("\n", 1)[0]
    if not header_line.strip():
        raise InvalidCsvError(
            "The file is empty; the first line must be a header such as "
            "name,phone,status,tags."
        )
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    # newline="" hands line ends to the csv module, which reads line breaks
    # inside quoted fields as part of the field.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = _read_header(next(reader))

    by_key: dict[str, ImportRow] = {}
    merged: list[MergedRow] = []
    rejected: list[RejectedRow] = []
    row_count = 0
    for line, values in _numbered_rows(reader):
        if not any(value.strip() for value in values):
            continue
        row_count += 1
        if row_count > MAX_IMPORT_ROWS:
            raise PayloadTooLargeError(
                f"The file has more than {MAX_IMPORT_ROWS:,} rows; split it into "
                "smaller files."
            )
        record = {
            name: values[index]
            for name, index in columns.items()
            if index < len(values)
        }
        result = _check_row(line, record)
        if isinstance(result, RejectedRow):
            rejected.append(result)
            continue
        first = by_key.get(result.key)
        if first is None:
            by_key[result.key] = result
            continue
        _merge_into(first, result)
        merged.append(
            MergedRow(line=line, merged_into_line=first.line, phone=result.phone)
        )
    return ParsedUpload(list(by_key.values()), merged, rejected, row_count)


def _numbered_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Yield each record of a ``csv.reader`` with the file line it starts on.

    A quoted field may span lines, so the reader's own line count is used.
    """
    start = reader.line_num + 1
    try:
        for values in reader:
            yield start, values
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidCsvError(
            f"Line {start} of the file is not valid CSV ({exc}); fix its quotes."
        ) from exc


def _read_header(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        name = _COLUMN_ALIASES.get(_simplify(title).replace(" ", "_"))
        if name and name not in columns:
            columns[name] = index
    if "phone" not in columns:
        found = ", ".join(repr(title) for title in header[:10]) or "nothing"
        raise InvalidCsvError(
            f"The header has no phone column (found {found}); the first line must "
            "name the columns, for example name,phone,status,tags."
        )
    return columns


def _simplify(value: str) -> str:
    """Lowercase and drop accents, so "Matrícula" and "matricula" compare equal."""
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_STATUS_BY_LABEL = {
    _simplify(label): status for status, label in LEAD_STATUS_LABELS.items()
}


def _check_row(line: int, record: dict[str, str]) -> ImportRow | RejectedRow:
    typed_phone = record.get("phone", "").strip()
    if not typed_phone:
        return RejectedRow(
            line=line, code="missing_phone", reason="The phone is empty."
        )
    try:
        phone = normalize_typed_number(typed_phone)
    except InvalidPhoneNumberError:
        return RejectedRow(
            line=line,
            code="invalid_phone",
            reason="The phone is not a valid number; type it with the area code.",
            value=typed_phone[:40],
        )

    name = " ".join(record.get("name", "").split()) or None
    if name and len(name) > MAX_NAME_CHARS:
        return RejectedRow(
            line=line,
            code="name_too_long",
            reason=f"The name is longer than {MAX_NAME_CHARS} characters.",
            value=name[:40],
        )

    typed_status = record.get("status", "").strip()
    status = _STATUS_BY_LABEL.get(_simplify(typed_status)) if typed_status else None
    if typed_status and status is None:
        return RejectedRow(
            line=line,
            code="invalid_status",
            reason="The status is unknown; use " + ", ".join(LEAD_STATUS_LABELS) + ".",
            value=typed_status[:40],
        )

    lost_reason = " ".join(record.get("lost_reason", "").split()) or None
    if status == STATUS_LOST and not lost_reason:
        return RejectedRow(
            line=line,
            code="lost_reason_required",
            reason="Status perdido needs a lost_reason column value.",
        )
    if lost_reason and len(lost_reason) > MAX_LOST_REASON_TEXT_CHARS:
        return RejectedRow(
            line=line,
            code="lost_reason_too_long",
            reason=f"The lost reason is longer than {MAX_LOST_REASON_TEXT_CHARS} "
            "characters.",
            value=lost_reason[:40],
        )

    tags = _split_tags(record.get("tags", ""))
    too_long = next((tag for tag in tags if len(tag) > MAX_TAG_NAME_CHARS), None)
    if too_long:
        return RejectedRow(
            line=line,
            code="tag_too_long",
            reason=f"A tag name is longer than {MAX_TAG_NAME_CHARS} characters.",
            value=too_long[:40],
        )
    if len(tags) > MAX_TAGS_PER_ROW:
        return RejectedRow(
            line=line,
            code="too_many_tags",
            reason=f"The row has more than {MAX_TAGS_PER_ROW} tags.",
        )
    return ImportRow(
        line=line,
        phone=phone,
        key=match_key(phone),
        name=name,
        status=status,
        lost_reason=lost_reason if status == STATUS_LOST else None,
        tags=tags,
    )


def _split_tags(value: str) -> list[str]:
    tags: list[str] = []
    seen: set[str] = set()
    for part in value.replace("|", ";").split(";"):
        tag = " ".join(part.split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def _merge_into(first: ImportRow, later: ImportRow) -> None:
    first.name = first.name or later.name
    if later.status:
        first.status = later.status
        first.lost_reason = later.lost_reason
    known = {tag.casefold() for tag in first.tags}
    first.tags += [tag for tag in later.tags if tag.casefold() not in known]


# Export.

EXPORT_HEADER = (
    "name",
    "phone",
    "status",
    "tags",
    "lost_reason",
    "notes",
    "channel",
    "wa_id",
    "created_at",
    "last_activity_at",
)


def safe_cell(value: object) -> str:
    """Return a cell as text, quoted when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_lines(rows: Iterable[Iterable[object]]) -> str:
    """Format rows as CSV text, every cell passed through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


EXPORT_BATCH_ROWS = 500


async def export_chunks(
    session_factory: async_sessionmaker[AsyncSession], contact_filter: ContactFilter
) -> AsyncIterator[str]:
    """Yield the export a batch of contacts at a time, starting with a BOM.

    The BOM makes spreadsheet programs read the file as UTF-8. Each batch is
    read in its own short session, so no transaction (and, on SQLite, no
    write lock) stays open while a slow client downloads the file.
    """
    yield "\ufeff" + csv_lines([EXPORT_HEADER])
    async with session_factory() as session:
        channels = await queries.channels_by_id(session)
        reasons = {
            reason.id: reason.name
            for reason in await queries.lost_reasons(session, include_inactive=True)
        }
    after_id = 0
    while True:
        async with session_factory() as session:
            contacts = await queries.contacts_after(
                session, contact_filter, after_id, EXPORT_BATCH_ROWS
            )
            tags = await tags_by_contact(session, [contact.id for contact in contacts])
        if not contacts:
            return
        yield csv_lines(
            _export_row(contact, tags.get(contact.id, []), channels, reasons)
            for contact in contacts
        )
        after_id = contacts[-1].id


def _export_row(
    contact: Contact,
    tags: list[TagOut],
    channels: dict[int, Channel],
    reasons: dict[int, str],
) -> list[object]:
    channel = channels.get(contact.channel_id) if contact.channel_id else None
    lost_reason = " - ".join(
        part
        for part in (reasons.get(contact.lost_reason_id or 0), contact.lost_reason_text)
        if part
    )
    return [
        contact.name,
        contact.wa_id if is_phone_wa_id(contact.wa_id) else "",
        contact.lead_status,
        "|".join(tag.name for tag in tags),
        lost_reason,
        contact.notes,
        channel.name if channel else "",
        contact.wa_id,
        contact.created_at.isoformat(),
        contact.last_activity_at.isoformat(),
    ]

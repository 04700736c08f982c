"""Media files on disk under ``DATA_DIR/media``.

Files are named by the hex SHA-256 of their bytes and spread over two levels
of folders by its first four hex digits (``ab/cd/abcd…``), so no folder grows
past a few thousand entries even with millions of files, and the same file
received twice is stored once. No part of a path ever comes from a lead.
Writes go to a temporary file in ``tmp/`` first and are renamed into place, so
a reader never sees half a file.
"""

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_SIZE = 64 * 1024
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileTooLargeError(Exception):
    """The bytes passed the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"file larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StoredFile:
    """A file in the store: its path relative to the store root, digest and size."""

    path: str
    sha256: str
    size: int


class MediaStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def relative_path(self, sha256_hex: str) -> str:
        if not _HEX_SHA256.match(sha256_hex):
            raise ValueError(f"not a hex SHA-256: {sha256_hex!r}")
        return f"{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"

    def absolute_path(self, relative: str) -> Path:
        """Return the absolute path of a stored file, refusing paths outside the root."""
        root = self.root.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise ValueError(f"path outside the media folder: {relative!r}")
        return path

    def converted_path(self, sha256_hex: str, extension: str) -> Path:
        """Return where a converted copy of a stored file is cached."""
        relative = self.relative_path(sha256_hex)
        return self.root / "converted" / f"{relative}.{extension}"

    def temporary_path(self, suffix: str = "") -> Path:
        """Return a new empty file in the store's ``tmp`` folder; the caller deletes it."""
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, suffix=suffix)
        os.close(handle)
        return Path(name)

    async def write_chunks(
        self,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        check: Callable[[str, int], None] | None = None,
    ) -> StoredFile:
        """Store a stream of bytes, hashing it on the way.

        Raises ``FileTooLargeError`` as soon as the stream passes ``max_bytes``,
        before the rest is read. ``check`` receives the hex SHA-256 and size
        before the file is moved into place; whatever it raises leaves nothing
        stored.
        """
        writer = _HashingWriter(self.temporary_path(), max_bytes)
        try:
            async for chunk in chunks:
                writer.write(chunk)
            written = writer.finish()
            if check is not None:
                check(written[1], written[2])
            return self._commit(written)
        finally:
            writer.discard()

    def write_file(self, source: BinaryIO, max_bytes: int) -> StoredFile:
        """Store the rest of an open binary file (blocking; run it in a thread)."""
        writer = _HashingWriter(self.temporary_path(), max_bytes)
        try:
            while chunk := source.read(CHUNK_SIZE):
                writer.write(chunk)
            return self._commit(writer.finish())
        finally:
            writer.discard()

    def write_bytes(self, data: bytes) -> StoredFile:
        writer = _HashingWriter(self.temporary_path(), len(data))
        try:
            writer.write(data)
            return self._commit(writer.finish())
        finally:
            writer.discard()

    def _commit(self, written: tuple[Path, str, int]) -> StoredFile:
        temporary, digest, size = written
        relative = self.relative_path(digest)
        final = self.root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
        return StoredFile(relative, digest, size)


class _HashingWriter:
    """Writes to a temporary file while counting and hashing the bytes."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self._path = path
        self._file = path.open("wb")
        self._digest = hashlib.sha256()
        self._size = 0
        self._max_bytes = max_bytes

    def write(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._max_bytes:
            raise FileTooLargeError(self._max_bytes)
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> tuple[Path, str, int]:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        return self._path, self._digest.hexdigest(), self._size

    def discard(self) -> None:
        """Close and delete the temporary file unless it was moved into place."""
        if not self._file.closed:
            self._file.close()
        self._path.unlink(missing_ok=True)

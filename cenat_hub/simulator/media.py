"""In-memory media store with signed, expiring download links, as Meta serves media
through short-lived lookaside URLs."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from cenat_hub.simulator.errors import GraphError, invalid_parameter
from cenat_hub.simulator.ids import new_numeric_id

# Upload limits from Meta's supported-media table (sticker: the animated limit).
_MEGABYTE = 1024 * 1024
MIME_SIZE_LIMITS: dict[str, int] = {
    "audio/aac": 16 * _MEGABYTE,
    "audio/amr": 16 * _MEGABYTE,
    "audio/mpeg": 16 * _MEGABYTE,
    "audio/mp4": 16 * _MEGABYTE,
    "audio/ogg": 16 * _MEGABYTE,
    "text/plain": 100 * _MEGABYTE,
    "application/pdf": 100 * _MEGABYTE,
    "application/msword": 100 * _MEGABYTE,
    "application/vnd.ms-excel": 100 * _MEGABYTE,
    "application/vnd.ms-powerpoint": 100 * _MEGABYTE,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        100 * _MEGABYTE
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100
    * _MEGABYTE,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        100 * _MEGABYTE
    ),
    "image/jpeg": 5 * _MEGABYTE,
    "image/png": 5 * _MEGABYTE,
    "image/webp": 500 * 1024,
    "video/mp4": 16 * _MEGABYTE,
    "video/3gpp": 16 * _MEGABYTE,
}


@dataclass
class MediaItem:
    """One stored file. ``owner_phone_number_id`` is the number that uploaded it, or
    the number whose lead sent it."""

    media_id: str
    data: bytes
    mime_type: str
    owner_phone_number_id: str
    filename: str | None = None
    streamed_size: int | None = None
    """When set, downloads stream this many zero bytes instead of ``data``, so a
    test can serve a huge file without holding it in memory."""
    reported_size: int | None = None
    """When set, ``GET /<MEDIA_ID>`` reports this ``file_size`` whatever is served."""

    @property
    def sha256(self) -> str:
        """Base64 of the SHA-256 digest, the encoding Meta uses for ``sha256``."""
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode("ascii")

    @property
    def file_size(self) -> int:
        if self.reported_size is not None:
            return self.reported_size
        if self.streamed_size is not None:
            return self.streamed_size
        return len(self.data)


@dataclass
class MediaStore:
    """Media by id, plus the key that signs download links and the download
    failures that tests inject."""

    public_base_url: str
    link_ttl_seconds: float
    clock: Callable[[], float]
    items: dict[str, MediaItem] = field(default_factory=dict)
    failing_downloads: dict[str, int] = field(default_factory=dict)
    _link_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def add(
        self,
        data: bytes,
        mime_type: str,
        owner_phone_number_id: str,
        filename: str | None = None,
    ) -> MediaItem:
        media_id = new_numeric_id()
        while media_id in self.items:
            media_id = new_numeric_id()
        item = MediaItem(media_id, data, mime_type, owner_phone_number_id, filename)
        self.items[media_id] = item
        return item

    def download_url(self, media_id: str) -> str:
        """Return a link to ``/_media/<id>`` that expires after the configured TTL."""
        expires = int(self.clock() + self.link_ttl_seconds)
        query = urlencode(
            {"expires": expires, "sig": self._signature(media_id, expires)}
        )
        return f"{self.public_base_url.rstrip('/')}/_media/{media_id}?{query}"

    def is_valid_link(self, media_id: str, expires: int, signature: str) -> bool:
        expected = self._signature(media_id, expires)
        return hmac.compare_digest(expected, signature)

    def is_expired(self, expires: int) -> bool:
        return expires < self.clock()

    def take_injected_failure(self, media_id: str) -> bool:
        """Consume one injected download failure for ``media_id``, if any is left."""
        remaining = self.failing_downloads.get(media_id, 0)
        if remaining <= 0:
            return False
        self.failing_downloads[media_id] = remaining - 1
        return True

    def _signature(self, media_id: str, expires: int) -> str:
        message = f"{media_id}:{expires}".encode()
        return hmac.new(self._link_key, message, hashlib.sha256).hexdigest()


def validate_upload(mime_type: str, size: int) -> str:
    """Return the base MIME type of an upload, or raise code 100 when Meta would reject
    its type or size.

    ``mime_type`` may carry parameters (``audio/ogg; codecs=opus``); the limits
    apply to the base type.
    """
    base_type = mime_type.split(";", 1)[0].strip().lower()
    limit = MIME_SIZE_LIMITS.get(base_type)
    if limit is None:
        supported = ", ".join(sorted(MIME_SIZE_LIMITS))
        raise invalid_parameter(
            f"Param type must be one of {{{supported}}} - got '{mime_type}'."
        )
    if size == 0:
        raise invalid_parameter("Param file must not be empty.")
    if size > limit:
        raise GraphError(
            http_status=400,
            code=131053,
            title="Media upload error",
            details=f"File of {size} bytes exceeds the {limit}-byte limit for {base_type}.",
        )
    return base_type

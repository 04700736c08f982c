"""Rules of the ``media_files`` rows: recording a download, claiming it, and
storing its outcome. Functions here only flush; their callers commit."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.db.types import utcnow
from cenat_hub.db.upsert import insert_or_ignore
from cenat_hub.events.hub import Event
from cenat_hub.integrations.whatsapp.inbound import MEDIA_TYPES, InboundMessage
from cenat_hub.media.limits import DOCUMENT, size_limit
from cenat_hub.media.storage import StoredFile
from cenat_hub.models import Channel, MediaFile, Message
from cenat_hub.models.media import MEDIA_FAILED, MEDIA_PENDING, MEDIA_STORED
from cenat_hub.security.crypto import TokenCipher

# Meta serves the media id of a received message for 7 days after it was sent.
MEDIA_ID_LIFETIME = timedelta(days=7)
PENDING_EVENT = "media.pending"
MAX_ERROR_CHARS = 1000

# ``last_error`` starts with one of these codes and a colon; the interface
# shows the reason in Portuguese.
ERROR_TOO_LARGE = "too_large"
ERROR_UNKNOWN_MEDIA = "unknown_media"
ERROR_EXPIRED = "expired"
ERROR_INTEGRITY = "integrity"
ERROR_DOWNLOAD = "download_failed"
_FAILURE_REASONS = {
    ERROR_TOO_LARGE: "O arquivo passa do limite de tamanho do WhatsApp.",
    ERROR_UNKNOWN_MEDIA: "A Meta não tem mais este arquivo.",
    ERROR_EXPIRED: "A Meta só guarda os arquivos por 7 dias e o prazo acabou.",
    ERROR_INTEGRITY: "O arquivo chegou corrompido.",
    ERROR_DOWNLOAD: "A Meta não entregou o arquivo.",
}


def failure_reason(last_error: str | None) -> str:
    """Return the Portuguese reason shown for a download that failed."""
    code = (last_error or "").split(":", 1)[0]
    return _FAILURE_REASONS.get(code, _FAILURE_REASONS[ERROR_DOWNLOAD])


async def record_inbound_media(
    session: AsyncSession, message: InboundMessage, message_id: int, channel_id: int
) -> list[Event]:
    """Record the download of a received media file as pending work.

    Runs in the transaction that stores the message. A media message that
    arrived with an error and no media id records nothing. Returns the event
    that starts the download once the transaction commits.
    """
    media_id = message.columns.get("media_id")
    if message.message_type not in MEDIA_TYPES or not media_id:
        return []
    now = utcnow()
    values = {
        "media_id": media_id,
        "channel_id": channel_id,
        "message_id": message_id,
        "mime_type": message.columns.get("media_mime_type"),
        "sha256": message.columns.get("media_sha256"),
        "filename": message.columns.get("media_filename"),
        "state": MEDIA_PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "expires_at": message.timestamp + MEDIA_ID_LIFETIME,
        "created_at": now,
    }
    inserted = await insert_or_ignore(session, MediaFile, values, ["media_id"])
    if inserted is None:
        return []
    return [Event(PENDING_EVENT, {"media_id": media_id})]


async def get_media_file(session: AsyncSession, media_id: str) -> MediaFile | None:
    statement = select(MediaFile).where(MediaFile.media_id == media_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def find_or_record_media_file(
    session: AsyncSession, media_id: str
) -> MediaFile | None:
    """Return the media file row, recording a pending one for a message that
    names this media id but has none (a message stored before downloads
    existed); None when no message names it."""
    media_file = await get_media_file(session, media_id)
    if media_file is not None:
        return media_file
    statement = select(Message).where(Message.media_id == media_id).limit(1)
    message = (await session.execute(statement)).scalar_one_or_none()
    if message is None:
        return None
    now = utcnow()
    values = {
        "media_id": media_id,
        "channel_id": message.channel_id,
        "message_id": message.id,
        "mime_type": message.media_mime_type,
        "sha256": message.media_sha256,
        "filename": message.media_filename,
        "state": MEDIA_PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "expires_at": message.timestamp + MEDIA_ID_LIFETIME,
        "created_at": now,
    }
    await insert_or_ignore(session, MediaFile, values, ["media_id"])
    return await get_media_file(session, media_id)


async def due_media_ids(session: AsyncSession, limit: int) -> list[str]:
    """List pending downloads whose next attempt is due and that no worker holds."""
    now = utcnow()
    statement = (
        select(MediaFile.media_id)
        .where(
            MediaFile.state == MEDIA_PENDING,
            or_(MediaFile.next_attempt_at.is_(None), MediaFile.next_attempt_at <= now),
            or_(MediaFile.claimed_until.is_(None), MediaFile.claimed_until < now),
        )
        .order_by(MediaFile.next_attempt_at)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


@dataclass(frozen=True)
class DownloadJob:
    """What one download attempt needs, read while the row is claimed."""

    media_id: str
    phone_number_id: str
    token: str
    max_bytes: int
    expected_sha256: str | None
    webhook_url: str | None


async def claim_download(
    session: AsyncSession,
    cipher: TokenCipher,
    media_id: str,
    lease: timedelta,
    ignore_backoff: bool = False,
) -> DownloadJob | None:
    """Claim a pending download for this worker until the lease ends.

    The row is read with ``FOR UPDATE SKIP LOCKED`` (a no-op on SQLite, whose
    writers are serialised), so two workers never claim the same download.
    Returns None when the file is stored, failed, held by another worker, or
    (unless ``ignore_backoff``) not yet due. A download whose media id has
    expired is marked failed here.
    """
    statement = (
        select(MediaFile)
        .where(MediaFile.media_id == media_id, MediaFile.state == MEDIA_PENDING)
        .with_for_update(skip_locked=True)
    )
    media_file = (await session.execute(statement)).scalar_one_or_none()
    now = utcnow()
    if media_file is None or _is_held(media_file, now):
        return None
    next_attempt = media_file.next_attempt_at
    if not ignore_backoff and next_attempt is not None and next_attempt > now:
        return None
    if media_file.expires_at is not None and media_file.expires_at <= now:
        media_file.state = MEDIA_FAILED
        media_file.last_error = (
            f"{ERROR_EXPIRED}: Meta no longer serves this media id; last error: "
            f"{media_file.last_error}"
        )[:MAX_ERROR_CHARS]
        return None
    channel = await session.get(Channel, media_file.channel_id)
    if channel is None:
        return None
    message = (
        await session.get(Message, media_file.message_id)
        if media_file.message_id
        else None
    )
    media_file.claimed_until = now + lease
    return DownloadJob(
        media_id=media_id,
        phone_number_id=channel.phone_number_id,
        token=cipher.decrypt(channel.whatsapp_token),
        max_bytes=_limit_for(message),
        expected_sha256=media_file.sha256,
        webhook_url=message.media_url if message and media_file.attempts == 0 else None,
    )


def _is_held(media_file: MediaFile, now: datetime) -> bool:
    return media_file.claimed_until is not None and media_file.claimed_until > now


def _limit_for(message: Message | None) -> int:
    if message is None or message.message_type not in MEDIA_TYPES:
        return size_limit(DOCUMENT)
    return size_limit(message.message_type, animated=message.media_animated)


async def mark_stored(
    session: AsyncSession, media_id: str, stored: StoredFile, mime_type: str | None
) -> list[Event]:
    """Record the stored copy; return the event that refreshes the message."""
    media_file = await get_media_file(session, media_id)
    if media_file is None:
        return []
    media_file.path = stored.path
    media_file.sha256 = stored.sha256
    media_file.file_size = stored.size
    media_file.mime_type = media_file.mime_type or mime_type
    media_file.state = MEDIA_STORED
    media_file.stored_at = utcnow()
    media_file.claimed_until = None
    media_file.next_attempt_at = None
    media_file.last_error = None
    return await _message_updated(session, media_file)


async def mark_attempt_failed(
    session: AsyncSession,
    media_id: str,
    error: str,
    *,
    permanent: bool,
    retry_base: timedelta,
    retry_max: timedelta,
) -> tuple[datetime | None, list[Event]]:
    """Count a failed attempt and schedule the next one with exponential backoff.

    The download fails for good when the error is permanent or the next
    attempt would come after the media id expires. Returns the time of the
    next attempt (None when there is none) and the events to publish.
    """
    media_file = await get_media_file(session, media_id)
    if media_file is None or media_file.state != MEDIA_PENDING:
        return None, []
    media_file.attempts += 1
    media_file.claimed_until = None
    media_file.last_error = error[:MAX_ERROR_CHARS]
    delay = min(retry_base * 2 ** (media_file.attempts - 1), retry_max)
    next_attempt = utcnow() + delay
    expired = (
        media_file.expires_at is not None and next_attempt >= media_file.expires_at
    )
    if permanent or expired:
        if expired and not permanent:
            media_file.last_error = f"{ERROR_EXPIRED}: {error}"[:MAX_ERROR_CHARS]
        media_file.state = MEDIA_FAILED
        media_file.next_attempt_at = None
        return None, await _message_updated(session, media_file)
    media_file.next_attempt_at = next_attempt
    return next_attempt, []


async def release_claim(session: AsyncSession, media_id: str) -> None:
    media_file = await get_media_file(session, media_id)
    if media_file is not None:
        media_file.claimed_until = None


async def _message_updated(session: AsyncSession, media_file: MediaFile) -> list[Event]:
    if media_file.message_id is None:
        return []
    message = await session.get(Message, media_file.message_id)
    if message is None:
        return []
    data = {"message_id": message.id, "conversation_id": message.conversation_id}
    return [Event("message.updated", data)]


def sha256_matches(expected: str | None, actual_hex: str) -> bool:
    """Compare Meta's SHA-256 (base64 in webhooks, sometimes hex) with ours.

    A missing or unreadable expected value matches, because there is nothing
    to check against.
    """
    if not expected:
        return True
    value = expected.strip()
    if len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower() == actual_hex
    padded = value + "=" * (-len(value) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            decoded = decode(padded)
        except (binascii.Error, ValueError):
            continue
        if len(decoded) == 32:
            return decoded.hex() == actual_hex
    return True

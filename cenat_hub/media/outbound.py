"""Files agents send: checks, voice conversion, our copy, and the upload to Meta.

An outbound file gets a local media id (``local-…``) when it is stored, so it
shows in the chat like inbound media before Meta has seen it. The upload to
Meta replaces that id with Meta's.
"""

import asyncio
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from cenat_hub.db.types import utcnow
from cenat_hub.errors import InvalidInputError
from cenat_hub.integrations.whatsapp.client import GraphClient
from cenat_hub.media import convert
from cenat_hub.media.filenames import sanitize_filename
from cenat_hub.media.limits import AUDIO, DOCUMENT, classify_outbound, size_limit
from cenat_hub.media.service import get_media_file
from cenat_hub.media.storage import MediaStorage, StoredFile
from cenat_hub.models import MediaFile, Message
from cenat_hub.models.media import MEDIA_STORED

LOCAL_MEDIA_PREFIX = "local-"
HEAD_BYTES = 4096
OGG_OPUS = "audio/ogg; codecs=opus"
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


@dataclass(frozen=True)
class PreparedMedia:
    """A checked file in our store, ready to be queued as a message."""

    kind: str
    mime_type: str
    stored: StoredFile
    filename: str | None
    voice: bool


def is_local_media_id(media_id: str | None) -> bool:
    return bool(media_id) and str(media_id).startswith(LOCAL_MEDIA_PREFIX)


def new_local_media_id() -> str:
    return LOCAL_MEDIA_PREFIX + secrets.token_hex(16)


async def prepare_upload(
    storage: MediaStorage, upload: UploadFile, voice: bool
) -> PreparedMedia:
    """Check an uploaded file against Meta's types and sizes and store our copy.

    A browser recording (WebM/Opus) is converted to OGG/Opus, and so is any
    audio sent as a voice message. Raises ``InvalidInputError`` with a
    Portuguese message when the file cannot be sent.
    """
    size = await asyncio.to_thread(_file_size, upload.file)
    head = await upload.read(HEAD_BYTES)
    await upload.seek(0)
    media_type = classify_outbound(head, upload.content_type, size, voice)
    filename = sanitize_filename(upload.filename)
    if media_type.needs_voice_conversion:
        stored = await _convert_to_voice(storage, upload.file)
        stem = Path(filename).stem if filename else "gravacao"
        filename = f"{stem}.ogg"
    else:
        limit = size_limit(media_type.kind)
        stored = await asyncio.to_thread(storage.write_file, upload.file, limit)
    is_voice = voice and media_type.kind == AUDIO and media_type.mime_type == OGG_OPUS
    if media_type.kind != DOCUMENT and filename is None:
        filename = _default_name(media_type.mime_type)
    return PreparedMedia(
        media_type.kind, media_type.mime_type, stored, filename, is_voice
    )


def _file_size(file: BinaryIO) -> int:
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def _default_name(mime_type: str) -> str:
    base = mime_type.split(";", 1)[0]
    return f"arquivo.{_EXTENSIONS.get(base, 'bin')}"


async def _convert_to_voice(storage: MediaStorage, source: BinaryIO) -> StoredFile:
    if not convert.ffmpeg_available():
        raise InvalidInputError(
            "Não foi possível converter a gravação de voz porque o servidor não tem "
            "o ffmpeg instalado. Envie um áudio em MP3, M4A ou OGG."
        )
    recording = storage.temporary_path(".webm")
    converted = storage.temporary_path(".ogg")
    try:
        await asyncio.to_thread(_copy_to, source, recording)
        try:
            await convert.to_ogg_opus(recording, converted)
        except convert.ConversionError as exc:
            raise InvalidInputError(
                "Não foi possível converter a gravação de voz. Grave de novo ou "
                "envie um arquivo de áudio."
            ) from exc
        with converted.open("rb") as result:
            return await asyncio.to_thread(
                storage.write_file, result, size_limit(AUDIO)
            )
    finally:
        recording.unlink(missing_ok=True)
        converted.unlink(missing_ok=True)


def _copy_to(source: BinaryIO, target: Path) -> None:
    source.seek(0)
    with target.open("wb") as output:
        shutil.copyfileobj(source, output)


def record_outbound_media(
    session: AsyncSession, message: Message, prepared: PreparedMedia
) -> MediaFile:
    """Add the stored media file row of a queued outbound message."""
    media_file = MediaFile(
        media_id=message.media_id,
        channel_id=message.channel_id,
        message_id=message.id,
        mime_type=prepared.mime_type,
        sha256=prepared.stored.sha256,
        file_size=prepared.stored.size,
        filename=prepared.filename,
        path=prepared.stored.path,
        state=MEDIA_STORED,
        attempts=0,
        stored_at=utcnow(),
    )
    session.add(media_file)
    return media_file


async def upload_to_meta(
    graph: GraphClient,
    storage: MediaStorage,
    phone_number_id: str,
    token: str,
    media_file: MediaFile,
) -> str:
    """Upload our copy of an outbound file to Meta; return Meta's media id."""
    assert media_file.path is not None
    path = storage.absolute_path(media_file.path)
    mime_type = media_file.mime_type or "application/octet-stream"
    filename = media_file.filename or _default_name(mime_type)
    with path.open("rb") as file:
        return await graph.upload_media(
            phone_number_id, token, file, mime_type, filename
        )


async def adopt_meta_media_id(
    session: AsyncSession, message: Message, meta_media_id: str
) -> None:
    """Replace a message's local media id with the id Meta gave the upload."""
    media_file = await get_media_file(session, message.media_id or "")
    if media_file is not None:
        media_file.media_id = meta_media_id
    message.media_id = meta_media_id

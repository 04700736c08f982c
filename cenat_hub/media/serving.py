"""Serving our copy of a media file to the browser safely."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import can_see_channel
from cenat_hub.errors import CenatHubError, InvalidInputError, NotFoundError
from cenat_hub.media import convert, service
from cenat_hub.media.filenames import content_disposition
from cenat_hub.media.limits import DOCUMENT, base_type, serving_type
from cenat_hub.models import MediaFile, Message
from cenat_hub.models.media import MEDIA_FAILED, MEDIA_PENDING
from cenat_hub.web.state import AppState

# Headers on every media response. ``sandbox`` gives a file opened directly in
# a tab a unique origin with scripts off, and ``nosniff`` stops browsers from
# guessing a type other than the one we send.
MEDIA_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}
CACHE_CONTROL = "private, max-age=31536000, immutable"
CONVERSION_FORMATS = {"m4a": "audio/mp4"}
_conversion_locks: dict[str, asyncio.Lock] = {}


class MediaNotReadyError(CenatHubError):
    status_code = 503
    code = "media_not_ready"


class MediaUnavailableError(CenatHubError):
    status_code = 404
    code = "media_unavailable"


@dataclass(frozen=True)
class ServedFile:
    path: Path
    content_type: str
    inline: bool
    filename: str | None
    etag: str


async def stored_media(
    state: AppState,
    session: AsyncSession,
    media_id: str,
    visible: set[int] | None = None,
) -> tuple[MediaFile, Message | None]:
    """Return a stored media file, downloading it now if it is still pending.

    ``visible`` lists the channels the reader may see (None for every
    channel); a file of another channel is reported as not found, so its
    existence is not revealed. The session's transaction is committed before
    the download so that no database lock is held while Meta is called.
    """
    media_file = await service.find_or_record_media_file(session, media_id)
    if media_file is None or not can_see_channel(visible, media_file.channel_id):
        raise NotFoundError(f"Media {media_id} not found.")
    if media_file.state == MEDIA_PENDING:
        await session.commit()
        await state.media_downloader.fetch_now(media_id)
        await session.refresh(media_file)
    if media_file.state == MEDIA_PENDING:
        raise MediaNotReadyError(
            f"Media {media_id} is still being downloaded; try again in a moment."
        )
    if media_file.state == MEDIA_FAILED or not media_file.path:
        raise MediaUnavailableError(
            f"Media {media_id} could not be downloaded: "
            f"{service.failure_reason(media_file.last_error)}"
        )
    message = (
        await session.get(Message, media_file.message_id)
        if media_file.message_id
        else None
    )
    return media_file, message


async def prepare_file(
    state: AppState,
    media_file: MediaFile,
    message: Message | None,
    output_format: str | None,
    download: bool,
) -> ServedFile:
    """Decide the path, type and disposition a stored file is served with."""
    assert media_file.path is not None and media_file.sha256 is not None
    path = state.media_storage.absolute_path(media_file.path)
    filename = media_file.filename or (message.media_filename if message else None)
    if output_format is not None:
        return await _converted(state, media_file, path, output_format, filename)
    content_type, inline = serving_type(media_file.mime_type)
    is_document = message is not None and message.message_type == DOCUMENT
    return ServedFile(
        path=path,
        content_type=content_type,
        inline=inline and not is_document and not download,
        filename=filename,
        etag=f'"{media_file.sha256}"',
    )


async def _converted(
    state: AppState,
    media_file: MediaFile,
    source: Path,
    output_format: str,
    filename: str | None,
) -> ServedFile:
    if output_format not in CONVERSION_FORMATS:
        raise InvalidInputError(f"Format {output_format} is not supported; use m4a.")
    if not base_type(media_file.mime_type).startswith("audio/"):
        raise InvalidInputError(f"Media {media_file.media_id} is not audio.")
    assert media_file.sha256 is not None
    target = state.media_storage.converted_path(media_file.sha256, output_format)
    lock = _conversion_locks.setdefault(media_file.sha256, asyncio.Lock())
    async with lock:
        if not target.exists():
            if not convert.ffmpeg_available():
                raise MediaUnavailableError(
                    "Audio conversion is unavailable because ffmpeg is not installed."
                )
            try:
                await convert.to_m4a(source, target)
            except convert.ConversionError as exc:
                raise MediaUnavailableError(
                    f"Media {media_file.media_id} could not be converted."
                ) from exc
    _conversion_locks.pop(media_file.sha256, None)
    stem = Path(filename).stem if filename else "audio"
    return ServedFile(
        path=target,
        content_type=CONVERSION_FORMATS[output_format],
        inline=True,
        filename=f"{stem}.{output_format}",
        etag=f'"{media_file.sha256}-{output_format}"',
    )


def media_response(request: Request, served: ServedFile) -> Response:
    """Build the response: 304 for a matching ``If-None-Match``, otherwise the file
    with range support (Starlette answers ``Range`` with 206 or 416)."""
    headers = {
        **MEDIA_SECURITY_HEADERS,
        "ETag": served.etag,
        "Cache-Control": CACHE_CONTROL,
        "Content-Disposition": content_disposition(
            "inline" if served.inline else "attachment", served.filename
        ),
    }
    if served.etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return FileResponse(served.path, media_type=served.content_type, headers=headers)


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}

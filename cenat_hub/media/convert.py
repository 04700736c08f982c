"""Audio conversion with ffmpeg, when it is installed.

Two conversions exist. Voice notes from WhatsApp are OGG/Opus, which some
Safari versions cannot play, so they are served converted to AAC in an M4A
container. Voice messages recorded in a browser are WebM/Opus, which
WhatsApp does not accept, so they are converted to OGG/Opus before sending.
"""

import asyncio
import os
import shutil
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

TIMEOUT_SECONDS = 120.0


class ConversionError(Exception):
    """ffmpeg is missing, failed or timed out."""


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


def ffmpeg_available() -> bool:
    return ffmpeg_path() is not None


async def to_m4a(source: Path, target: Path) -> None:
    """Convert an audio file to AAC in an M4A container at ``target``."""
    await _run_ffmpeg(
        source,
        target,
        ["-vn", "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", "-f", "mp4"],
    )


async def to_ogg_opus(source: Path, target: Path) -> None:
    """Convert an audio file to mono OGG/Opus, the format of WhatsApp voice notes."""
    await _run_ffmpeg(
        source,
        target,
        ["-vn", "-c:a", "libopus", "-b:a", "32k", "-ac", "1", "-f", "ogg"],
    )


async def _run_ffmpeg(source: Path, target: Path, options: list[str]) -> None:
    """Run ffmpeg into a temporary file beside ``target`` and rename it into place."""
    executable = ffmpeg_path()
    if executable is None:
        raise ConversionError("ffmpeg is not installed")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    arguments = [
        executable,
        *("-nostdin", "-hide_banner", "-loglevel", "error", "-y"),
        *("-i", str(source)),
        *options,
        str(partial),
    ]
    process = await asyncio.create_subprocess_exec(
        *arguments,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
    except TimeoutError as exc:
        process.kill()
        await process.wait()
        partial.unlink(missing_ok=True)
        raise ConversionError(f"ffmpeg timed out after {TIMEOUT_SECONDS} s") from exc
    if process.returncode != 0:
        partial.unlink(missing_ok=True)
        message = stderr.decode("utf-8", "replace").strip()[-500:]
        log.warning("media.conversion_failed", returncode=process.returncode)
        raise ConversionError(f"ffmpeg exited with {process.returncode}: {message}")
    os.replace(partial, target)

"""File type detection, Meta's limits, safe names and digests, without a database."""

import base64
import hashlib

import pytest

from cenat_hub.errors import InvalidInputError
from cenat_hub.media.filenames import content_disposition, sanitize_filename
from cenat_hub.media.limits import (
    OOXML_WORD,
    classify_outbound,
    format_size,
    serving_type,
    size_limit,
    sniff_type,
)
from cenat_hub.media.service import sha256_matches
from cenat_hub.simulator.sample_files import (
    jpeg_image,
    mp3_audio,
    mp4_video,
    ogg_opus_audio,
    pdf_document,
    png_image,
    webp_image,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (jpeg_image(), "image/jpeg"),
        (png_image(), "image/png"),
        (webp_image(), "image/webp"),
        (pdf_document(), "application/pdf"),
        (ogg_opus_audio(), "audio/ogg; codecs=opus"),
        (mp3_audio(), "audio/mpeg"),
        (mp4_video(), "video/mp4"),
        (b"GIF89a....", "image/gif"),
        (b"\xef\xbb\xbf  <svg xmlns='x'/>", "image/svg+xml"),
        (b"<?xml version='1.0'?>\n<svg/>", "image/svg+xml"),
        (b"<!DOCTYPE html><p>oi", "text/html"),
        (b"<?xml version='1.0'?><note/>", "application/xml"),
        ("Olá, tudo bem?".encode(), "text/plain"),
        (b"\x00\x01\x02binary", None),
    ],
)
def test_sniff_type(data: bytes, expected: str | None) -> None:
    assert sniff_type(data[:4096]) == expected


def test_size_limits() -> None:
    assert size_limit("image") == 5 * 1024 * 1024
    assert size_limit("video") == 16 * 1024 * 1024
    assert size_limit("audio") == 16 * 1024 * 1024
    assert size_limit("document") == 100 * 1024 * 1024
    assert size_limit("sticker") == 100 * 1024
    assert size_limit("sticker", animated=True) == 500 * 1024


def test_format_size() -> None:
    assert format_size(500) == "500 bytes"
    assert format_size(2048) == "2 KB"
    assert format_size(16 * 1024 * 1024) == "16 MB"
    assert format_size(1572864) == "1,5 MB"


def test_office_file_needs_declared_type() -> None:
    docx = b"PK\x03\x04" + bytes(100)
    assert classify_outbound(docx, OOXML_WORD, 104, False).kind == "document"
    with pytest.raises(InvalidInputError):
        classify_outbound(docx, "application/zip", 104, False)


def test_oversized_sticker_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="figurinha passa do limite de 100 KB"):
        classify_outbound(webp_image(), "image/webp", 200 * 1024, False)


def test_webm_video_is_rejected() -> None:
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"
    with pytest.raises(InvalidInputError, match="WebM"):
        classify_outbound(webm, "video/webm", 100, False)
    converted = classify_outbound(webm, "audio/webm;codecs=opus", 100, True)
    assert converted.needs_voice_conversion
    assert converted.mime_type == "audio/ogg; codecs=opus"


@pytest.mark.parametrize(
    ("mime_type", "expected"),
    [
        ("image/jpeg", ("image/jpeg", True)),
        ("audio/ogg; codecs=opus", ("audio/ogg", True)),
        ("application/pdf", ("application/pdf", False)),
        ("image/svg+xml", ("application/octet-stream", False)),
        ("text/html", ("application/octet-stream", False)),
        ("application/xhtml+xml", ("application/octet-stream", False)),
        ("text/javascript", ("application/octet-stream", False)),
        (None, ("application/octet-stream", False)),
    ],
)
def test_serving_type(mime_type: str | None, expected: tuple[str, bool]) -> None:
    assert serving_type(mime_type) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("  ficha\x00 de\tinscrição.pdf ", "ficha deinscrição.pdf"),
        ("relatorio\u202efdp.exe", "relatoriofdp.exe"),
        ("...", None),
        ("../", None),
        (None, None),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_sanitize_filename(name: str | None, expected: str | None) -> None:
    assert sanitize_filename(name) == expected


def test_content_disposition_encodes_utf8() -> None:
    header = content_disposition("attachment", 'Matrícula "2027".pdf')
    assert header == (
        'attachment; filename="Matr_cula _2027_.pdf"; '
        "filename*=UTF-8''Matr%C3%ADcula%20%222027%22.pdf"
    )
    assert content_disposition("inline", None) == "inline"


def test_sha256_in_base64_or_hex() -> None:
    data = b"arquivo"
    digest = hashlib.sha256(data)
    hex_digest = digest.hexdigest()
    assert sha256_matches(base64.b64encode(digest.digest()).decode(), hex_digest)
    assert sha256_matches(
        base64.urlsafe_b64encode(digest.digest()).decode(), hex_digest
    )
    assert sha256_matches(hex_digest.upper(), hex_digest)
    assert sha256_matches(None, hex_digest)
    other = hashlib.sha256(b"outro").digest()
    assert not sha256_matches(base64.b64encode(other).decode(), hex_digest)

"""Meta's media types and sizes, file type detection from magic bytes, and which
types a browser may show inline.

Limits follow Meta's supported-media table for the Cloud API: images (JPEG,
PNG) up to 5 MB, audio and video up to 16 MB, documents up to 100 MB, stickers
(WebP) up to 100 KB static and 500 KB animated. A megabyte here is 1024 * 1024
bytes, as the simulator counts it.
"""

from dataclasses import dataclass

from cenat_hub.errors import InvalidInputError

MEGABYTE = 1024 * 1024
KILOBYTE = 1024

IMAGE = "image"
AUDIO = "audio"
VIDEO = "video"
DOCUMENT = "document"
STICKER = "sticker"
MEDIA_KINDS = (IMAGE, AUDIO, VIDEO, DOCUMENT, STICKER)

SIZE_LIMITS = {
    IMAGE: 5 * MEGABYTE,
    AUDIO: 16 * MEGABYTE,
    VIDEO: 16 * MEGABYTE,
    DOCUMENT: 100 * MEGABYTE,
}
STATIC_STICKER_LIMIT = 100 * KILOBYTE
ANIMATED_STICKER_LIMIT = 500 * KILOBYTE

OOXML_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OOXML_EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OOXML_POWERPOINT = (
    "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)
OLE_TYPES = frozenset(
    {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"}
)
OOXML_TYPES = frozenset({OOXML_WORD, OOXML_EXCEL, OOXML_POWERPOINT})

# MIME types Meta accepts for each kind of outbound media.
SENDABLE_TYPES = {
    IMAGE: frozenset({"image/jpeg", "image/png"}),
    AUDIO: frozenset(
        {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}
    ),
    VIDEO: frozenset({"video/mp4", "video/3gpp"}),
    DOCUMENT: frozenset({"text/plain", "application/pdf"} | OLE_TYPES | OOXML_TYPES),
    STICKER: frozenset({"image/webp"}),
}

# Types a browser may render inline from our origin. Anything else is served as
# an attachment, and scriptable types (HTML, SVG, XML, JavaScript) are served
# as application/octet-stream so that no browser interprets them.
INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "audio/aac",
        "audio/amr",
        "audio/mpeg",
        "audio/mp4",
        "audio/ogg",
        "audio/opus",
        "audio/webm",
        "video/mp4",
        "video/3gpp",
        "video/webm",
    }
)
ATTACHMENT_TYPES = frozenset(
    SENDABLE_TYPES[DOCUMENT]
    | {
        "application/zip",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "text/csv",
    }
)
OCTET_STREAM = "application/octet-stream"


def base_type(mime_type: str | None) -> str:
    """Return the lower-case type without parameters: ``audio/ogg; codecs=opus``
    becomes ``audio/ogg``."""
    if not mime_type:
        return ""
    return mime_type.split(";", 1)[0].strip().lower()


def size_limit(kind: str, animated: bool = False) -> int:
    """Return Meta's maximum size in bytes for a media kind."""
    if kind == STICKER:
        return ANIMATED_STICKER_LIMIT if animated else STATIC_STICKER_LIMIT
    return SIZE_LIMITS.get(kind, SIZE_LIMITS[DOCUMENT])


def format_size(size: int) -> str:
    """Format a byte count the way the interface shows it (``1,5 MB``)."""
    if size < KILOBYTE:
        return f"{size} bytes"
    if size < MEGABYTE:
        return f"{size / KILOBYTE:.0f} KB"
    value = f"{size / MEGABYTE:.1f}".replace(".", ",").removesuffix(",0")
    return f"{value} MB"


def serving_type(mime_type: str | None) -> tuple[str, bool]:
    """Return the Content-Type to serve a stored file with and whether it may be
    shown inline. Parameters of the stored type are dropped, because a lead
    chooses them."""
    base = base_type(mime_type)
    if base in INLINE_TYPES:
        return base, True
    if base in ATTACHMENT_TYPES:
        return base, False
    return OCTET_STREAM, False


# Magic-byte detection


def sniff_type(head: bytes) -> str | None:
    """Detect a file's MIME type from its first bytes; None when unknown.

    The checks cover the formats WhatsApp carries plus the ones that must be
    rejected by name (GIF, WebM, HTML, SVG, XML).
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"OggS"):
        return _ogg_type(head)
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"ID3") or _is_mpeg_audio_frame(head):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"
    if head[4:8] == b"ftyp":
        return _iso_media_type(head[8:12])
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"
    return _text_type(head)


def _ogg_type(head: bytes) -> str:
    if b"OpusHead" in head[:128]:
        return "audio/ogg; codecs=opus"
    if b"\x01vorbis" in head[:128]:
        return "audio/ogg; codecs=vorbis"
    return "audio/ogg"


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """Return whether ``head`` starts with an MPEG audio frame of layer I-III.

    ADTS (AAC) shares the sync word but has layer bits 00, which this rejects.
    """
    return (
        len(head) >= 2
        and head[0] == 0xFF
        and head[1] & 0xE0 == 0xE0
        and (head[1] & 0x06 != 0)
    )


def _iso_media_type(brand: bytes) -> str:
    if brand.startswith(b"3g"):
        return "video/3gpp"
    if brand in (b"M4A ", b"M4B "):
        return "audio/mp4"
    return "video/mp4"


_MARKUP_PREFIXES = (b"<!doctype html", b"<html", b"<svg", b"<?xml", b"<script")


def _text_type(head: bytes) -> str | None:
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if stripped.startswith(b"<?xml") and b"<svg" in stripped:
        return "image/svg+xml"
    if stripped.startswith(_MARKUP_PREFIXES) or b"<svg" in stripped[:512]:
        if b"<svg" in stripped[:512]:
            return "image/svg+xml"
        return "application/xml" if stripped.startswith(b"<?xml") else "text/html"
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the head is still text.
        if exc.start < len(head) - 3:
            return None
    return "text/plain"


# Checks of files an agent sends


@dataclass(frozen=True)
class OutboundMediaType:
    """The WhatsApp kind of a file to send and the MIME type to declare for it."""

    kind: str
    mime_type: str
    needs_voice_conversion: bool = False


_REJECTED_BY_NAME = {
    "image/svg+xml": "Arquivos SVG não são aceitos pelo WhatsApp.",
    "text/html": "Arquivos HTML não são aceitos pelo WhatsApp.",
    "application/xml": "Arquivos XML não são aceitos pelo WhatsApp.",
    "image/gif": "Imagens GIF não são aceitas pelo WhatsApp; envie JPEG ou PNG.",
    "video/x-matroska": "Vídeos MKV não são aceitos pelo WhatsApp; envie MP4.",
    "audio/ogg; codecs=vorbis": (
        "Áudios OGG só são aceitos pelo WhatsApp com o codec Opus."
    ),
}
_DECLARED_SCRIPT_TYPES = frozenset(
    {
        "image/svg+xml",
        "text/html",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "application/javascript",
        "text/javascript",
    }
)
_KIND_NAMES = {
    IMAGE: "A imagem",
    AUDIO: "O áudio",
    VIDEO: "O vídeo",
    DOCUMENT: "O documento",
    STICKER: "A figurinha",
}


def classify_outbound(
    head: bytes, declared_type: str | None, size: int, voice: bool
) -> OutboundMediaType:
    """Decide how a file an agent uploads is sent, or raise ``InvalidInputError``
    with a message in Portuguese for the agent.

    The type comes from the file's first bytes. The declared type only
    distinguishes formats that share a container (Office files, WebM audio).
    """
    declared = base_type(declared_type)
    if size == 0:
        raise InvalidInputError("O arquivo está vazio.")
    if declared in _DECLARED_SCRIPT_TYPES:
        raise InvalidInputError(
            _REJECTED_BY_NAME.get(declared, "Este tipo de arquivo não é aceito.")
        )
    detected = sniff_type(head)
    if detected in _REJECTED_BY_NAME:
        raise InvalidInputError(_REJECTED_BY_NAME[detected])
    media_type = _outbound_type(detected, declared, voice)
    if media_type is None:
        raise InvalidInputError(
            "Este tipo de arquivo não é aceito pelo WhatsApp. Envie imagem JPEG ou "
            "PNG, áudio, vídeo MP4, PDF, texto ou arquivo do Office."
        )
    limit = size_limit(media_type.kind)
    if size > limit:
        raise InvalidInputError(
            f"{_KIND_NAMES[media_type.kind]} passa do limite de "
            f"{format_size(limit)} do WhatsApp."
        )
    return media_type


def _outbound_type(
    detected: str | None, declared: str, voice: bool
) -> OutboundMediaType | None:
    if detected == "video/webm":
        if declared.startswith("audio/") or voice:
            return OutboundMediaType(AUDIO, "audio/ogg; codecs=opus", True)
        raise InvalidInputError("Vídeos WebM não são aceitos pelo WhatsApp; envie MP4.")
    if detected == "audio/ogg; codecs=opus":
        return OutboundMediaType(AUDIO, detected)
    if voice and detected and detected.startswith("audio/"):
        return OutboundMediaType(AUDIO, "audio/ogg; codecs=opus", True)
    if detected == "video/mp4" and declared.startswith("audio/"):
        detected = "audio/mp4"
    if detected == "application/zip":
        return (
            OutboundMediaType(DOCUMENT, declared) if declared in OOXML_TYPES else None
        )
    if detected == "application/x-ole-storage":
        return OutboundMediaType(DOCUMENT, declared) if declared in OLE_TYPES else None
    if detected == "text/plain" and declared not in ("", "text/plain"):
        return None
    for kind, types in SENDABLE_TYPES.items():
        if detected in types:
            return OutboundMediaType(kind, detected)
    return None

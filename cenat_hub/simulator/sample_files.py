"""Tiny media files built in code, so the simulated leads can send real bytes.

The images, the PDF, the Ogg Opus stream and the MP3 frame are valid files that
ordinary decoders open. The MP4 has the right ``ftyp`` box but no ``moov`` box, so it
identifies as MP4 yet does not play.
"""

import struct
import zlib


def png_image(red: int = 30, green: int = 120, blue: int = 200) -> bytes:
    """Build a 1x1 RGB PNG of the given colour."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, green, blue]))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def jpeg_image() -> bytes:
    """Build an 8x8 mid-grey baseline JPEG.

    Mid-grey (128) level-shifts to 0, so the only block has all coefficients zero.
    Both Huffman tables then need one 1-bit code: DC category 0 and the AC
    end-of-block symbol, and the scan is the two bits ``00`` padded with ones.
    """
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quantisation = b"\x00" + bytes([1] * 64)
    frame = struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"
    one_code = bytes([1] + [0] * 15) + b"\x00"
    scan_header = b"\x01\x01\x00\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + _jpeg_segment(0xE0, app0)
        + _jpeg_segment(0xDB, quantisation)
        + _jpeg_segment(0xC0, frame)
        + _jpeg_segment(0xC4, b"\x00" + one_code)
        + _jpeg_segment(0xC4, b"\x10" + one_code)
        + _jpeg_segment(0xDA, scan_header)
        + b"\x3f"
        + b"\xff\xd9"
    )


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def webp_image(red: int = 240, green: int = 180, blue: int = 20) -> bytes:
    """Build a 1x1 lossless WebP (VP8L) of the given opaque colour.

    Each of the five prefix codes (green, red, blue, alpha, distance) is a
    "simple" code with one symbol, so the pixel itself takes no bits.
    """
    bits = _BitWriter()
    bits.write(0x2F, 8)
    bits.write(0, 14)
    bits.write(0, 14)
    bits.write(0, 1)
    bits.write(0, 3)
    bits.write(0, 1)  # no transform
    bits.write(0, 1)  # no colour cache
    bits.write(0, 1)  # no meta prefix codes
    for symbol in (green, red, blue, 255, 0):
        bits.write_single_symbol_code(symbol)

    chunk = bits.to_bytes()
    padding = b"\x00" * (len(chunk) % 2)
    riff_body = b"WEBP" + b"VP8L" + struct.pack("<I", len(chunk)) + chunk + padding
    return b"RIFF" + struct.pack("<I", len(riff_body)) + riff_body


class _BitWriter:
    """Least-significant-bit-first writer, the bit order of VP8L."""

    def __init__(self) -> None:
        self._value = 0
        self._length = 0

    def write(self, value: int, width: int) -> None:
        self._value |= value << self._length
        self._length += width

    def write_single_symbol_code(self, symbol: int) -> None:
        """Write a simple prefix code whose only symbol is ``symbol`` (0-255)."""
        wide = symbol > 1
        self.write(1, 1)
        self.write(0, 1)
        self.write(int(wide), 1)
        self.write(symbol, 8 if wide else 1)

    def to_bytes(self) -> bytes:
        size = (self._length + 7) // 8
        return self._value.to_bytes(size, "little")


def pdf_document(title: str = "Ficha de inscricao") -> bytes:
    """Build a one-page PDF that shows ``title`` in Helvetica.

    Characters outside Latin-1 become ``?`` because the font uses WinAnsiEncoding.
    """
    text = title.encode("latin-1", errors="replace")
    text = text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
        b"/Encoding /WinAnsiEncoding >>",
    ]

    output = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number + body + b"\nendobj\n"

    xref_offset = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    output += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(output)


def ogg_opus_audio(seconds: float = 1.0) -> bytes:
    """Build an Ogg Opus stream of silent 20 ms mono frames lasting about
    ``seconds`` (at most 5), as a voice note from WhatsApp is encoded."""
    pre_skip = 312
    frame_count = max(1, min(250, round(seconds * 50)))
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, 48000, 0, 0)
    vendor = b"cenat-hub simulator"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    # A TOC byte alone is a complete Opus packet: one 20 ms CELT frame of
    # silence (configuration 31, mono, one frame).
    silent_frames = [b"\xf8"] * frame_count
    serial = 0x43454E54
    return (
        _ogg_page([head], serial, sequence=0, granule=0, flags=0x02)
        + _ogg_page([tags], serial, sequence=1, granule=0, flags=0x00)
        + _ogg_page(
            silent_frames,
            serial,
            sequence=2,
            granule=pre_skip + 960 * frame_count,
            flags=0x04,
        )
    )


def _ogg_page(
    packets: list[bytes], serial: int, sequence: int, granule: int, flags: int
) -> bytes:
    """Wrap packets (each shorter than 255 bytes, at most 255 of them) in one
    Ogg page."""
    assert len(packets) <= 255
    assert all(len(packet) < 255 for packet in packets)
    header = struct.pack("<4sBBqIII", b"OggS", 0, flags, granule, serial, sequence, 0)
    lacing = bytes([len(packet) for packet in packets])
    page = bytearray(header + bytes([len(packets)]) + lacing + b"".join(packets))
    page[22:26] = struct.pack("<I", _ogg_crc(bytes(page)))
    return bytes(page)


def _ogg_crc(data: bytes) -> int:
    """CRC-32 as Ogg defines it: polynomial 0x04C11DB7, not reflected, initial 0."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            feedback = 0x04C11DB7 if crc & 0x80000000 else 0
            crc = ((crc << 1) ^ feedback) & 0xFFFFFFFF
    return crc


def mp3_audio() -> bytes:
    """Build one silent MPEG-1 Layer III frame: 128 kbit/s, 44.1 kHz, mono.

    Such a frame is 144 * 128000 / 44100 = 417 bytes; the zeroed side information
    decodes as silence.
    """
    frame_header = b"\xff\xfb\x90\xc0"
    return frame_header + bytes(417 - len(frame_header))


def mp4_video() -> bytes:
    """Build an MP4 container header: ``ftyp``, ``free`` and an empty ``mdat`` box."""
    brands = b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41"
    ftyp = struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands
    free = struct.pack(">I", 8) + b"free"
    mdat = struct.pack(">I", 8) + b"mdat"
    return ftyp + free + mdat

"""Structure checks of the media files that simulated leads send."""

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from cenat_hub.simulator.sample_files import (
    jpeg_image,
    mp3_audio,
    mp4_video,
    ogg_opus_audio,
    pdf_document,
    png_image,
    webp_image,
)


def ogg_crc_table() -> list[int]:
    table = []
    for index in range(256):
        value = index << 24
        for _ in range(8):
            value = (value << 1) ^ (0x04C11DB7 if value & 0x80000000 else 0)
        table.append(value & 0xFFFFFFFF)
    return table


def ogg_crc(data: bytes) -> int:
    table = ogg_crc_table()
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc


def test_png_chunks_and_pixel() -> None:
    data = png_image(red=1, green=2, blue=3)

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    position = 8
    chunks = {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(
            ">I", data[position + 8 + length : position + 12 + length]
        )
        assert crc == zlib.crc32(kind + body), kind
        chunks[kind] = body
        position += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">II", chunks[b"IHDR"][:8]) == (1, 1)
    assert zlib.decompress(chunks[b"IDAT"]) == b"\x00\x01\x02\x03"


def test_jpeg_markers() -> None:
    data = jpeg_image()

    assert data.startswith(b"\xff\xd8\xff\xe0")
    assert data.endswith(b"\xff\xd9")
    frame_start = data.index(b"\xff\xc0")
    height, width = struct.unpack(">HH", data[frame_start + 5 : frame_start + 9])
    assert (width, height) == (8, 8)
    assert data.count(b"\xff\xc4") == 2
    assert b"\xff\xda" in data


def test_webp_header_and_size() -> None:
    data = webp_image()

    assert data[:4] == b"RIFF"
    assert data[8:16] == b"WEBPVP8L"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    (chunk_size,) = struct.unpack("<I", data[16:20])
    assert len(data) == 20 + chunk_size + chunk_size % 2
    assert data[20] == 0x2F
    (dimensions,) = struct.unpack("<I", data[21:25])
    assert dimensions & 0x3FFF == 0
    assert (dimensions >> 14) & 0x3FFF == 0


def test_pdf_cross_reference_offsets() -> None:
    data = pdf_document("Ficha (teste) de inscrição")

    assert data.startswith(b"%PDF-1.4")
    assert data.rstrip().endswith(b"%%EOF")
    startxref = re.search(rb"startxref\n(\d+)", data)
    assert startxref is not None
    xref_offset = int(startxref.group(1))
    assert data[xref_offset:].startswith(b"xref")
    offsets = re.findall(rb"(\d{10}) 00000 n ", data)
    for number, offset in enumerate(offsets, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number)
    assert b"(Ficha \\(teste\\) de inscri\xe7\xe3o)" in data


def test_ogg_pages_have_valid_crc() -> None:
    data = ogg_opus_audio()

    pages = [page for page in data.split(b"OggS") if page]
    assert len(pages) == 3
    for sequence, page in enumerate(pages):
        page = b"OggS" + page
        stored = struct.unpack("<I", page[22:26])[0]
        zeroed = page[:22] + b"\x00\x00\x00\x00" + page[26:]
        assert stored == ogg_crc(zeroed)
        assert struct.unpack("<I", page[18:22])[0] == sequence
    assert b"OpusHead" in data
    assert b"OpusTags" in data


def test_mp3_frame_length() -> None:
    data = mp3_audio()

    assert data[:2] == b"\xff\xfb"
    assert len(data) == 417


def test_mp4_box_layout() -> None:
    data = mp4_video()

    (ftyp_size,) = struct.unpack(">I", data[:4])
    assert data[4:8] == b"ftyp"
    assert data[8:12] == b"isom"
    (moov_size,) = struct.unpack(">I", data[ftyp_size : ftyp_size + 4])
    assert data[ftyp_size + 4 : ftyp_size + 8] == b"moov"
    mdat_start = ftyp_size + moov_size
    assert data[mdat_start + 4 : mdat_start + 8] == b"mdat"
    assert struct.unpack(">I", data[mdat_start : mdat_start + 4])[0] == (
        len(data) - mdat_start
    )
    chunk_offset = data.index(b"stco") + 12
    assert struct.unpack(">I", data[chunk_offset : chunk_offset + 4])[0] == (
        mdat_start + 8
    )


@pytest.mark.skipif(
    shutil.which("ffprobe") is None, reason="ffprobe is not installed on this machine"
)
def test_mp4_decodes_as_h264(tmp_path: Path) -> None:
    path = tmp_path / "video.mp4"
    path.write_bytes(mp4_video(frames=10, fps=10))

    probe = subprocess.run(  # noqa: S603 - fixed arguments, test file only
        [
            shutil.which("ffprobe") or "ffprobe",
            *("-v", "error", "-count_frames", "-of", "json"),
            *("-show_entries", "stream=codec_name,width,height,nb_read_frames"),
            str(path),
        ],
        capture_output=True,
        check=True,
    )

    stream = json.loads(probe.stdout)["streams"][0]
    assert stream["codec_name"] == "h264"
    assert (stream["width"], stream["height"]) == (16, 16)
    assert stream["nb_read_frames"] == "10"
    assert probe.stderr == b""

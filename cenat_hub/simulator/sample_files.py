"""Tiny media files built in code, so the simulated leads can send real bytes.

The images, the PDF, the Ogg Opus stream, the MP3 frame and the H.264 MP4 are
valid files that ordinary decoders open and browsers play.
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


def mp4_video(frames: int = 10, fps: int = 10) -> bytes:
    """Build a 16x16 H.264 (Baseline) MP4 of ``frames`` frames at ``fps``.

    Every frame is an IDR picture whose only macroblock is stored raw
    (I_PCM), so no transform or entropy coder is needed. The grey level
    changes from frame to frame.
    """
    sps, pps = _h264_sps(), _h264_pps()
    samples = []
    for index in range(frames):
        slice_nal = _h264_idr_slice(index % 2, luma=16 + (index * 20) % 220)
        samples.append(struct.pack(">I", len(slice_nal)) + slice_nal)

    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    placeholder = _mp4_moov(sps, pps, samples, fps, chunk_offset=0)
    chunk_offset = len(ftyp) + len(placeholder) + 8
    moov = _mp4_moov(sps, pps, samples, fps, chunk_offset)
    return ftyp + moov + _box(b"mdat", *samples)


class _MsbBitWriter:
    """Most-significant-bit-first writer with the Exp-Golomb codes of H.264."""

    def __init__(self) -> None:
        self._bits: list[int] = []

    def write(self, value: int, width: int) -> None:
        self._bits.extend((value >> shift) & 1 for shift in range(width - 1, -1, -1))

    def unsigned_golomb(self, value: int) -> None:
        code = value + 1
        self.write(0, code.bit_length() - 1)
        self.write(code, code.bit_length())

    def signed_golomb(self, value: int) -> None:
        self.unsigned_golomb(2 * value - 1 if value > 0 else -2 * value)

    def align_with_zeros(self) -> None:
        self._bits.extend([0] * (-len(self._bits) % 8))

    def write_bytes(self, data: bytes) -> None:
        for byte in data:
            self.write(byte, 8)

    def finish(self) -> bytes:
        """Append the RBSP stop bit and padding; return the bytes."""
        self._bits.append(1)
        self.align_with_zeros()
        values = bytearray()
        for start in range(0, len(self._bits), 8):
            byte = 0
            for bit in self._bits[start : start + 8]:
                byte = (byte << 1) | bit
            values.append(byte)
        return bytes(values)


def _nal_unit(header: int, rbsp: bytes) -> bytes:
    """Wrap an RBSP in a NAL unit, inserting emulation prevention bytes."""
    escaped = bytearray([header])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            escaped.append(3)
            zeros = 0
        escaped.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(escaped)


def _h264_sps() -> bytes:
    """Sequence parameter set: Baseline, level 1.0, one 16x16 macroblock."""
    bits = _MsbBitWriter()
    bits.write(66, 8)  # profile_idc: Baseline
    bits.write(0xC0, 8)  # constraint_set0 and constraint_set1
    bits.write(10, 8)  # level_idc 1.0
    bits.unsigned_golomb(0)  # seq_parameter_set_id
    bits.unsigned_golomb(0)  # log2_max_frame_num_minus4
    bits.unsigned_golomb(2)  # pic_order_cnt_type: output order is decode order
    bits.unsigned_golomb(1)  # max_num_ref_frames
    bits.write(0, 1)  # gaps_in_frame_num_value_allowed_flag
    bits.unsigned_golomb(0)  # pic_width_in_mbs_minus1
    bits.unsigned_golomb(0)  # pic_height_in_map_units_minus1
    bits.write(1, 1)  # frame_mbs_only_flag
    bits.write(1, 1)  # direct_8x8_inference_flag
    bits.write(0, 1)  # frame_cropping_flag
    bits.write(0, 1)  # vui_parameters_present_flag
    return _nal_unit(0x67, bits.finish())


def _h264_pps() -> bytes:
    """Picture parameter set: CAVLC, one slice group, QP 26, no offsets."""
    bits = _MsbBitWriter()
    bits.unsigned_golomb(0)  # pic_parameter_set_id
    bits.unsigned_golomb(0)  # seq_parameter_set_id
    bits.write(0, 2)  # entropy_coding_mode_flag, bottom_field_pic_order_...
    bits.unsigned_golomb(0)  # num_slice_groups_minus1
    bits.unsigned_golomb(0)  # num_ref_idx_l0_default_active_minus1
    bits.unsigned_golomb(0)  # num_ref_idx_l1_default_active_minus1
    bits.write(0, 3)  # weighted_pred_flag, weighted_bipred_idc
    bits.signed_golomb(0)  # pic_init_qp_minus26
    bits.signed_golomb(0)  # pic_init_qs_minus26
    bits.signed_golomb(0)  # chroma_qp_index_offset
    bits.write(0, 3)  # deblocking, constrained intra, redundant_pic_cnt flags
    return _nal_unit(0x68, bits.finish())


def _h264_idr_slice(idr_pic_id: int, luma: int) -> bytes:
    """An IDR slice of one I_PCM macroblock: 256 luma and 128 chroma samples."""
    bits = _MsbBitWriter()
    bits.unsigned_golomb(0)  # first_mb_in_slice
    bits.unsigned_golomb(7)  # slice_type: I, as every slice of the picture
    bits.unsigned_golomb(0)  # pic_parameter_set_id
    bits.write(0, 4)  # frame_num
    bits.unsigned_golomb(idr_pic_id)  # differs between consecutive IDR pictures
    bits.write(0, 2)  # no_output_of_prior_pics_flag, long_term_reference_flag
    bits.signed_golomb(0)  # slice_qp_delta
    bits.unsigned_golomb(25)  # mb_type: I_PCM
    bits.align_with_zeros()  # pcm_alignment_zero_bit
    bits.write_bytes(bytes([luma]) * 256 + bytes([128]) * 128)
    return _nal_unit(0x65, bits.finish())


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_IDENTITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _mp4_moov(
    sps: bytes, pps: bytes, samples: list[bytes], fps: int, chunk_offset: int
) -> bytes:
    """Build the ``moov`` box of one video track whose samples form one chunk."""
    frames = len(samples)
    milliseconds = frames * 1000 // fps
    avc_config = _box(
        b"avcC",
        bytes([1, 66, 0xC0, 10, 0xFF, 0xE1]),
        struct.pack(">H", len(sps)) + sps,
        b"\x01" + struct.pack(">H", len(pps)) + pps,
    )
    sample_entry = _box(
        b"avc1",
        bytes(6) + struct.pack(">H", 1) + bytes(16),
        struct.pack(">HHII", 16, 16, 0x480000, 0x480000),
        bytes(4) + struct.pack(">H", 1) + bytes(32) + struct.pack(">Hh", 0x18, -1),
        avc_config,
    )
    sizes = b"".join(struct.pack(">I", len(sample)) for sample in samples)
    sample_table = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), sample_entry),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, frames, 1)),
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, frames, 1)),
        _full_box(b"stsz", 0, 0, struct.pack(">II", 0, frames), sizes),
        _full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
    )
    data_reference = _full_box(
        b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)
    )
    media_information = _box(
        b"minf",
        _full_box(b"vmhd", 0, 1, bytes(8)),
        _box(b"dinf", data_reference),
        sample_table,
    )
    media = _box(
        b"mdia",
        _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, fps, frames, 0x55C4, 0)),
        _full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00"),
        media_information,
    )
    track_header = _full_box(
        b"tkhd",
        0,
        3,
        struct.pack(">IIIII", 0, 0, 1, 0, milliseconds) + bytes(8),
        struct.pack(">hhhH", 0, 0, 0, 0) + _IDENTITY_MATRIX,
        struct.pack(">II", 16 << 16, 16 << 16),
    )
    movie_header = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, 1000, milliseconds),
        struct.pack(">IH", 0x10000, 0x100) + bytes(10) + _IDENTITY_MATRIX,
        bytes(24) + struct.pack(">I", 2),
    )
    return _box(b"moov", movie_header, _box(b"trak", track_header, media))

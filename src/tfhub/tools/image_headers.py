"""What an image file's header says, read before any decoding: its format and size in pixels
(`read_header`), so that `image_folders` can leave out a decompression bomb (a small file that
declares e.g. 30000 x 30000 pixels) and the BMP files TensorFlow decodes wrongly or not at all,
naming them, before a `tf.data` pipeline would decode them mid-epoch.

Only a few bytes are read (a JPEG's segments before its frame header are skipped, not read);
a file whose header cannot be read is left to the decoder, which names it if it cannot decode it.
TensorFlow refuses a file of another format by its first bytes, decoding nothing;
`undecodable_format` names such a format (an AVIF, HEIC or JPEG XL photo named `x.jpg`) for
the error that lists the files.
"""

from __future__ import annotations

import dataclasses
import os
import struct

from ..utils.regular_files import open_without_waiting

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG frame headers (SOF0-SOF15 but DHT C4, JPG C8 and DAC CC), which hold the image's size.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# JPEG markers without a length: TEM, RST0-RST7, SOI, EOI.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})
_FIRST_READ = 4096  # Bytes read first: a JPEG's frame header is often among them.
_JPEG_MAX_SEGMENTS = 1024  # Segments read before the frame header, at most (a damaged file).
# BMP: the bits per pixel and compressions TensorFlow decodes (24- and 32-bit, uncompressed or
# bit fields); it turns palette BMPs (1, 4, 8 bits, RLE) into wrong pixels, refuses 16-bit ones.
_BMP_BITS_DECODED = frozenset({24, 32})
_BMP_COMPRESSIONS_DECODED = frozenset({0, 3})
# GIF blocks: an image (a frame), an extension, the trailer.
_GIF_IMAGE, _GIF_EXTENSION, _GIF_TRAILER = 0x2C, 0x21, 0x3B
_GIF_READ = 65536  # Bytes read at a time while a GIF's blocks are walked.
# Blocks and sub-blocks walked in a GIF, at most (0.4-0.6 s); a GIF of more is left out (a 1 MB
# frame is ~4,000 sub-blocks; 10 MB of comments, 3 M blocks, took 4.5 s to walk uncapped).
GIF_MAX_STEPS = 1_000_000
# What giflib keeps per frame besides its pixels, in bytes (a byte each): 2 M frames of 1 x 1
# took TensorFlow 194 MB (~100 bytes a frame).
_GIF_FRAME_OVERHEAD = 128
# Frame pixels that count as one pixel: TensorFlow keeps every frame, ~1 byte a pixel (peak RSS
# growth per frame pixel, first frame decoded: 1200 frames of 320 x 240, 1.40; 60 of
# 1280 x 1200, 1.05; 10 of 3000 x 3000, 1.31), where a pixel of the bound stands for ~16 bytes
# (~1.5 GB for 89.5 M: the decoded pixels and a float copy); 8 leaves room.
GIF_FRAME_PIXELS_PER_PIXEL = 8


@dataclasses.dataclass(frozen=True)
class ImageHeader:
    """What a file's header says.

    Attributes:
        format: "JPEG", "PNG", "GIF", "BMP" or "WebP" (from the file's content, not its name).
        width: the width in pixels (a GIF's: its largest frame's, which TensorFlow decodes it
            at, whatever its logical screen says; the screen's if no frame was read).
        height: the height in pixels (a GIF's: as its width).
        unsupported: why TensorFlow cannot decode the file right (e.g. "8-bit palette BMP"),
            or "" if it can.
        frames: the number of frames (a GIF's; 1 for the other formats).
        frame_pixels: the pixels of every frame together (a GIF's: TensorFlow keeps them all,
            a byte each, even to decode the first; a frame counts at least
            `_GIF_FRAME_OVERHEAD`, what giflib keeps for it; 0 for the other formats).
        too_long: a GIF of more than `GIF_MAX_STEPS` blocks and sub-blocks, not walked to its
            end (its size and frames are those read so far).
    """

    format: str
    width: int
    height: int
    unsupported: str = ""
    frames: int = 1
    frame_pixels: int = 0
    too_long: bool = False

    @property
    def pixels(self) -> int:
        """The pixels the image weighs for the decompression-bomb bound: width x height, or
        a GIF's frame pixels together if more, `GIF_FRAME_PIXELS_PER_PIXEL` of them counting
        as one (a frame pixel costs TensorFlow ~1 byte, a decoded pixel ~16)."""
        frames = -(-self.frame_pixels // GIF_FRAME_PIXELS_PER_PIXEL)  # Rounded up.
        return max(self.width * self.height, frames)


def read_header(path: str) -> ImageHeader | None:
    """Reads the format and size of the image at `path` from its header.

    Args:
        path: the file.

    Returns:
        The header; None if the file cannot be read or its header is not one of a JPEG, PNG,
        GIF, BMP or WebP (the decoder then decides, and names the file if it cannot decode it).
    """
    try:
        # Non-blocking: a named pipe given an image's name must not wait for a writer (its
        # read then fails, as a folder's does).
        descriptor = open_without_waiting(path)
    except OSError:
        return None
    try:
        return _parse(descriptor)
    except (OSError, struct.error, ValueError):
        return None
    finally:
        os.close(descriptor)


# Image formats TensorFlow cannot decode (it refuses them by their first bytes, decoding
# nothing), told from those bytes: a photo saved as AVIF, HEIC or JPEG XL, named `x.jpg`.
_ISO_BRANDS = {  # An ISO media file's brand (bytes 8-12, after "ftyp").
    **dict.fromkeys((b"avif", b"avis"), "AVIF"),
    **dict.fromkeys((b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"), "HEIC"),
    **dict.fromkeys((b"mif1", b"msf1"), "HEIF"),
    b"jp2 ": "JPEG 2000",
}
_OTHER_SIGNATURES = (
    (b"\xff\x0a", "JPEG XL"),  # A bare codestream.
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),  # In its container.
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def undecodable_format(path: str) -> str | None:
    """The name of the image format TensorFlow cannot decode that the file at `path` holds,
    whatever its name says ("AVIF", "HEIC", "HEIF", "JPEG XL", "JPEG 2000", "TIFF"), from its
    first 16 bytes; None for another file, or one that cannot be read."""
    try:
        descriptor = open_without_waiting(path)
    except OSError:
        return None
    try:
        start = os.read(descriptor, 16)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    if start[4:8] == b"ftyp":
        return _ISO_BRANDS.get(start[8:12])
    return next((name for sign, name in _OTHER_SIGNATURES if start.startswith(sign)), None)


def _parse(descriptor: int) -> ImageHeader | None:
    """The header of the file open at `descriptor`, or None for an unknown format."""
    start = os.read(descriptor, _FIRST_READ)
    if start.startswith(_PNG_SIGNATURE) and start[12:16] == b"IHDR":
        width, height = struct.unpack(">II", start[16:24])
        return ImageHeader("PNG", width, height)
    if start.startswith(b"GIF8"):  # TensorFlow's sniff: any version (giflib checks "GIF").
        return _gif(descriptor, start)
    if start.startswith(b"BM"):
        return _bmp(start)
    if start[:4] == b"RIFF" and start[8:12] == b"WEBP":
        return _webp(start)
    if start.startswith(b"\xff\xd8"):
        return _jpeg(descriptor, start)
    return None


def _bmp(start: bytes) -> ImageHeader:
    """A BMP's size, and whether TensorFlow decodes its kind of pixels."""
    (info_size,) = struct.unpack("<I", start[14:18])
    if info_size == 12:  # OS/2 1.x BITMAPCOREHEADER: 16-bit sizes, no compression.
        width, height, _, bits = struct.unpack("<HHHH", start[18:26])
        compression = 0
    else:
        width, height, _, bits, compression = struct.unpack("<iiHHI", start[18:34])
    width, height = abs(width), abs(height)  # A negative height: rows stored top-down.
    unsupported = ""
    if bits not in _BMP_BITS_DECODED:
        kind = "palette " if bits <= 8 else ""
        unsupported = f"{bits}-bit {kind}BMP"
    elif compression not in _BMP_COMPRESSIONS_DECODED:
        unsupported = f"compressed BMP (compression {compression})"
    return ImageHeader("BMP", width, height, unsupported)


def _webp(start: bytes) -> ImageHeader | None:
    """A WebP's size, from its first chunk (VP8X: the canvas; VP8L, VP8: the image)."""
    chunk = start[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(start[24:27], "little") + 1
        height = int.from_bytes(start[27:30], "little") + 1
        return ImageHeader("WebP", width, height)
    if chunk == b"VP8L" and start[20:21] == b"\x2f":
        (bits,) = struct.unpack("<I", start[21:25])
        return ImageHeader("WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8 " and start[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", start[26:30])
        return ImageHeader("WebP", width & 0x3FFF, height & 0x3FFF)
    return None


def _gif(descriptor: int, start: bytes) -> ImageHeader:
    """A GIF's size, from its frames' image descriptors (the blocks are walked, their data
    skipped): TensorFlow decodes it at the size of its largest frame, whatever its logical
    screen says (a 190 KB GIF claiming 10 x 10 decoded to 16000 x 16000; one claiming
    10000 x 10000 with a 300 x 200 frame, to 300 x 200), and reads every
    frame first (240 frames of 3000 x 3000: 2.7 GB). A damaged or cut GIF: its frames so far."""
    screen_width, screen_height, flags = struct.unpack("<HHB", start[6:11])
    blocks = _Window(descriptor, start)
    offset = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # After the colour table.
    width, height, frames, frame_pixels, too_long = 0, 0, 0, 0, False
    while not (too_long := blocks.reads >= GIF_MAX_STEPS):
        kind = blocks.at(offset, 1)
        if kind not in (bytes([_GIF_IMAGE]), bytes([_GIF_EXTENSION])):
            break  # The trailer, or a damaged or cut GIF.
        if kind[0] == _GIF_EXTENSION:
            # Introducer, label, first sub-block. giflib (DGifSlurp) then reads sub-blocks up
            # to an empty one, even after an empty first one: `21 FE 00 3B ...` is not a
            # trailer but a 59-byte sub-block, which a frame may follow.
            first = blocks.at(offset + 2, 1)
            if not first:
                break
            offset = _after_sub_blocks(blocks, offset + 3 + first[0])
            continue
        image = blocks.at(offset + 5, 5)
        if len(image) < 5:
            break
        frame_width, frame_height, frame_flags = struct.unpack("<HHB", image)
        width, height = max(width, frame_width), max(height, frame_height)
        frames += 1
        frame_pixels += max(frame_width * frame_height, _GIF_FRAME_OVERHEAD)
        table = 3 << ((frame_flags & 7) + 1) if frame_flags & 0x80 else 0
        offset = _after_sub_blocks(blocks, offset + 10 + table + 1)  # LZW code size: 1 byte.
    if not frames:  # Cut before its first frame (TensorFlow refuses it): the screen's size.
        width, height = screen_width, screen_height
    return ImageHeader("GIF", width, height, "", max(frames, 1), frame_pixels, too_long)


def _after_sub_blocks(blocks: _Window, offset: int) -> int:
    """The offset after the data sub-blocks at `offset` (each a size byte, then that many
    bytes; a size of 0 ends them), or past the file's end if it is cut."""
    while blocks.reads < GIF_MAX_STEPS and (size := blocks.at(offset, 1)):
        offset += 1 + size[0]
        if not size[0]:
            return offset
    return offset


class _Window:
    """Reads a file at any offset through a window of `_GIF_READ` bytes (a GIF's blocks are
    walked a few bytes at a time: one read call per window, not per block)."""

    def __init__(self, descriptor: int, start: bytes) -> None:
        self._descriptor = descriptor
        self._offset, self._bytes = 0, start
        self.reads = 0  # Calls of `at`: a step each (a block or sub-block walked).

    def at(self, offset: int, count: int) -> bytes:
        """`count` bytes at `offset` (fewer at the file's end)."""
        self.reads += 1
        if offset < self._offset or offset + count > self._offset + len(self._bytes):
            self._offset = offset
            self._bytes = os.pread(self._descriptor, max(count, _GIF_READ), offset)
        return self._bytes[offset - self._offset : offset - self._offset + count]


def _jpeg(descriptor: int, start: bytes) -> ImageHeader | None:
    """A JPEG's size, from its frame header (`start`: the file's first bytes); the segments
    before it are skipped, not read."""
    offset = 2
    for _ in range(_JPEG_MAX_SEGMENTS):
        marker = _bytes_at(descriptor, start, offset, 16)
        fill = len(marker) - len(marker[1:].lstrip(b"\xff"))  # 0xFF, then fill bytes.
        if not marker.startswith(b"\xff") or fill >= len(marker):
            return None
        code, offset = marker[fill], offset + fill + 1
        if code in _JPEG_STANDALONE:
            continue
        segment = _bytes_at(descriptor, start, offset, 7)
        (length,) = struct.unpack(">H", segment[:2])
        if code in _JPEG_FRAMES:
            height, width = struct.unpack(">xHH", segment[2:7])
            return ImageHeader("JPEG", width, height)
        if code == 0xDA or length < 2:  # Scan data before any frame header: damaged.
            return None
        offset += length
    return None


def _bytes_at(descriptor: int, start: bytes, offset: int, count: int) -> bytes:
    """`count` bytes of the file at `offset` (fewer at its end): from `start` (its first bytes)
    if they hold them, else read."""
    if offset + count <= len(start):
        return start[offset : offset + count]
    return os.pread(descriptor, count, offset)

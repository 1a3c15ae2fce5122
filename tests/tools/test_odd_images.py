"""Image folders as users have them and as an attacker makes them, through the listing the tools
share (`tfhub.tools.image_folders`, `image_headers`) and their decoding: decompression bombs,
BMPs TensorFlow decodes wrongly, named pipes, links, odd PNGs and JPEGs. (Formats, hidden and
system files, unreadable files: test_image_folders.py.)"""

from __future__ import annotations

import io
import logging
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub import errors
from tfhub.tools import image_decoding, image_folders, image_headers

_RNG = np.random.default_rng(0)
_PIXELS = np.kron(_RNG.integers(0, 256, (8, 8, 3)), np.ones((4, 4, 1))).astype(np.uint8)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _pil_bytes(image: object, format: str, **options: object) -> bytearray:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)  # type: ignore[attr-defined]
    return bytearray(buffer.getvalue())


def _write_bombs(folder: Path) -> dict[str, str]:
    """Small files declaring huge images, by name: what each declares ("W x H")."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    # A PNG of 65000 x 65000 RGB pixels whose first rows are there (824 bytes).
    rows = zlib.compress(b"\x00" * (1 + 65000 * 3) * 4, 9)
    header = struct.pack(">IIBBBBB", 65000, 65000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", rows)
    (folder / "bomb.png").write_bytes(png)
    # A whole JPEG of 8 x 8 pixels whose frame header says 13000 x 13000 (631 bytes):
    # TensorFlow decodes it, grey, in ~10 s and 3 GB.
    jpeg = _pil_bytes(Image.fromarray(np.zeros((8, 8, 3), np.uint8)), "JPEG")
    struct.pack_into(">HH", jpeg, jpeg.index(b"\xff\xc0") + 5, 13000, 13000)
    (folder / "bomb.jpg").write_bytes(jpeg)
    gif = _pil_bytes(Image.fromarray(np.zeros((8, 8), np.uint8), "L"), "GIF")
    # Its frame (TensorFlow decodes a GIF at its largest frame's size, not its logical
    # screen's): the image descriptor, "," then left and top (0), width and height.
    descriptor = gif.index(b",\x00\x00\x00\x00", 13)
    struct.pack_into("<HH", gif, descriptor + 5, 65000, 65000)
    (folder / "bomb.gif").write_bytes(gif)
    bmp = _pil_bytes(Image.fromarray(np.zeros((8, 8, 3), np.uint8)), "BMP")
    struct.pack_into("<ii", bmp, 18, 30000, -30000)  # Top-down rows.
    (folder / "bomb.bmp").write_bytes(bmp)
    webp = _pil_bytes(Image.fromarray(np.zeros((8, 8, 3), np.uint8)), "WEBP", lossless=True)
    assert webp[12:16] == b"VP8L"  # 14 bits of width - 1, then of height - 1.
    bits = struct.unpack_from("<I", webp, 21)[0] & ~0xFFFFFFF
    struct.pack_into("<I", webp, 21, bits | 16383 | 16383 << 14)
    (folder / "bomb.webp").write_bytes(webp)
    return {
        "bomb.png": "65000 x 65000",
        "bomb.jpg": "13000 x 13000",
        "bomb.gif": "65000 x 65000",
        "bomb.bmp": "30000 x 30000",
        "bomb.webp": "16384 x 16384",
    }


def _left_out(caplog: pytest.LogCaptureFixture, words: str) -> str:
    (message,) = [r.getMessage() for r in caplog.records if words in r.getMessage()]
    return message


def test_decompression_bombs_are_left_out_by_name_before_any_decoding(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each was listed, then decoded mid-epoch: the JPEG took 3 GB and 10 s, a PNG of 20000 x
    20000 zeros (390 KB) 6.3 GB and 44 s, several at once (tf.data decodes in parallel) more
    than the machine has. Their headers are read when the folder is listed."""
    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("circle", "square"), per_class=2)
    declared = _write_bombs(root / "square")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        files = image_folders.list_image_files(os.fspath(root))
    assert sorted(os.path.basename(p) for p in files.paths) == [
        "circle_000.jpg", "circle_001.png", "square_000.jpg", "square_001.png"
    ]  # fmt: skip
    message = _left_out(caplog, "decompression bombs")
    assert message.startswith("Left out 5 image(s) of more than 89,478,485 pixels")
    for name, size in declared.items():
        assert f"{root / 'square' / name} ({size})" in message
    assert "raise tfhub.tools.image_folders.MAX_IMAGE_PIXELS" in message


def test_the_bound_is_pillows_and_can_be_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "imgs"
    for name, side in (("small", 30), ("large", 40)):
        (root / name).mkdir(parents=True)
        image_sets.write_image(root / name / "a.png", np.zeros((side, side, 3), np.uint8))
        image_sets.write_image(root / name / "b.jpg", np.zeros((side, side, 3), np.uint8))
    assert image_folders.MAX_IMAGE_PIXELS == 89_478_485  # PIL.Image.MAX_IMAGE_PIXELS.
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", 30 * 30)  # At the bound: kept.
    with pytest.raises(errors.ImageFolderError) as caught:
        image_folders.list_image_files(os.fspath(root))
    extensions = ".bmp, .gif, .jpeg, .jpg, .png, .webp"
    assert f"['large'] hold no image ({extensions}) besides those left out above" in str(
        caught.value
    )
    monkeypatch.setattr(image_folders, "MAX_IMAGE_PIXELS", None)  # No bound.
    assert len(image_folders.list_image_files(os.fspath(root)).paths) == 4


def test_headers_give_format_and_size_and_none_for_anything_else(tmp_path: Path) -> None:
    from PIL import Image

    image = Image.fromarray(_PIXELS[:20])  # 32 wide, 20 high.
    cases = {
        "a.png": ("PNG", {}),
        "b.gif": ("GIF", {}),
        "c.bmp": ("BMP", {}),
        "d.jpg": ("JPEG", {"exif": b"Exif\x00\x00" + b"\x00" * 9000, "progressive": True}),
        "e.webp": ("WEBP", {"lossless": True}),
        "f.webp": ("WEBP", {"quality": 80}),
    }
    for name, (format, options) in cases.items():
        image.save(tmp_path / name, format, **options)
        header = image_headers.read_header(os.fspath(tmp_path / name))
        assert header is not None and (header.width, header.height) == (32, 20), name
        assert header.format.upper() == format and header.unsupported == "", name
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "d.jpg").read_bytes()[:5000])
    for name in ("text.png", "empty.jpg", "cut.jpg", "missing.png"):
        assert image_headers.read_header(os.fspath(tmp_path / name)) is None, name
    assert image_headers.read_header(os.fspath(tmp_path)) is None  # A folder.


@pytest.mark.tf
def test_bmps_tensorflow_decodes_wrongly_are_left_out_by_name_the_others_read_like_pillow(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """TensorFlow decoded 8-bit palette BMPs (plain and RLE) into wrong pixels (mean
    error ~120 levels) without a word, and skipped 1- and 16-bit ones as unreadable."""
    from PIL import Image

    image = Image.fromarray(_PIXELS)
    odd = tmp_path / "imgs" / "odd"
    odd.mkdir(parents=True)
    image.convert("1").save(odd / "bits1.bmp")
    image.quantize(16).save(odd / "colours16.bmp")  # Pillow writes 8 bits.
    image.quantize(200).save(odd / "bits8.bmp")
    image.quantize(200).save(odd / "rle8.bmp", compression="bmp_rle")
    rgb555 = _pil_bytes(Image.fromarray(np.zeros((4, 4, 3), np.uint8)), "BMP")
    struct.pack_into("<H", rgb555, 28, 16)
    (odd / "bits16.bmp").write_bytes(rgb555)
    image.save(odd / "bits24.bmp")
    Image.fromarray(np.dstack([_PIXELS, _PIXELS[..., :1]])).save(odd / "bits32.bmp")
    top_down = _pil_bytes(image, "BMP")
    offset, stride = struct.unpack_from("<I", top_down, 10)[0], 32 * 3
    rows = [top_down[offset + i * stride : offset + (i + 1) * stride] for i in range(32)]
    top_down[offset:] = b"".join(reversed(rows))
    struct.pack_into("<i", top_down, 22, -32)
    (odd / "top_down.bmp").write_bytes(top_down)
    (tmp_path / "imgs" / "plain").mkdir()
    image.save(tmp_path / "imgs" / "plain" / "p.png")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        files = image_folders.list_image_files(os.fspath(tmp_path / "imgs"))
        decoded = image_decoding.decode_images(files, (32, 32))
    message = _left_out(caplog, "BMP image(s)")
    assert message.startswith("Left out 5 BMP image(s) TensorFlow decodes wrongly or not at all")
    for name, why in [
        ("bits1.bmp", "1-bit palette BMP"),
        ("bits16.bmp", "16-bit BMP"),
        ("colours16.bmp", "8-bit palette BMP"),
        ("bits8.bmp", "8-bit palette BMP"),
        ("rle8.bmp", "8-bit palette BMP"),
    ]:
        assert f"{odd / name} ({why})" in message
    assert decoded.skipped == ()
    for path, pixels in zip(decoded.paths, decoded.images, strict=True):
        with Image.open(path) as opened:
            np.testing.assert_array_equal(pixels, np.asarray(opened.convert("RGB")), path)
    assert sorted(Path(p).name for p in decoded.paths) == [
        "bits24.bmp", "bits32.bmp", "p.png", "top_down.bmp"
    ]  # fmt: skip


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_with_an_image_name_is_left_out_not_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Reading it (tf.io.read_file) waited forever for a writer: the run hung in its first
    epoch. So do a link to it, a link to itself and a broken link, named as images."""
    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("circle", "square"), per_class=2)
    os.mkfifo(root / "circle" / "pipe.jpg")
    os.symlink("pipe.jpg", root / "circle" / "to_pipe.png")
    os.symlink("self.jpg", root / "circle" / "self.jpg")
    os.symlink("nowhere.jpg", root / "square" / "broken.jpg")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        files = image_folders.list_image_files(os.fspath(root))
    assert len(files.paths) == 4
    message = _left_out(caplog, "not files")
    assert message.startswith("Left out 4 image name(s) that are not files (a named pipe")
    for name in ("circle/pipe.jpg", "circle/to_pipe.png", "circle/self.jpg", "square/broken.jpg"):
        assert os.fspath(root / name) in message


def test_links_spaces_and_unicode_in_class_folders(tmp_path: Path) -> None:
    """As upstream's flow_from_directory (follow_links=False): a linked class folder is a class
    (its files are listed), links inside a class are not followed, a looping link is no class."""
    root = tmp_path / "imgs"
    image_sets.make_image_folder(root, classes=("circle", "square"), per_class=1)
    os.rename(root / "circle", root / "les cercles é 猫")
    os.symlink(tmp_path / "elsewhere", root / "linked")
    image_sets.make_image_folder(tmp_path / "elsewhere", classes=("ring",), per_class=1)
    os.symlink(root, root / "square" / "up")  # A link to the folder itself, in a class.
    os.symlink("loop", root / "loop")
    files = image_folders.list_image_files(os.fspath(root))
    assert files.labels == ("les cercles é 猫", "linked", "square")
    assert [os.path.relpath(p, root) for p in files.paths] == [
        os.path.join("les cercles é 猫", "circle_000.jpg"),
        os.path.join("linked", "ring", "ring_000.jpg"),
        os.path.join("square", "square_000.jpg"),
    ]


@pytest.mark.tf
def test_pngs_and_jpegs_users_have_read_like_pillow_and_broken_ones_skipped_by_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Progressive JPEG, upper-case extensions, grey+alpha, palette with transparency, RGBA;
    a truncated PNG and JPEG and text named .png are skipped by name (upstream's PIL raised
    mid-epoch on a truncated file)."""
    from PIL import Image

    image = Image.fromarray(_PIXELS)
    odd = tmp_path / "imgs" / "odd"
    odd.mkdir(parents=True)
    image.save(odd / "progressive.jpg", progressive=True, quality=95)
    image.save(odd / "UPPER.JPG", quality=95)
    image.save(odd / "mixed.Jpeg", quality=95)
    Image.fromarray(_PIXELS[..., 0]).convert("LA").save(odd / "grey_alpha.png")
    image.quantize(16).save(odd / "palette_transparent.png", transparency=0)
    Image.fromarray(np.dstack([_PIXELS, _PIXELS[..., :1]])).save(odd / "rgba.png")
    png = _pil_bytes(image, "PNG")
    (odd / "cut.png").write_bytes(png[: len(png) // 2])
    jpeg = _pil_bytes(image, "JPEG")
    (odd / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (odd / "text.png").write_text("hello\n")
    (tmp_path / "imgs" / "plain").mkdir()
    image.save(tmp_path / "imgs" / "plain" / "p.png")
    files = image_folders.list_image_files(os.fspath(tmp_path / "imgs"))
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        decoded = image_decoding.decode_images(files, (32, 32))
    assert sorted(Path(p).name for p in decoded.skipped) == ["cut.jpg", "cut.png", "text.png"]
    assert all(os.fspath(odd / n) in caplog.text for n in ("cut.jpg", "cut.png", "text.png"))
    assert len(decoded.paths) == 7
    for path, pixels in zip(decoded.paths, decoded.images, strict=True):
        with Image.open(path) as opened:
            expected = np.asarray(opened.convert("RGB"), np.int32)
        error = np.abs(pixels.astype(np.int32) - expected)
        # Two JPEG decoders differ by a few levels; PNGs are exact.
        assert error.max() <= (16 if path.lower().endswith(("jpg", "jpeg")) else 0), path


@pytest.mark.tf
def test_module_search_ranks_a_folder_holding_a_bomb(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """module_search decoded every image up front: the 631-byte JPEG took 3 GB and 10 s, a
    few such files all the memory."""
    from tfhub.tools.module_search import lib

    folder = tmp_path / "images"
    shutil.copytree(shape_images, folder)
    _write_bombs(folder / "circle")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        dataset = lib.load_dataset(lib.DataSpec(str(folder), 9))
        results = lib.rank_modules([image_modules["fixed"]], dataset)
    assert len(results) == 1
    assert os.fspath(folder / "circle" / "bomb.jpg (13000 x 13000)") in caplog.text

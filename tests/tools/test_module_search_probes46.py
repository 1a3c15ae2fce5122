"""module_search probed with damaged and disguised images (session 46).

A slightly damaged JPEG (cut short, its end marker kept) still decodes, but libjpeg wrote
"Corrupt JPEG data: premature end of data segment" to stderr, naming no file: now one warning
names the file. An AVIF, HEIC, JPEG XL or WebP named `x.jpg` is seen by its content: a WebP
declaring 30000 x 30000 pixels is left out by the decompression-bomb bound, the others (which
TensorFlow cannot decode) end in one error naming each file and its format, never a decode.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub import errors
from tfhub.tools import image_headers
from tfhub.tools.module_search import datasets, jpeg_warnings, lib
from tfhub.tools.module_search.cli import main as tool_main

_LIBJPEG_LINE = "Corrupt JPEG data: premature end of data segment"


def _jpeg_folder(root: Path) -> dict[str, list[str]]:
    """2 classes x 4 JPEGs of 64 x 64 (JPEG only: every image is libjpeg's to decode)."""
    return image_sets.make_image_folder(
        root, classes=("circle", "square"), per_class=4, sizes=((64, 64),), formats=("jpg",)
    )


def _damage_slightly(path: str) -> None:
    """Cuts the JPEG's last fifth, keeping its end marker: it decodes, libjpeg warns."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) * 4 // 5] + b"\xff\xd9")


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Path, str]:
    files = _jpeg_folder(tmp_path / "images")
    _damage_slightly(files["square"][2])
    return tmp_path / "images", files["square"][2]


@pytest.mark.tf
def test_a_slightly_damaged_jpeg_is_named_in_one_warning(
    damaged: tuple[Path, str], image_modules: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    folder, bad = damaged
    assert tool_main([f"--dataset={folder}", f"--module={image_modules['variable']}"]) == 0
    printed = capfd.readouterr()
    assert printed.out.splitlines()[2].split()[-1] == image_modules["variable"]  # Ranked.
    err = printed.err.splitlines()
    assert not [line for line in err if "Corrupt JPEG data" in line and bad not in line], err
    (warning,) = [line for line in err if bad in line]
    assert warning == (
        f"tfhub: libjpeg found 1 JPEG file(s) of {folder} damaged ({_LIBJPEG_LINE}), decoded "
        f"as far as they could be (a part of the image likely grey or smeared): {bad}. "
        "Replace or remove them for a fair ranking."
    )


@pytest.mark.tf
def test_the_damaged_jpegs_are_looked_for_once_and_only_if_libjpeg_warned(
    damaged: tuple[Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each image size decodes the folder again: the files are looked for (each JPEG decoded
    again, alone) once, and named once; a folder without damaged JPEGs is never searched."""
    folder, bad = damaged
    searched: list[int] = []
    real = jpeg_warnings.warned_files

    def counted(paths: list[str]) -> tuple[str, ...]:
        searched.append(len(paths))
        return real(paths)

    monkeypatch.setattr(jpeg_warnings, "warned_files", counted)
    dataset = datasets.load_dataset(lib.DataSpec(str(folder), None))
    for size in ((32, 32), (40, 40), (32, 32)):
        assert len(list(dataset.batches(size, 8))) == 1
    assert searched == [8]
    named = [record for record in caplog.records if bad in record.getMessage()]
    assert len(named) == 1 and named[0].levelname == "WARNING"
    _jpeg_folder(tmp_path / "healthy")
    healthy = datasets.load_dataset(lib.DataSpec(str(tmp_path / "healthy"), None))
    list(healthy.batches((32, 32), 8))
    assert searched == [8]


def test_other_lines_on_descriptor_2_are_written_as_they_were(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Only libjpeg's warnings are held back; what else native code writes meanwhile reaches
    stderr, and all of it does if the decode fails."""
    warned = jpeg_warnings.Warned()
    with jpeg_warnings.jpeg_warnings_named([], warned, dataset="d"):
        os.write(2, b"W0000 something TensorFlow says\n")
    assert capfd.readouterr().err == "W0000 something TensorFlow says\n"
    with (
        pytest.raises(RuntimeError),
        jpeg_warnings.jpeg_warnings_named([], warned, dataset="d"),
    ):
        os.write(2, f"{_LIBJPEG_LINE}\nother\n".encode())
        raise RuntimeError
    assert capfd.readouterr().err == f"{_LIBJPEG_LINE}\nother\n"
    assert not warned.searched
    # libjpeg warned, but no file of `paths` makes it warn again: its line, not nothing.
    with jpeg_warnings.jpeg_warnings_named([], warned, dataset="d"):
        os.write(2, f"{_LIBJPEG_LINE}\n".encode())
    assert capfd.readouterr().err == f"{_LIBJPEG_LINE}\n"
    assert warned.searched and not caplog.records


@pytest.mark.parametrize(
    "line",
    [
        _LIBJPEG_LINE,
        "Corrupt JPEG data: 12 extraneous bytes before marker 0xd9",
        "Premature end of JPEG file",
        "Invalid SOS parameters for sequential JPEG",
    ],
)
def test_libjpegs_warnings_are_told_from_other_lines(line: str) -> None:
    quoted = f"E0000 decode.cc:9] {line}"  # A line of TensorFlow's quoting it: TensorFlow's.
    text = f"I0000 a TensorFlow line\n{line}\nCorrupt JPEG data is a phrase\n{quoted}\n"
    assert jpeg_warnings.libjpeg_lines(text) == (
        [line],
        ["I0000 a TensorFlow line", "Corrupt JPEG data is a phrase", quoted],
    )


# --- images of another format named x.jpg: seen by their content -------------------------------

_JUNK = bytes(range(256)) * 8


def _saved_by_pillow(format_name: str) -> bytes:
    from PIL import Image

    written = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(written, format=format_name)
    return written.getvalue()


def _webp_declaring(width: int, height: int) -> bytes:
    """A WebP's RIFF header and VP8X chunk declaring a `width` x `height` canvas, then junk."""
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4 + canvas
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x) + len(_JUNK)) + b"WEBP" + vp8x + _JUNK


# name -> (the file's bytes, the format named)
_DISGUISED = {
    "avif": (lambda: _saved_by_pillow("AVIF"), "AVIF"),
    "heic": (lambda: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + _JUNK, "HEIC"),
    "jxl": (lambda: b"\xff\x0a" + _JUNK, "JPEG XL"),
    "jxl-box": (lambda: b"\x00\x00\x00\x0cJXL \r\n\x87\n" + _JUNK, "JPEG XL"),
    "tiff": (lambda: _saved_by_pillow("TIFF"), "TIFF"),
}


@pytest.mark.parametrize("name", sorted(_DISGUISED))
def test_an_image_of_a_format_tensorflow_cannot_decode_is_told_by_its_content(
    name: str, tmp_path: Path
) -> None:
    content, format_name = _DISGUISED[name]
    path = tmp_path / "x.jpg"
    path.write_bytes(content())
    assert image_headers.read_header(str(path)) is None  # No size to bound: never decoded.
    assert image_headers.undecodable_format(str(path)) == format_name


def test_a_jpeg_png_or_webp_is_no_undecodable_format(tmp_path: Path) -> None:
    for index, format_name in enumerate(("JPEG", "PNG", "WEBP", "GIF", "BMP")):
        path = tmp_path / f"{index}.jpg"
        path.write_bytes(_saved_by_pillow(format_name))
        assert image_headers.undecodable_format(str(path)) is None, format_name
    assert image_headers.undecodable_format(str(tmp_path / "missing.jpg")) is None


@pytest.mark.tf
def test_module_search_names_each_disguised_file_and_its_format(
    tmp_path: Path, image_modules: dict[str, str]
) -> None:
    """TensorFlow refuses each by its first bytes (no decode); the error names every file and
    its format, and says which formats TensorFlow decodes."""
    folder = tmp_path / "images"
    _jpeg_folder(folder)
    disguised = {}
    for name in ("avif", "jxl"):
        content, format_name = _DISGUISED[name]
        disguised[str(folder / "circle" / f"{name}.jpg")] = format_name
        (folder / "circle" / f"{name}.jpg").write_bytes(content())
    (folder / "square" / "empty.jpg").write_bytes(b"")  # Of no format: named alone.
    dataset = lib.load_dataset(lib.DataSpec(str(folder), None))
    with pytest.raises(errors.CorruptImageError) as caught:
        lib.rank_modules([image_modules["variable"]], dataset)
    paths = sorted([*disguised, str(folder / "square" / "empty.jpg")])
    assert sorted(caught.value.paths) == paths
    shown = ", ".join(f"{p} ({disguised[p]} image)" if p in disguised else p for p in paths)
    assert str(caught.value) == (
        f"Cannot decode 3 image(s) of {folder}: {shown}. Remove or replace them (TensorFlow "
        "decodes JPEG, PNG, GIF, BMP and WebP only: convert the others to PNG or JPEG). "
        f"Received: dataset='{folder}'"
    )


@pytest.mark.tf
def test_a_webp_named_jpg_is_bounded_as_a_webp(
    tmp_path: Path, image_modules: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A WebP declaring 30000 x 30000 pixels, named x.jpg: left out by the decompression-bomb
    bound, by name, before any decoding; a real small WebP named y.jpg is decoded and ranked."""
    folder = tmp_path / "images"
    _jpeg_folder(folder)
    bomb = folder / "circle" / "x.jpg"
    bomb.write_bytes(_webp_declaring(30000, 30000))
    (folder / "square" / "y.jpg").write_bytes(_saved_by_pillow("WEBP"))
    header = image_headers.read_header(str(bomb))
    assert header is not None and (header.format, header.width, header.height) == (
        "WebP",
        30000,
        30000,
    )
    dataset = lib.load_dataset(lib.DataSpec(str(folder), None))
    assert str(bomb) not in dataset.files.paths and len(dataset.files.paths) == 9
    (left_out,) = [r.getMessage() for r in caplog.records if str(bomb) in r.getMessage()]
    assert f"{bomb} (30000 x 30000)" in left_out and "decompression bombs" in left_out
    (score,) = lib.rank_modules([image_modules["variable"]], dataset)
    assert score.module == image_modules["variable"]

"""module_search probed with damaged and disguised images (session 46).

A slightly damaged JPEG (cut short, its end marker kept) still decodes, but libjpeg wrote
"Corrupt JPEG data: premature end of data segment" to stderr, naming no file: now one warning
names the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers import image_sets

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

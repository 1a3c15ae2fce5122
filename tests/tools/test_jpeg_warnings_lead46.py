"""module_search's search for the JPEGs libjpeg warned of keeps what else reaches descriptor 2
(review46 M2: a line another thread, or TensorFlow, wrote while each JPEG was decoded again was
dropped with the search's spool), and an interrupt during the search (review46 L2: Ctrl-C)
still writes the lines held back from the decode."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers import image_sets

from tfhub.tools.module_search import jpeg_warnings

_LIBJPEG_LINE = "Corrupt JPEG data: premature end of data segment"


def _damaged_jpeg(root: Path) -> str:
    """A JPEG cut short with its end marker kept: it decodes, and libjpeg warns."""
    files = image_sets.make_image_folder(
        root, classes=("circle", "square"), per_class=1, sizes=((64, 64),), formats=("jpg",)
    )
    path = files["circle"][0]
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) * 4 // 5] + b"\xff\xd9")
    return path


@pytest.mark.tf
def test_what_else_is_written_during_the_search_reaches_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorflow")  # Its import's own lines, before the search.
    bad = _damaged_jpeg(tmp_path / "images")
    real = jpeg_warnings.image_decoding.decode_one

    def chatty(*args: object, **kwargs: object) -> object:
        os.write(2, b"W0000 another thread's line\n")  # Written while the search spools fd 2.
        return real(*args, **kwargs)

    monkeypatch.setattr(jpeg_warnings.image_decoding, "decode_one", chatty)
    capfd.readouterr()
    assert jpeg_warnings.warned_files([bad]) == (bad,)
    assert "W0000 another thread's line" in capfd.readouterr().err.splitlines()


def test_an_interrupt_during_the_search_writes_the_held_lines(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def interrupted(paths: object) -> tuple[str, ...]:
        raise KeyboardInterrupt

    monkeypatch.setattr(jpeg_warnings, "warned_files", interrupted)
    with (
        pytest.raises(KeyboardInterrupt),
        jpeg_warnings.jpeg_warnings_named(["x.jpg"], jpeg_warnings.Warned(), dataset="d"),
    ):
        os.write(2, f"{_LIBJPEG_LINE}\n".encode())
    assert capfd.readouterr().err == f"{_LIBJPEG_LINE}\n"

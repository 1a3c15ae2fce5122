"""Session 48's fix of review48c F2: module_search on a JPEG that cannot be decoded at all printed
"libjpeg found 1 JPEG file(s) ... damaged ..., decoded as far as they could be: bad.jpg" and then
"Cannot decode 1 image(s) ...: bad.jpg", plus libjpeg's bare "Input file read error" twice (once
from the decode, once from the search for the files libjpeg warned of), naming no file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests._helpers import image_sets

from tfhub import errors
from tfhub.tools.module_search import lib

pytestmark = pytest.mark.tf

_DECODED_AS_FAR = "decoded as far as they could be"


def _folder(root: Path) -> Path:
    """Two classes of three small JPEGs each."""
    image_sets.make_image_folder(
        root, classes=("circle", "square"), per_class=3, sizes=((32, 32),), formats=("jpg",)
    )
    return root


def _damaged_jpeg(path: str) -> str:
    """Cuts a JPEG short, its end marker kept: it decodes, and libjpeg warns."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) * 4 // 5] + b"\xff\xd9")
    return path


def _read(folder: Path) -> errors.CorruptImageError:
    """The error of reading the folder's images as module_search reads them."""
    dataset = lib.load_dataset(lib.DataSpec(str(folder)))
    with pytest.raises(errors.CorruptImageError) as caught:
        next(dataset.batches((32, 32), 8))
    return caught.value


def test_an_undecodable_jpeg_is_named_once_by_the_error_only(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("tensorflow")
    folder = _folder(tmp_path / "images")
    bad = image_sets.write_corrupt_image(folder / "circle" / "bad.jpg")
    capfd.readouterr()  # TensorFlow's import lines.
    with caplog.at_level(logging.WARNING):
        error = _read(folder)
    assert error.paths == [bad]
    assert not [r.getMessage() for r in caplog.records if _DECODED_AS_FAR in r.getMessage()]
    err = capfd.readouterr().err
    assert "Input file read error" not in err, err
    assert "unknown JFIF revision number" not in err, err


def test_a_damaged_jpeg_beside_an_undecodable_one_is_told_apart(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The damaged JPEG, which decodes, is named as decoded as far as it could be; the one that
    cannot be decoded only by the error; neither's libjpeg line is left bare."""
    pytest.importorskip("tensorflow")
    folder = _folder(tmp_path / "images")
    damaged = _damaged_jpeg(str(folder / "square" / "square_001.jpg"))
    bad = image_sets.write_corrupt_image(folder / "circle" / "bad.jpg")
    capfd.readouterr()
    with caplog.at_level(logging.WARNING):
        error = _read(folder)
    assert error.paths == [bad]
    (warning,) = [r.getMessage() for r in caplog.records if _DECODED_AS_FAR in r.getMessage()]
    assert "libjpeg found 1 JPEG file(s)" in warning and damaged in warning, warning
    assert bad not in warning and "unknown JFIF revision number" not in warning, warning
    err = capfd.readouterr().err
    assert "Input file read error" not in err and "Corrupt JPEG data" not in err, err

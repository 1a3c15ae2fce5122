"""Upstream's file_utils helpers writing to a URL (gs://, ram://) stage what they send in a
temporary folder: when Python has none it can use, the error says so and names TMPDIR."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

pytest.importorskip("tensorflow")
from tfhub import errors, file_utils

pytestmark = pytest.mark.tf


def _archive() -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        member = tarfile.TarInfo("model/saved_model.pb")
        member.size = 5
        archive.addfile(member, io.BytesIO(b"hello"))
    return data.getvalue()


@pytest.fixture
def no_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Python's temporary folder set to one that does not exist (as `tempfile.tempdir`)."""
    missing = tmp_path / "gone"
    monkeypatch.setattr("tempfile.tempdir", str(missing))
    return missing


def test_extract_file_to_a_url_without_a_temporary_folder(no_temporary_folder: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(_archive()), mode="r:gz") as archive:
        member = archive.getmember("model/saved_model.pb")
        with pytest.raises(errors.TempFolderError, match="TMPDIR") as caught:
            file_utils.extract_file(archive, member, "ram://tfhub-lead44-tmp/a/saved_model.pb")
    assert isinstance(caught.value, FileNotFoundError)
    assert "ram://tfhub-lead44-tmp/a/saved_model.pb" in str(caught.value)


def test_extract_tarfile_to_a_url_without_a_temporary_folder(no_temporary_folder: Path) -> None:
    with pytest.raises(errors.TempFolderError, match="TMPDIR") as caught:
        file_utils.extract_tarfile_to_destination(
            io.BytesIO(_archive()), "ram://tfhub-lead44-tmp/b"
        )
    assert "ram://tfhub-lead44-tmp/b" in str(caught.value)


def test_a_local_destination_needs_no_temporary_folder(
    no_temporary_folder: Path, tmp_path: Path
) -> None:
    file_utils.extract_tarfile_to_destination(io.BytesIO(_archive()), str(tmp_path / "out"))
    assert (tmp_path / "out" / "model" / "saved_model.pb").read_bytes() == b"hello"

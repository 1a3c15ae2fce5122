"""Upstream's file_utils helpers writing to a URL (gs://, ram://) stage what they send in a
temporary folder: when Python has none it can use, the error says so and names TMPDIR."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests._helpers import mounts
from tests._helpers.python_process import run_python

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


def _big_archive(size: int) -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        member = tarfile.TarInfo("big.bin")
        member.size = size
        archive.addfile(member, io.BytesIO(b"\0" * size))
    return data.getvalue()


@pytest.fixture
def small_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Python's temporary folder on a 1 MiB disk of its own (a real tmpfs)."""
    with mounts.tmpfs(tmp_path / "small", "size=1m") as disk:
        monkeypatch.setattr("tempfile.tempdir", str(disk))
        yield disk


def test_extract_file_to_a_url_with_a_full_temporary_folder(small_temporary_folder: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(_big_archive(3 << 20))) as archive:
        member = archive.getmember("big.bin")
        with pytest.raises(errors.DiskFullError, match="TMPDIR") as caught:
            file_utils.extract_file(archive, member, "ram://tfhub-lead44-full/big.bin")
    assert str(small_temporary_folder) in str(caught.value)
    assert list(small_temporary_folder.iterdir()) == []  # The staged part is gone.


def test_extract_tarfile_to_a_url_with_a_full_temporary_folder(
    small_temporary_folder: Path,
) -> None:
    with pytest.raises(errors.DiskFullError, match="TMPDIR") as caught:
        file_utils.extract_tarfile_to_destination(
            io.BytesIO(_big_archive(3 << 20)), "ram://tfhub-lead44-full/tree"
        )
    assert str(small_temporary_folder) in str(caught.value)
    assert "while extracting" not in str(caught.value), str(caught.value)  # One sentence.
    assert list(small_temporary_folder.iterdir()) == []


@pytest.mark.parametrize("form", [Path, os.fsencode], ids=["pathlib", "bytes"])
def test_extract_file_takes_a_local_path_object(tmp_path: Path, form: Callable) -> None:
    with tarfile.open(fileobj=io.BytesIO(_archive()), mode="r:gz") as archive:
        member = archive.getmember("model/saved_model.pb")
        file_utils.extract_file(archive, member, form(str(tmp_path / "x.pb")))
    assert (tmp_path / "x.pb").read_bytes() == b"hello"


@pytest.mark.parametrize("form", [Path, os.fsencode], ids=["pathlib", "bytes"])
def test_extract_tarfile_takes_a_local_path_object(tmp_path: Path, form: Callable) -> None:
    file_utils.extract_tarfile_to_destination(io.BytesIO(_archive()), form(str(tmp_path / "o")))
    assert (tmp_path / "o" / "model" / "saved_model.pb").read_bytes() == b"hello"


FILE_SIZE_LIMIT = """
import io, resource, tarfile
from tfhub import errors, file_utils
data = io.BytesIO()
with tarfile.open(fileobj=data, mode="w") as archive:
    member = tarfile.TarInfo("big.bin")
    member.size = 300_000
    archive.addfile(member, io.BytesIO(bytes(300_000)))
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
for call in ("file", "tree"):
    data.seek(0)
    try:
        if call == "file":
            with tarfile.open(fileobj=data) as archive:
                file_utils.extract_file(archive, archive.getmember("big.bin"), "ram://l44/b")
        else:
            file_utils.extract_tarfile_to_destination(data, "ram://l44/t")
    except errors.CacheError as err:
        print(call, type(err).__name__, "TMPDIR" in str(err), "ulimit" in str(err))
"""


def test_a_file_over_the_size_limit_while_staging_names_tmpdir() -> None:
    """Python ignores SIGXFSZ: a write over `ulimit -f` fails with EFBIG."""
    out = run_python(FILE_SIZE_LIMIT, timeout=120).stdout
    assert out.splitlines() == ["file CacheError True True", "tree CacheError True True"], out

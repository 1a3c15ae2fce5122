"""`resolver.atomic_download` takes its `module_dir` as a `pathlib.Path` (or bytes), as its
siblings `create_local_module_dir` and `DownloadManager.download_and_uncompress` take theirs: a
resolver that builds `Path(cache) / name` got a bare "'PosixPath' object is not subscriptable"
(rf51c-F7)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import resolver


def _fill(handle: str, tmp_dir: str) -> None:
    Path(tmp_dir, "saved_model.pb").write_bytes(b"\x08\x01")


@pytest.mark.parametrize("kind", [Path, os.fsencode])
def test_module_dir_as_a_path_or_bytes_names_the_same_entry(tmp_path: Path, kind) -> None:
    module_dir = kind(tmp_path / "entry")
    assert resolver.atomic_download("h", _fill, module_dir) == module_dir  # As given.
    assert (tmp_path / "entry" / "saved_model.pb").is_file()
    assert (tmp_path / "entry.descriptor.txt").read_text().startswith("Module: h\n")
    # Complete now: the same entry, named as a str, is not downloaded again.
    assert resolver.atomic_download("h", None, str(tmp_path / "entry")) == str(tmp_path / "entry")

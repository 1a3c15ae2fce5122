"""rf53f-F2: `tfhub cache verify` checks every file of an entry and, finding one of another size,
says DAMAGED (exit 1) with help "`tfhub cache prune` removes it"; but prune looked only at
resolve's bounded sample of files, said "Nothing to prune" and left the entry, so verify failed
again after every prune. Prune now finds what verify finds (every file's size)."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from tfhub.cache import bookkeeping
from tfhub.cli.main import main

HANDLE = "https://h.example/models/many-files/1"


def _entry_of_many_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Imports a model of 200 small assets (more than resolve's sample); returns its folder."""
    model = tmp_path / "model"
    (model / "assets").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"\x08\x01" * 50)
    for number in range(200):
        (model / "assets" / f"f{number}").write_bytes(b"x" * 100)
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for item in sorted(model.rglob("*")):
            tar.add(item, arcname=str(item.relative_to(model)), recursive=False)
    capsys.readouterr()
    assert main(["import", str(archive), "--handle", HANDLE]) == 0
    return capsys.readouterr().out.strip()  # `import` prints the entry's folder.


def _unsampled_file(entry: str) -> str:
    header = bookkeeping.read_header(entry)
    assert header is not None
    return next(f"assets/f{n}" for n in range(200) if f"assets/f{n}" not in header.sample)


def test_prune_removes_an_entry_verify_finds_damaged_outside_the_sample(
    isolated_cache, tmp_path, capsys
):
    entry = _entry_of_many_files(tmp_path, capsys)
    assert os.path.isdir(entry), entry
    damaged = _unsampled_file(entry)
    os.truncate(os.path.join(entry, *damaged.split("/")), 0)
    assert main(["cache", "verify"]) == 1
    assert f"DAMAGED: {damaged} has 0 bytes instead of 100" in capsys.readouterr().out
    assert main(["cache", "prune", "--dry-run"]) == 0
    planned = capsys.readouterr().out
    assert planned.startswith(f"would remove {entry} (damaged entry: {damaged} has 0 bytes"), (
        planned
    )
    assert main(["cache", "prune"]) == 0
    assert not os.path.exists(entry), capsys.readouterr().out
    assert main(["cache", "verify"]) == 0

"""Issue 13 from the command line, as a user meets it: for an entry of many files, `tfhub cache
list` shows the size recorded at install (it walks no files), `tfhub resolve` checks a bounded
sample (a file outside it may be gone), and `tfhub cache verify` checks every file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import cache
from tfhub.cli.main import main
from tfhub.download import atomic_download

URL = "https://example.invalid/many-files.tar.gz"  # Never fetched: the entry is made here.
FILES = {f"assets/f{i:04d}": b"x" for i in range(500)}


def _fill(target: str) -> None:
    os.makedirs(os.path.join(target, "assets"))
    for name, data in FILES.items():
        with open(os.path.join(target, name), "wb") as handle:
            handle.write(data)


def test_list_shows_recorded_sizes_resolve_samples_verify_checks_all(
    isolated_cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = atomic_download(URL, _fill)
    sample = cache.read_header(path).sample
    gone = next(rel for rel in sorted(FILES) if rel not in sample)
    os.remove(os.path.join(path, gone))  # As a temp cleaner might: one file of 500.
    monkeypatch.setenv("TFHUB_OFFLINE", "1")

    assert main(["cache", "list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.split("\t")[1] == "500 B" and line.endswith(URL)  # Recorded, not walked: 499.
    assert main(["resolve", URL]) == 0  # The hot path: header and a bounded sample only.
    assert capsys.readouterr().out.strip() == path
    assert main(["cache", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"DAMAGED: {gone} is missing" in out

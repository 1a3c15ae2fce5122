"""The `tfhub pack` command `tfhub import FOLDER` suggests (rvfix60f), for a folder named like an
option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub


def test_import_of_a_folder_named_like_an_option_suggests_a_pack_command_that_pastes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "-x").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "cache"))
    code, out, err = run_tfhub(capsys, "import", "--handle", "https://h.example/m/1", "--", "-x")
    assert code != 0, out
    assert "tfhub pack ./-x -o " in err, err

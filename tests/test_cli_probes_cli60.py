"""Probes of the `tfhub` command line (session 60, cli60): what users do that no test covered.

A non-UTF-8 path given to a command that refuses it: docs/cli.md promises that an error line
says each byte of such a name as `\\xff` (where Python writes `\\udcff`); the `Received: ...='...'`
part of many messages (the repr of the argument) still said `\\udcff`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

_NAME = os.fsdecode(b"mod\xffel")  # A file name that is not UTF-8, as Python decodes it.


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("validate", f"no-{_NAME}"), 7),
        (("import", f"{_NAME}.tar.gz", "--handle", "https://example.com/m/1"), 7),
        (("pull", f"/models/{_NAME}"), 2),
    ],
    ids=["validate", "import", "pull"],
)
def test_error_line_says_a_non_utf8_byte_as_xff(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], code: int
) -> None:
    got, out, err = run_tfhub(capsys, *argv)
    assert (got, out) == (code, "")
    assert err.startswith("tfhub: ") and err.count("\n") == 1, err
    assert "mod\\xffel" in err and "\\udc" not in err, err

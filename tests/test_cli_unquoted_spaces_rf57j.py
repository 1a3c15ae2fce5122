"""A path holding spaces typed without quotes (`tfhub resolve /models/my model`) is a usage error
that says to quote it and names the path: argparse said only "unrecognized arguments: model",
the second half of the path, and not what to do.

Each case fails at parse time (exit 2, the command's usage): nothing is resolved or written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub


@pytest.fixture
def spaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding `my model/` (a folder) and `my model v2.tar.gz` (a file)."""
    (tmp_path / "my model").mkdir()
    (tmp_path / "my model v2.tar.gz").write_bytes(b"not looked at")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "extra", "quoted"),
    [
        (["resolve", "my", "model"], "model", "'my model'"),
        (["inspect", "my", "model", "--json"], "model", "'my model'"),
        (["pack", "my", "model", "-o", "m.tar.gz"], "model", "'my model'"),
        (
            ["import", "my", "model", "v2.tar.gz", "--handle", "https://h/m/1"],
            "model v2.tar.gz",
            "'my model v2.tar.gz'",
        ),
    ],
)
def test_unquoted_path_is_named_and_said_to_quote(
    capsys: pytest.CaptureFixture[str], spaced: Path, args: list[str], extra: str, quoted: str
) -> None:
    before = sorted(spaced.iterdir())
    code, out, err = run_tfhub(capsys, *args)
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"usage: tfhub {args[0]} "), err
    assert lines[-1] == (
        f"tfhub {args[0]}: error: unrecognized arguments: {extra}. A path holding spaces is "
        f"one argument: quote it, as {quoted}"
    ), err
    assert sorted(spaced.iterdir()) == before  # No cache, no archive.


@pytest.mark.parametrize(
    ("args", "last"),
    [
        (["inspect", "my", "--jsn"], "unrecognized arguments: --jsn"),  # A mistyped option.
        (["resolve", "a", "b"], "unrecognized arguments: b"),  # No `a b` here: no guess.
    ],
)
def test_no_path_no_hint(
    capsys: pytest.CaptureFixture[str], spaced: Path, args: list[str], last: str
) -> None:
    code, _, err = run_tfhub(capsys, *args)
    assert code == 2, err
    assert err.splitlines()[-1] == f"tfhub {args[0]}: error: {last}"

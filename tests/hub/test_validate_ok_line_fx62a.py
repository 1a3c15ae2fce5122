"""`tfhub validate ROOT` says on stdout that it found no problem, and how many docs it checked.

It printed nothing on success (exit 0), so a user could not tell a checked hub from a command
that did nothing; `publish` says what it wrote. Now one line, `OK: ROOT: N doc(s) checked`;
with problems, the problem lines as before and no such line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

DATA = Path(__file__).parents[1] / "data" / "hub_docs"


def _docs(root: Path) -> int:
    return len(list((root / "assets" / "docs").rglob("*.md")))


def test_a_valid_hub_gets_one_ok_line_counting_its_docs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = DATA / "valid"
    code, out, err = run_tfhub(capsys, "validate", str(root))
    assert code == 0, err
    assert out == f"OK: {root}: {_docs(root)} doc(s) checked\n"
    assert _docs(root) == 8


def test_a_hub_without_docs_says_it_checked_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "assets" / "docs").mkdir(parents=True)
    assert run_tfhub(capsys, "validate", str(tmp_path))[:2] == (
        0,
        f"OK: {tmp_path}: 0 doc(s) checked\n",
    )


def test_a_hub_with_problems_gets_no_ok_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_tfhub(capsys, "validate", str(DATA / "broken"))
    assert code == 1
    assert "OK:" not in out and out.count("\n") >= 1
    assert err.splitlines()[-1].endswith("problem(s)")


def test_warnings_alone_keep_the_ok_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A warning (an image on another host, on stderr) fails nothing: the OK line is there."""
    root = tmp_path / "hub"
    shutil.copytree(DATA / "valid", root)
    doc = root / "assets/docs/example/models/text-embedding/1.md"
    doc.write_text(doc.read_text() + "\n![Chart](https://cdn.example.com/chart.png)\n")
    code, out, err = run_tfhub(capsys, "validate", str(root))
    assert code == 0, err
    assert "warning:" in err
    assert out == f"OK: {root}: 8 doc(s) checked\n"

"""An option of a `tfhub` command that takes one value, given twice with different values, is a
usage error (exit 2, the command's usage), as `python -m tfhub` runs it: argparse kept the
last silently, so `tfhub import F --handle A --handle B` wrote under one of two names typed.

Every case fails at parse time: no TensorFlow is imported, nothing is written.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests._helpers.python_process import run_tfhub


def _tfhub(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `python -m tfhub ARGS` in `tmp_path`, with its cache under `tmp_path/cache`."""
    return run_tfhub(*args, cwd=tmp_path, TFHUB_CACHE_DIR=str(tmp_path / "cache"), TFHUB_OFFLINE="")


def _files(root: Path) -> set[Path]:
    return {path.relative_to(root) for path in root.rglob("*")}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding an archive, a model folder and a hub folder, nothing else."""
    (tmp_path / "model.tar.gz").write_bytes(b"not looked at")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "saved_model.pb").write_bytes(b"not looked at")
    (tmp_path / "hub" / "assets" / "docs").mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "option", "first", "second"),
    [
        (
            ["import", "model.tar.gz", "--handle", "https://h/m/1", "--handle", "https://h/m/2"],
            "--handle",
            "https://h/m/1",
            "https://h/m/2",
        ),
        (  # An abbreviation and the = form are the same option.
            [
                "import",
                "model.tar.gz",
                "--handle=https://h/a/1",
                "--force",
                "--hand",
                "https://h/b/1",
            ],
            "--handle",
            "https://h/a/1",
            "https://h/b/1",
        ),
        (
            ["publish", "model", "hub", "--handle", "x/m/1", "--handle", "y/m/1"],
            "--handle",
            "x/m/1",
            "y/m/1",
        ),
        (
            [
                "publish",
                "model",
                "hub",
                "--handle",
                "x/m/1",
                "--license",
                "mit",
                "--license",
                "gpl",
            ],
            "--license",
            "mit",
            "gpl",
        ),
        (["mirror", "h", "hub", "--as", "x/m/1", "--as", "x/m/2"], "--as", "x/m/1", "x/m/2"),
        (["serve", "hub", "--port", "1", "--port", "2"], "--port", "1", "2"),
        (["serve", "hub", "--host", "a", "--workers", "2", "--host", "b"], "--host", "a", "b"),
    ],
)
def test_single_value_option_given_twice_is_a_usage_error(
    workdir: Path, args: list[str], option: str, first: str, second: str
) -> None:
    before = _files(workdir)
    done = _tfhub(workdir, *args)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"usage: tfhub {args[0]} "), done.stderr
    assert lines[-1] == (
        f"tfhub {args[0]}: error: argument {option}: given twice, with different values: give "
        f"it once. Received: {option}='{first}' and {option}='{second}'"
    ), done.stderr
    assert _files(workdir) == before  # No cache entry, no hub file.


def test_both_spellings_of_one_option_are_one_option(workdir: Path) -> None:
    """`pack -o A --output B`: both named as the user typed them."""
    done = _tfhub(workdir, "pack", "model", "-o", "a.tar.gz", "--output", "b.tar.gz")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0].startswith("usage: tfhub pack ")
    assert "argument -o/--output: given twice" in done.stderr
    assert "Received: -o='a.tar.gz' and --output='b.tar.gz'" in done.stderr
    assert not (workdir / "a.tar.gz").exists() and not (workdir / "b.tar.gz").exists()


def test_the_same_value_twice_is_accepted(workdir: Path) -> None:
    """Given twice alike, the option is not refused: the command runs (and here finds no
    archive: not found, 7)."""
    done = _tfhub(
        workdir, "import", "missing.tar.gz", "--handle", "https://h/m/1", "--handle=https://h/m/1"
    )
    assert done.returncode == 7, done.stderr
    assert "given twice" not in done.stderr
    assert "missing.tar.gz does not exist" in done.stderr


def test_flags_and_repeatable_arguments_still_repeat(workdir: Path) -> None:
    """A flag (`--json`) or an argument that takes many values (`cache rm`'s) is not refused."""
    listed = _tfhub(workdir, "cache", "list", "--json", "--json")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "[]"
    removed = _tfhub(workdir, "cache", "rm", "https://h/m/1", "https://h/m/2")
    assert "given twice" not in removed.stderr
    assert removed.returncode != 2, removed.stderr

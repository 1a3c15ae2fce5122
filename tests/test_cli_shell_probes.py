"""The `tfhub` command as shells and scripts run it: a real process whose stdout is a pipe the
reader closed, a full disk (/dev/full) or an ASCII-only stream, and --help on a wide terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import child_env

from tfhub.cli.main import build_parser


def _tfhub(*argv: str, stdout: Any, unbuffered: str = "", **env: str) -> Any:
    """Runs `python -m tfhub.cli.main ARGV` with stdout `stdout`; stderr is captured."""
    return subprocess.run(
        [sys.executable, "-m", "tfhub.cli.main", *argv],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=child_env(PYTHONUNBUFFERED=unbuffered, **env),
        timeout=60,
    )


def _into_a_closed_pipe(*argv: str, unbuffered: str = "", **env: str) -> Any:
    """Runs tfhub with stdout a pipe whose reader has gone (`tfhub ... | head -1`, head done)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return _tfhub(*argv, stdout=write, unbuffered=unbuffered, **env)
    finally:
        os.close(write)


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    """A local model folder (as `tfhub resolve` takes it) whose name is not ASCII."""
    folder = tmp_path / "mod\u00e8le"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"x")
    return folder


@pytest.mark.parametrize("unbuffered", ["", "1"])
@pytest.mark.parametrize("argv", [["--help"], ["cache", "--help"], ["--version"]], ids=" ".join)
def test_help_into_a_closed_pipe_ends_quietly(argv: list[str], unbuffered: str) -> None:
    """`tfhub --help | head -1`: Python's flush at exit failed, printing "Exception ignored
    ... BrokenPipeError" and exiting 120 (with PYTHONUNBUFFERED=1 argparse hid it: exit 0)."""
    done = _into_a_closed_pipe(*argv, unbuffered=unbuffered)
    assert (done.returncode, done.stderr) == (141, b"")


def test_pull_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`tfhub pull H | head -0` (unbuffered) said "tfhub: OS error: [Errno 32] Broken pipe" and
    exited 1: pull reported the failed print as the handle's failure. (H: a cached URL; pull
    refuses a local folder.)"""
    handle = "https://host.invalid/models/m/1"
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    imported = _tfhub("import", archive, "--handle", handle, stdout=subprocess.DEVNULL)
    assert imported.returncode == 0, imported.stderr
    done = _into_a_closed_pipe("pull", handle, unbuffered="1")
    assert (done.returncode, done.stderr) == (141, b"")


@pytest.mark.parametrize("unbuffered", ["", "1"])
@pytest.mark.parametrize(
    "argv", [["--help"], ["--version"], ["cache", "list"], ["resolve", "{model}"]], ids=" ".join
)
def test_output_to_a_full_disk_is_one_line_and_fails(
    argv: list[str], unbuffered: str, model_folder: Path, tmp_path: Path
) -> None:
    """`tfhub cache list > /dev/full` printed its error line, then "Exception ignored ...
    OSError" and exited 120; `tfhub --help > /dev/full` did the same (or, unbuffered, lost the
    help and exited 0)."""
    argv = [part.format(model=model_folder) for part in argv]
    with open("/dev/full", "wb") as full:
        done = _tfhub(*argv, stdout=full, unbuffered=unbuffered, TFHUB_CACHE_DIR=str(tmp_path))
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert err.count("\n") == 1 and err.startswith("tfhub: "), err
    assert "stdout" in err and "No space left on device" in err, err


def test_non_ascii_names_on_an_ascii_stdout_are_escaped(model_folder: Path, tmp_path: Path) -> None:
    """With PYTHONIOENCODING=ascii, `tfhub resolve` of a folder named `mod\u00e8le` and `tfhub
    cache list` of a handle with `\u00fc` said "invalid value: 'ascii' codec can't encode
    character" and exited 2: the output is written with the character escaped instead."""
    cache_dir = tmp_path / "cache"
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    env = {"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "TFHUB_CACHE_DIR": str(cache_dir)}
    handle = "https://h/\u00fc.tar.gz"
    imported = _tfhub("import", str(archive), "--handle", handle, stdout=subprocess.PIPE, **env)
    assert imported.returncode == 0, imported.stderr
    listed = _tfhub("cache", "list", stdout=subprocess.PIPE, **env)
    resolved = _tfhub("resolve", str(model_folder), stdout=subprocess.PIPE, **env)
    assert (listed.returncode, listed.stderr) == (0, b"")
    assert listed.stdout.rstrip(b"\n").endswith(b"\thttps://h/\\xfc.tar.gz")
    assert (resolved.returncode, resolved.stderr) == (0, b"")
    assert resolved.stdout == os.fsencode(model_folder).replace(b"\xc3\xa8", b"\\xe8") + b"\n"


def _help_texts() -> dict[str, str]:
    """`tfhub ... --help` of the program and of every subcommand, as argparse formats it."""
    import argparse

    texts = {}

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        texts[name] = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}")

    walk(build_parser(), "tfhub")
    return texts


@pytest.mark.parametrize("columns", ["80", "200"])
def test_every_help_fits_100_columns(monkeypatch: pytest.MonkeyPatch, columns: str) -> None:
    """The descriptions of `tfhub --help` and of most subcommands were one line each, up to
    313 columns: RawDescriptionHelpFormatter kept them as written, unwrapped."""
    monkeypatch.setenv("COLUMNS", columns)
    too_wide = {
        name: max(text.splitlines(), key=len)
        for name, text in _help_texts().items()
        if max(map(len, text.splitlines())) > 100
    }
    assert too_wide == {}


@pytest.mark.parametrize(
    "module",
    [
        "tfhub.tools.make_image_classifier.cli",
        "tfhub.tools.make_nearest_neighbour_index.cli",
        "tfhub.tools.module_search.cli",
    ],
)
def test_the_tools_help_into_a_closed_pipe_ends_quietly(module: str) -> None:
    """`make_image_classifier --help | head -1` (and the other tools' console scripts) ended
    with "Exception ignored ... BrokenPipeError" and exit 120, as `tfhub --help` did."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; from {module} import main; sys.exit(main())",
                "--help",
            ],
            stdin=subprocess.DEVNULL,
            stdout=write,
            stderr=subprocess.PIPE,
            env=child_env(PYTHONUNBUFFERED=""),
            timeout=60,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, b"")

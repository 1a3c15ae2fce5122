"""`tfhub import -` names its archive "standard input", as the user gave it (session 53).

docs/cli.md: `tfhub import` "reads an archive from a pipe, as it comes, given as `-` (as tar takes
it) or `/dev/stdin`". Given `-`, its messages named `/dev/stdin` ("tfhub: not a model archive:
/dev/stdin does not appear to be a valid module", "Received: archive='/dev/stdin'", "pass --force
to replace it with /dev/stdin"), a path the user never typed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import child_env

HANDLE = "https://host.invalid/models/m/1"

# The name docs/cli.md gives `-`, and what the messages end with.
NAME = "standard input"


def _import(cache: Path, **how: Any) -> subprocess.CompletedProcess[str]:
    """`tfhub import - --handle HANDLE`, its standard input as `how` says (`stdin=`, `input=`,
    `preexec_fn=`: subprocess.run's)."""
    return subprocess.run(
        [sys.executable, "-m", "tfhub", "import", "-", "--handle", HANDLE],
        capture_output=True,
        text=True,
        env=child_env(TFHUB_CACHE_DIR=str(cache)),
        timeout=60,
        **how,
    )


def test_a_stream_that_is_no_archive_is_named_standard_input(tmp_path: Path) -> None:
    done = _import(tmp_path / "cache", input="garbage\n")
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith(f"tfhub: not a model archive: {NAME} does not appear"), done
    assert "/dev/stdin" not in done.stderr


def test_an_empty_stream_is_named_standard_input(tmp_path: Path) -> None:
    done = _import(tmp_path / "cache", stdin=subprocess.DEVNULL)
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith(f"tfhub: not a model archive: {NAME} does not appear"), done
    assert "/dev/stdin" not in done.stderr


def test_a_closed_standard_input_is_named_as_given(tmp_path: Path) -> None:
    done = _import(tmp_path / "cache", stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(0))
    assert done.returncode == 7, done.stderr
    assert done.stderr.startswith(f"tfhub: not found: {NAME} "), done.stderr
    assert "Received: archive='-'" in done.stderr and "/dev/stdin" not in done.stderr


def test_an_entry_kept_is_said_with_standard_input(tmp_path: Path) -> None:
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    for _ in range(2):
        with open(archive, "rb") as stream:
            done = _import(tmp_path / "cache", stdin=stream)
        assert done.returncode == 0, done.stderr
    assert f"pass --force to replace it with {NAME}." in done.stderr, done.stderr
    assert "/dev/stdin" not in done.stderr

"""utils/native_stderr: what native code writes to file descriptor 2 is collected, then the
descriptor is restored (also when the block raises, and without a usable TMPDIR)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tfhub.utils import native_stderr


def test_captured_collects_writes_to_descriptor_2_and_restores_it(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with native_stderr.captured() as diagnostics:
        os.write(2, b"from C++\n")  # As native code writes: past sys.stderr.
    os.write(2, b"after\n")
    assert diagnostics.text == "from C++\n"
    assert capfd.readouterr().err == "after\n"
    with pytest.raises(RuntimeError), native_stderr.captured() as failed:
        os.write(2, b"before the failure\n")
        raise RuntimeError
    assert failed.text == "before the failure\n"
    os.write(2, b"restored\n")
    assert capfd.readouterr().err == "restored\n"


def test_without_a_usable_tmpdir_nothing_is_collected_and_stderr_shows_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.MonkeyPatch.context() as patch:  # Undone before pytest's capture reads.
        patch.setattr(tempfile, "tempdir", os.fspath(tmp_path / "missing"))
        with native_stderr.captured() as diagnostics:
            os.write(2, b"shown\n")
    assert diagnostics.text == "" and capfd.readouterr().err == "shown\n"


def test_with_descriptor_2_closed_it_collects_and_leaves_it_closed() -> None:
    """`cmd 2>&-`: Python's sys.stderr is None and os.dup(2) fails; the flush and the dup
    raised AttributeError and EBADF."""
    import subprocess
    import sys

    from tests._helpers.python_process import child_env

    code = (
        "import os, sys\n"
        "from tfhub.utils import native_stderr\n"
        "with native_stderr.captured() as diagnostics:\n"
        "    os.write(2, b'from C++\\n')\n"
        "try:\n"
        "    os.fstat(2)\n"
        "    closed = False\n"
        "except OSError:\n"
        "    closed = True\n"
        "print(repr(diagnostics.text), closed, sys.stderr)\n"
    )
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "'from C++\\n' True None\n")

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

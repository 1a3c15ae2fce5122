"""A --flagfile that is not text in the file-system encoding (a Latin-1 file; a UTF-8 one under
LC_ALL=C) is a flagfile that cannot be read: a usage error, exit 2, as docs/tools.md says ("a
file that cannot be read is a usage error, exit 2"), not a UnicodeDecodeError traceback, exit 1
(rf55e-F1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.absl_argv import with_flagfiles_read
from tfhub.tools.make_image_classifier import cli as classifier_cli


def test_a_flagfile_that_is_not_text_is_a_tool_flag_error_naming_it(tmp_path: Path) -> None:
    latin1 = tmp_path / "flags.txt"
    latin1.write_bytes(b"--image_dir=/photos/caf\xe9\n")
    with pytest.raises(errors.ToolFlagError) as raised:
        with_flagfiles_read([f"--flagfile={latin1}"])
    assert raised.value.flag == "flagfile" and str(latin1) in str(raised.value)
    assert "UTF-8" in str(raised.value) or "utf-8" in str(raised.value)


def test_the_console_script_says_it_as_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin1 = tmp_path / "flags.txt"
    latin1.write_bytes(b"--image_dir=/photos/caf\xe9\n")
    with pytest.raises(SystemExit) as exited:
        classifier_cli.main([f"--flagfile={latin1}"])
    assert exited.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("make_image_classifier: error: --flagfile cannot be read")

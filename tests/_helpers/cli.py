"""Runs the `tfhub` command in the test's own process."""

from __future__ import annotations

import pytest

from tfhub.cli.main import main


def run_tfhub(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Runs `tfhub ARGV` in this process; returns its exit code, stdout and stderr."""
    try:
        code = main(list(argv))
    except SystemExit as stop:  # argparse's usage errors and --help.
        code = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err

"""Everyday commands checked by hand in session 39: each test is a defect found that way, with
real commands (`tfhub.cli.main`) on real cache folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.archives import tensorflow_hub_entry

from tfhub.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as stop:  # argparse's usage errors.
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cache_rm_takes_a_handle_as_cache_list_shows_it_escaped(
    capsys: pytest.CaptureFixture[str], isolated_cache: Path
) -> None:
    """`tfhub cache list` shows a handle holding a control character (a tab another tool wrote
    in its descriptor) escaped (`\\x09`), and `tfhub cache rm` refused that text as "Not in the
    cache", though its message says rm takes a handle as `tfhub cache list` shows it."""
    folder = Path(tensorflow_hub_entry(isolated_cache, "https://example.com/a\tb.tar.gz"))
    code, listed, err = _run(capsys, "cache", "list")
    assert code == 0, err
    shown = listed.strip().split("\t")[-1]
    assert shown == "https://example.com/a\\x09b.tar.gz"
    code, out, err = _run(capsys, "cache", "rm", shown)
    assert code == 0, err
    assert folder.name in out
    assert not folder.exists()
    assert _run(capsys, "cache", "list")[1].strip().endswith("is empty.")

"""absl's `-v N` / `--v=N` under the `tfhub` tool subcommands, as under their console scripts
(session 60's probe): `tfhub make-nearest-neighbour-index build --v=1` failed with "ambiguous
option: --v=1 could match --version, --verbose" (the `tfhub` parser read the tool's
arguments first), and its `-v 1` left TensorFlow's start-up lines hidden, which the console
script's `-v 1` shows (docs/tools.md: "1 DEBUG (TensorFlow's start-up lines too, as `-v`)").

What is observed is real: TF_CPP_MIN_LOG_LEVEL as the tool's run sees it when it logs (tfhub
sets it to 3 to hide TensorFlow's lines, unless -v), at the warning absl's `--run_with_pdb`
gets before the tool runs; each run then ends at a flag check, before TensorFlow."""

from __future__ import annotations

import logging
import os

import pytest

from tfhub.cli.main import main as tfhub_main

MISSING = "/nonexistent_fix60a"
# Each tool subcommand, with flags that end its run at a check before any model is read.
TOOLS = {
    "make-image-classifier": ["make-image-classifier", f"--image_dir={MISSING}"],
    "module-search": ["module-search", f"--dataset={MISSING}", "--module=m"],
    "make-nearest-neighbour-index": ["make-nearest-neighbour-index", "build"],
}


class _EnvAtLog(logging.Handler):
    """Keeps TF_CPP_MIN_LOG_LEVEL as it is when each tfhub record is emitted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "--run_with_pdb" in record.getMessage():
            self.seen.append(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))


def _tensorflow_level_seen(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> str | None:
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    handler = _EnvAtLog()
    logger = logging.getLogger("tfhub")
    logger.addHandler(handler)
    try:
        code = tfhub_main(argv)
    finally:
        logger.removeHandler(handler)
    assert code != 0  # The run ended at its flag check.
    assert len(handler.seen) == 1, handler.seen
    return handler.seen[0]


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("spelling", [["--v=1"], ["-v", "1"], ["-v=1"], ["--verbosity=1"]])
def test_absl_verbosity_1_shows_tensorflows_lines(tool, spelling, monkeypatch, capsys):
    argv = [*TOOLS[tool], *spelling, "--run_with_pdb"]
    assert _tensorflow_level_seen(argv, monkeypatch) is None, argv
    err = capsys.readouterr().err
    assert "ambiguous option" not in err, err


@pytest.mark.parametrize("tool", TOOLS)
def test_absl_verbosity_0_keeps_them_hidden(tool, monkeypatch, capsys):
    argv = [*TOOLS[tool], "--v=0", "--run_with_pdb"]
    assert _tensorflow_level_seen(argv, monkeypatch) == "3", argv
    assert "ambiguous option" not in capsys.readouterr().err


def test_tfhubs_own_v_still_works_for_the_nearest_neighbour_tool(monkeypatch, capsys):
    argv = [*TOOLS["make-nearest-neighbour-index"], "-v", "--run_with_pdb"]
    assert _tensorflow_level_seen(argv, monkeypatch) is None

"""How often a download bar is redrawn: every 0.5 s in a terminal and in a notebook's widget,
at most every 15 s in a log (stderr a file or a pipe), and tqdm's monitor thread never forcing a
redraw of a log's bar that its own updates draw anyway."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import tqdm.asyncio
import tqdm.notebook

from tfhub.utils import progress


def _recording(base: type, module: str) -> tuple[type, list[dict[str, Any]]]:
    """A bar class made from `base` as `tqdm.auto` makes its own (named in `module`), which
    records the arguments it is made with and draws nothing."""
    made: list[dict[str, Any]] = []

    class Recording(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            return None

        def close(self) -> None:
            pass

    Recording.__module__ = module
    return Recording, made


@pytest.fixture
def stderr_a_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """stderr is a file (a CI log) and bars are on."""
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    monkeypatch.setattr(sys, "stderr", open(tmp_path / "log", "w"))


def test_a_notebook_widget_made_by_tqdm_auto_is_redrawn_as_in_a_terminal(stderr_a_log):
    # In a notebook tqdm.auto's class derives from tqdm.notebook's; its own module is tqdm.auto.
    class NotebookAuto(tqdm.notebook.tqdm, tqdm.asyncio.tqdm):  # As tqdm/auto.py makes it.
        pass

    widget, made = _recording(NotebookAuto, "tqdm.auto")
    progress.download_bar(description="d", total=10, tqdm_class=widget).close()
    assert made[0]["mininterval"] == progress.TERMINAL_REDRAW_SEC


def test_a_text_bar_in_a_log_is_not_redrawn_again_by_tqdms_monitor(stderr_a_log):
    text, made = _recording(tqdm.asyncio.tqdm, "tqdm.auto")  # tqdm.auto's outside notebooks.
    progress.download_bar(description="d", total=10, tqdm_class=text).close()
    assert made[0]["mininterval"] == progress.LOG_REDRAW_SEC
    # The monitor redraws a bar not drawn for `maxinterval` s, and the next update draws it
    # again: below the redraw interval, every 15 s redraw got a second line 0.1 s later.
    assert made[0]["maxinterval"] > made[0]["mininterval"]

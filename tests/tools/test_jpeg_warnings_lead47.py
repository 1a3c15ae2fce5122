"""module_search's hold on descriptor 2 while it decodes gives back what it held as it was
written: a progress line made of carriage returns stays one line (it was split into one line
per `\\r`), and what it held is streamed back from its temporary file, not read into memory
whole (a decode that wrote tens of megabytes there held them all in Python, twice)."""

from __future__ import annotations

import os
import tracemalloc

import pytest

from tfhub.tools.module_search import jpeg_warnings

_LIBJPEG_LINE = "Corrupt JPEG data: premature end of data segment"


def _held(text: bytes) -> None:
    """Writes `text` to descriptor 2 inside the hold of a decode that found no damaged JPEG."""
    warned = jpeg_warnings.Warned()
    warned.searched = True  # Nothing to look for again: only the lines' way back is tested.
    with jpeg_warnings.jpeg_warnings_named(["x.jpg"], warned, dataset="d"):
        os.write(2, text)


def test_carriage_returns_stay_inside_their_line(capfd: pytest.CaptureFixture[str]) -> None:
    _held(b"10%\r20%\r30%\ndone\n")
    assert capfd.readouterr().err == "10%\r20%\r30%\ndone\n"


def test_the_libjpeg_lines_are_told_apart_from_the_others(
    capfd: pytest.CaptureFixture[str],
) -> None:
    _held(f"before\n{_LIBJPEG_LINE}\nafter without end".encode())
    assert capfd.readouterr().err == "before\nafter without end\n"


def test_what_is_held_is_streamed_back_not_read_whole(capfd: pytest.CaptureFixture[str]) -> None:
    line = b"I0000 a line TensorFlow writes while the images decode\n"
    text = line * (16 * 2**20 // len(line))  # 16 MiB held.
    tracemalloc.start()
    try:
        _held(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out = capfd.readouterr().err
    assert len(out) == len(text) and out.endswith(line.decode())
    assert peak < 4 * 2**20, f"{peak / 2**20:.1f} MiB held in memory"

"""module_search's hold on descriptor 2 while it decodes gives back what it held as it was
written: a progress line made of carriage returns stays one line (it was split into one line
per `\\r`), and what it held is streamed back from its temporary file, not read into memory
whole (a decode that wrote tens of megabytes there held them all in Python, twice)."""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
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


# --- review47b: M5, M6, L6, L7 ------------------------------------------------------------------


def _held_and_searched(
    text: bytes, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Writes `text` inside the hold of a first decode; returns the warnings logged (the search
    for the damaged files stands in: it finds `x.jpg`)."""
    monkeypatch.setattr(jpeg_warnings, "warned_files", lambda paths: ("x.jpg",))
    with (
        caplog.at_level(logging.WARNING),
        jpeg_warnings.jpeg_warnings_named(["x.jpg"], jpeg_warnings.Warned(), dataset="d"),
    ):
        os.write(2, text)
    return [record.getMessage() for record in caplog.records]


def test_a_libjpeg_line_after_a_progress_line_s_carriage_return_is_known(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    said = _held_and_searched(f" 10%\r 20%\r{_LIBJPEG_LINE}\n".encode(), monkeypatch, caplog)
    assert len(said) == 1 and "x.jpg" in said[0] and _LIBJPEG_LINE in said[0], said
    assert _LIBJPEG_LINE not in capfd.readouterr().err


def test_a_line_longer_than_a_piece_is_given_back_whole(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    long_line = (
        b"x" * jpeg_warnings._PIECE + _LIBJPEG_LINE.encode() + b"\n"
    )  # Its tail alone looks like libjpeg's.
    assert _held_and_searched(long_line + b"next\n", monkeypatch, caplog) == []
    assert capfd.readouterr().err == (long_line + b"next\n").decode()


def test_without_a_temporary_file_the_body_s_error_is_not_chained_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_room() -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jpeg_warnings.tempfile, "TemporaryFile", no_room)
    with (
        pytest.raises(ValueError) as raised,
        jpeg_warnings.jpeg_warnings_named(["x.jpg"], jpeg_warnings.Warned(), dataset="d"),
    ):
        raise ValueError("the decode's own error")
    assert raised.value.__context__ is None


def test_a_character_cut_by_a_piece_s_end_is_whole_on_a_text_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text_only = io.StringIO()  # No binary buffer, as a notebook's stderr.
    monkeypatch.setattr(sys, "stderr", text_only)
    line = b"a" * (jpeg_warnings._PIECE - 1) + "é".encode() + b"\n"  # é's two bytes cut apart.
    spool = tempfile.TemporaryFile()
    with spool:
        spool.write(line)
        jpeg_warnings._give_back(spool, "all")
    assert text_only.getvalue() == line.decode()

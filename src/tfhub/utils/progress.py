"""Download progress bars (tqdm), switched by TFHUB_DOWNLOAD_PROGRESS and a function.

Precedence: `disable_progress_bars()` / `enable_progress_bars()` if called, else
TFHUB_DOWNLOAD_PROGRESS (``0``/``false`` off, any other non-empty value on), else on when stderr
is a terminal. Bars go to stderr, so `tfhub resolve` keeps stdout for the folder only.

In a terminal a finished bar is wiped; on a stream that is no terminal (a CI log, `2> file`) it
stays, so the log ends with the bar's final state (the bytes downloaded, the time, the rate) on
a line of its own, as tensorflow_hub's final "Downloaded ..." line. There a text bar is redrawn
at most every LOG_REDRAW_SEC (each redraw is one more line for a log's reader; a CI page splits
tqdm's carriage returns into lines), as often as tensorflow_hub logged its progress.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .. import constants

logger = logging.getLogger(__name__)

_override: bool | None = None

# Seconds between a bar's redraws, at least: in a terminal (a redraw overwrites the line) and in
# a notebook's widget; on a stream that is no terminal, where tensorflow_hub logged its progress
# every 15 s (a redraw every 0.5 s wrote 1,200 lines for a 10-minute download).
TERMINAL_REDRAW_SEC = 0.5
LOG_REDRAW_SEC = 15.0
_TQDM_MAXINTERVAL = 10.0  # tqdm's default `maxinterval`.


def disable_progress_bars() -> None:
    """Turns tfhub's download progress bars off for this process (wins over the env var)."""
    global _override
    _override = False


def enable_progress_bars() -> None:
    """Turns tfhub's download progress bars on for this process (wins over the env var)."""
    global _override
    _override = True


def are_progress_bars_enabled() -> bool:
    """Returns True if a download started now would show a progress bar."""
    if _override is not None:
        return _override
    from_env = constants.download_progress_env()
    if from_env is not None:
        return from_env
    return _is_terminal(sys.stderr)


def _is_terminal(stream: Any) -> bool:
    """Whether `stream` is a terminal (False for a file, a pipe, or a closed stream)."""
    try:
        return bool(getattr(stream, "isatty", lambda: False)())
    except (OSError, ValueError):  # ValueError: "I/O operation on closed file".
        return False


def _redraw_every(tqdm_class: Any) -> float:
    """Seconds between redraws of a `tqdm_class` bar on stderr, at least: LOG_REDRAW_SEC for
    a text bar on a stream that is no terminal, else TERMINAL_REDRAW_SEC (a notebook's widget,
    `tqdm.notebook.tqdm` or a class made from it as `tqdm.auto`'s in a notebook, is not drawn
    on the stream)."""
    classes = getattr(tqdm_class, "__mro__", ())
    if any(getattr(cls, "__module__", "").startswith("tqdm.notebook") for cls in classes):
        return TERMINAL_REDRAW_SEC
    return TERMINAL_REDRAW_SEC if _is_terminal(sys.stderr) else LOG_REDRAW_SEC


def _forced_redraw_after(redraw_every: float) -> float:
    """tqdm's `maxinterval` for a bar redrawn at most every `redraw_every` s: tqdm's monitor
    thread redraws a bar that has not been drawn for that long (a stalled download), and then
    the next update draws it again; below `redraw_every` (tqdm's default, 10 s, under the log's
    15 s) a download drawn every 15 s got a second line 0.1 s after each monitor's redraw."""
    return max(_TQDM_MAXINTERVAL, 2 * redraw_every)


class _NoBar:
    """The do-nothing bar used when bars are off."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class _BarOverStream:
    """A bar that stops drawing, instead of failing the download, when its stream breaks (a
    closed stderr, a pipe whose reader went away)."""

    def __init__(self, bar: Any) -> None:
        self._bar: Any = bar

    def update(self, n: int = 1) -> None:
        self._call("update", n)

    def close(self) -> None:
        self._call("close")

    def _call(self, name: str, *args: Any) -> None:
        if self._bar is None:
            return
        try:
            getattr(self._bar, name)(*args)
        except (OSError, ValueError) as err:  # ValueError: "I/O operation on closed file".
            logger.debug("The progress bar stopped: its stream failed (%s).", err)
            self._bar = None


def download_bar(*, description: str, total: int | None, tqdm_class: Any = None) -> Any:
    """Returns a bar counting bytes (with `update(n)` and `close()`), or a no-op one. A bar
    whose stream breaks stops drawing; the download goes on.

    Args:
        description: shown before the bar (e.g. the URL).
        total: expected number of bytes, or None if unknown.
        tqdm_class: a tqdm-compatible class to use instead of `tqdm.auto.tqdm`.

    Returns:
        An object with `update(n)` and `close()`.
    """
    if not are_progress_bars_enabled() or sys.stderr is None:  # None: stderr closed at start.
        return _NoBar()
    if tqdm_class is None:
        from tqdm.auto import tqdm

        tqdm_class = tqdm
    from .printable import escaped
    from .redact import redact

    redraw_every = _redraw_every(tqdm_class)
    try:
        bar = tqdm_class(
            # Never the credentials of a URL, nor its invisible characters raw (a right-to-left
            # override shows another URL; a carriage return or escape rewrites the line).
            # Escaped first: a password holding a newline or tab is then one run to redact.
            desc=redact(escaped(description)),
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=sys.stderr,
            # Wiped when done in a terminal; kept in a log, where a wiped bar left its first
            # state (0%) and a blank line.
            leave=not _is_terminal(sys.stderr),
            mininterval=redraw_every,
            maxinterval=_forced_redraw_after(redraw_every),
        )
    except (OSError, ValueError) as err:
        logger.debug("No progress bar: its stream failed (%s).", err)
        return _NoBar()
    return _BarOverStream(bar)

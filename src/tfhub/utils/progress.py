"""Download progress bars (tqdm), switched by TFHUB_DOWNLOAD_PROGRESS and a function.

Precedence: `disable_progress_bars()` / `enable_progress_bars()` if called, else
TFHUB_DOWNLOAD_PROGRESS (``0``/``false`` off, any other non-empty value on), else on when stderr
is a terminal. Bars go to stderr, so `tfhub resolve` keeps stdout for the folder only.
"""

from __future__ import annotations

import sys
from typing import Any

from .. import constants

_override: bool | None = None


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
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class _NoBar:
    """The do-nothing bar used when bars are off."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def download_bar(*, description: str, total: int | None, tqdm_class: Any = None) -> Any:
    """Returns a bar counting bytes (with `update(n)` and `close()`), or a no-op one.

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
    from .redact import redact

    return tqdm_class(
        desc=redact(description),  # Never show the credentials of a URL.
        total=total,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        leave=False,
        mininterval=0.5,
    )

"""How much host memory a call takes at its peak, measured (Linux): the growth of the process's
peak resident set (VmHWM in /proc/self/status), reset before the call through
/proc/self/clear_refs. make_image_classifier measures a module on one and two images this way,
so that an --image_size whose activations for a batch cannot fit is refused before training.

Measured, not computed: what a module keeps alive while it runs depends on its graph, which a
SavedModel does not describe at a size it has not run at. Memory freed by an earlier call and
kept by the allocator is reused without growing the peak, so a measure can only fall short of
what the call needs, never exceed it by more than the allocator's rounding: a bound to refuse
on, never a promise that a run fits.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _status_bytes(key: str) -> int | None:
    """A "kB" line of /proc/self/status (e.g. "VmHWM"), in bytes; None if unknown."""
    try:
        with open(_STATUS, encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_peak() -> bool:
    """Sets the process's peak resident set to its current one (Linux 4.0+); False if the
    kernel does not let it (not Linux, a read-only /proc)."""
    try:
        with open(_CLEAR_REFS, "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def peak_growths(calls: list[Callable[[], Any]]) -> list[int] | None:
    """Runs `calls` in turn and returns, for each, how far the process's peak resident set
    had grown by its end above the resident set before the first (bytes); None where that
    cannot be measured (no /proc, another thread's allocation cannot be told apart either:
    call it while no other work runs)."""
    if not _reset_peak():
        return None
    before = _status_bytes("VmRSS")
    if before is None:
        return None
    growths = []
    for call in calls:
        call()
        peak = _status_bytes("VmHWM")
        if peak is None:
            return None
        growths.append(max(0, peak - before))
    return growths


def bytes_per_image(run: Callable[[Any], Any], images: Any) -> int | None:
    """The host memory one more image adds to the peak of `run(batch)`, measured on the first
    image and on the first two of `images` (at least two, of the size that matters): the
    smaller of the first call's growth and the second's growth beyond it, so that a constant
    cost of a call (not of an image) is not counted per image. None where not measurable.

    Call it after a first `run` at this size (tracing and one-time allocations done), while
    no other work runs in the process.
    """
    if len(images) < 2 or os.name != "posix":
        return None
    growths = peak_growths([lambda: run(images[:1]), lambda: run(images[:2])])
    if growths is None:
        return None
    one, two = growths
    return max(0, min(one, two - one))

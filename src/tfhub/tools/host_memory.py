"""Host memory for the image tools: how much is available (`available_memory`), whether images
at a size and a batch of them fit in it (`check_images_fit`, refusing the flag that asked for
the size before anything is allocated), and how much a call takes at its peak, measured:
TensorFlow's own count of the bytes its CPU allocator holds at its peak
(`tf.config.experimental.get_memory_info("CPU:0")`, reset before the call), else (no
TensorFlow, or a build without those statistics; Linux) the growth of the process's peak
resident set (VmHWM in /proc/self/status, reset through /proc/self/clear_refs).
make_image_classifier and module_search measure a module on one and two images this way, so
that a batch whose activations cannot fit is refused before the long run.

Measured, not computed: what a module keeps alive while it runs depends on its graph, which a
SavedModel does not describe at a size it has not run at. The allocator's count is the same run
to run; the resident set's is not: memory freed by an earlier call and kept by the allocators
is reused without growing the peak (a process that had run the module once at that size
measured 0.1 MB an image where TensorFlow counted 140). Either can only fall short of what the
call needs: a bound to refuse on, never a promise that a run fits.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from .. import errors

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
    """Runs `calls` in turn and returns, for each, how far the peak had grown by its end above
    what was held before the first (bytes): of TensorFlow's CPU allocator when TensorFlow is
    imported and counts it, else of the process's resident set; None where neither can be
    measured (no /proc). Another thread's allocation cannot be told apart: call it while no
    other work runs."""
    growths = _allocator_peak_growths(calls)
    if growths is not None:
        return growths
    return _resident_peak_growths(calls)


# What TensorFlow raises where a device keeps no statistics (ValueError in TF 2.x) or an older
# TensorFlow lacks the calls (AttributeError).
_NO_ALLOCATOR_STATISTICS = (ValueError, RuntimeError, AttributeError, NotImplementedError)


def _allocator_peak_growths(calls: list[Callable[[], Any]]) -> list[int] | None:
    """`peak_growths` by TensorFlow's count of its CPU allocator's bytes; None, with no call
    run, when TensorFlow is not imported (a call that needs it has imported it) or does not
    count them."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None
    device = "CPU:0"
    try:
        tf.config.experimental.reset_memory_stats(device)
        before = int(tf.config.experimental.get_memory_info(device)["current"])
    except _NO_ALLOCATOR_STATISTICS:
        return None
    growths = []
    for call in calls:
        call()
        peak = int(tf.config.experimental.get_memory_info(device)["peak"])
        growths.append(max(0, peak - before))
    return growths


def _resident_peak_growths(calls: list[Callable[[], Any]]) -> list[int] | None:
    """`peak_growths` by the process's peak resident set (Linux); None, with no call run, where
    it cannot be measured."""
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


def available_memory() -> int | None:
    """Bytes of memory this process may still take: the kernel's MemAvailable, bounded by the
    cgroup's room (cgroup v2, as in a container: see `cgroup_room`); None if neither is known
    (not Linux)."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    room = cgroup_room("/sys/fs/cgroup")
    if room is not None:
        found.append(room)
    return min(found) if found else None


def cgroup_room(folder: str) -> int | None:
    """Bytes a cgroup v2 whose files are in `folder` may still take: memory.max less the
    working set, memory.current less the page cache the kernel reclaims before it ends a
    process (memory.stat's inactive_file: images and model files just read; Kubernetes counts
    a container's working set so); None without a limit ("max") or cgroup v2."""
    try:
        with open(os.path.join(folder, "memory.max"), encoding="ascii") as limit:
            maximum = int(limit.read().strip())
        with open(os.path.join(folder, "memory.current"), encoding="ascii") as current:
            used = int(current.read().strip())
    except (OSError, ValueError):  # No cgroup v2, or "max" (no limit).
        return None
    try:
        with open(os.path.join(folder, "memory.stat"), encoding="ascii") as stat:
            for line in stat:
                name, _, value = line.partition(" ")
                if name == "inactive_file":
                    used -= min(used, int(value))
                    break
    except (OSError, ValueError):  # Then all of memory.current counts, as before.
        pass
    return maximum - used


def _gigabytes(count: int) -> str:
    return f"{count / 1e9:,.1f} GB"


def check_images_fit(
    count: int,
    image_size: tuple[int, int],
    *,
    batch: int,
    flag: str,
    value: object,
    per_image: int = 0,
    advice: str | None = None,
) -> None:
    """Checks that `count` images kept at `image_size` (uint8, 3 bytes a pixel) and a batch of
    `batch` of them as float32 (twice: the cast and the scaling) fit in the memory available,
    before anything is allocated: a size that cannot fit would grow the process until the
    system's out-of-memory killer ends it (or another process). Nothing is checked where the
    available memory is not known.

    Args:
        count, image_size, batch: as above.
        flag, value: the flag that asked for `image_size`, and its value, for the error.
        per_image: bytes a module's activations take per image of the batch, at least (as
            `host_memory.bytes_per_image` measured them; 0: not counted).
        advice: what the error says to pass instead (default: a smaller `flag`, ...).

    Raises:
        tfhub.errors.ToolFlagError: naming `flag` (whose `value` asked for `image_size`).
    """
    height, width = image_size
    needed = (count + 2 * batch * 4) * height * width * 3 + batch * per_image
    available = available_memory()
    if available is None or needed <= available:
        return
    what = f"a batch of {batch} images at {height}x{width} as float needs about"
    if count:
        what = f"{count} images kept at {height}x{width} and a batch of {batch} as float need about"
    default_advice = (
        f"a smaller --{flag} (224, upstream's only size, suits most modules) or fewer images"
    )
    if per_image:
        kept = f"{count} images kept at {height}x{width}, " if count else ""
        what = (
            f"{kept}a batch of {batch} at {height}x{width} as float and the module's activations "
            f"for it ({per_image / 1e6:,.1f} MB an image, measured) need at least"
        )
        if flag == "batch_size":
            default_advice = f"a smaller --{flag} or --image_size"
    advice = advice or default_advice
    raise errors.ToolFlagError(
        f"--{flag} {value} cannot fit in memory: {what} {_gigabytes(needed)}, and "
        f"{_gigabytes(available)} is available. Pass {advice}. Received: {flag}={value}",
        flag=flag,
        value=value,
    )

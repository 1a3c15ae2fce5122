"""Which processes run below a process, and whether one may still run code, read from Linux's
/proc (no dependency for it)."""

from __future__ import annotations

import contextlib
import os


def parent_pids() -> dict[int, int]:
    """{pid: its parent's pid} of every process /proc lists; {} where there is no /proc."""
    parents: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            with contextlib.suppress(IndexError, ValueError):
                parents[int(name)] = int(_stat_fields(int(name))[1])
    return parents


def process_alive(pid: int) -> bool:
    """True if process `pid` on this host may still run code (where unsure, True).

    A zombie (killed, not yet reaped by its parent, as a script that waits for its children in
    turn leaves one, and as every orphan stays under a first process that reaps none) is dead.
    A process whose first thread exited while others still run also shows state Z: alive.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # It exists, owned by someone else.
    except OSError:
        return True
    fields = _stat_fields(pid)
    if len(fields) < 18 or fields[0] not in ("Z", "X"):
        return True
    return fields[17] not in ("0", "1")  # num_threads: a zombie has its one thread left.


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after "pid (comm)": state, ppid, ... ([] where unknown)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:  # "pid (comm) state ppid ...".
            after_comm = stat.read().rsplit(b")", 1)
    except OSError:
        return []
    return after_comm[1].decode("ascii", "replace").split() if len(after_comm) == 2 else []


def descendants(pid: int) -> list[int]:
    """The processes below `pid`, each parent before its children; [] without /proc."""
    children: dict[int, list[int]] = {}
    for child, parent in sorted(parent_pids().items()):
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    below = [pid]
    for parent in below:  # Grows as descendants are found.
        for child in children.get(parent, []):
            found.append(child)
            below.append(child)
    return found

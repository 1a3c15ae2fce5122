"""Which processes run below a process, read from Linux's /proc (no dependency for it)."""

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
            with contextlib.suppress(OSError, IndexError, ValueError):
                with open(f"/proc/{name}/stat") as stat:  # "pid (comm) state ppid ...".
                    parents[int(name)] = int(stat.read().rsplit(")", 1)[1].split()[1])
    return parents


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

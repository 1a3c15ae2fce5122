"""The room a cgroup v2 leaves (session 45): memory.current counts the page cache of files just
read (the images, the model), which the kernel reclaims before it ends a process, so `max -
current` refused module_search and make_image_classifier runs that fit in a container. The
files are the kernel's format, written into a folder (this machine has cgroup v1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhub.tools.host_memory import cgroup_room

MIB = 1 << 20


def _cgroup(folder: Path, *, maximum: str, current: int, stat: str | None) -> str:
    (folder / "memory.max").write_text(f"{maximum}\n")
    (folder / "memory.current").write_text(f"{current}\n")
    if stat is not None:
        (folder / "memory.stat").write_text(stat)
    return str(folder)


def test_the_page_cache_the_kernel_reclaims_is_room(tmp_path: Path) -> None:
    stat = (
        f"anon {300 * MIB}\nfile {700 * MIB}\nactive_file {100 * MIB}\ninactive_file {600 * MIB}\n"
    )
    folder = _cgroup(tmp_path, maximum=str(1024 * MIB), current=1000 * MIB, stat=stat)
    assert cgroup_room(folder) == (1024 - 400) * MIB


@pytest.mark.parametrize(
    ("maximum", "stat", "room"),
    [
        ("max", "inactive_file 0\n", None),  # No limit.
        (str(1024 * MIB), None, 24 * MIB),  # No memory.stat: all of memory.current counts.
        (str(1024 * MIB), "inactive_file x\n", 24 * MIB),  # Unreadable: as before.
        (str(1024 * MIB), f"inactive_file {5000 * MIB}\n", 1024 * MIB),  # Never below 0 used.
    ],
)
def test_without_a_limit_or_a_usable_stat(
    tmp_path: Path, maximum: str, stat: str | None, room: int | None
) -> None:
    folder = _cgroup(tmp_path, maximum=maximum, current=1000 * MIB, stat=stat)
    assert cgroup_room(folder) == room


def test_no_cgroup_v2_files_is_none(tmp_path: Path) -> None:
    assert cgroup_room(str(tmp_path)) is None

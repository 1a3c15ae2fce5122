"""`pack`'s temporary is locked before it bears a name, and a pack killed meanwhile leaves nothing.

Before: `open_part` created `.<name>.<id>.opening`, locked it, then renamed it to `.part`; a
SIGKILL between the creation and the rename left the `.opening` file for ever (the next pack
removes abandoned `.part` files only). Now, on Linux, the file is created without a name
(O_TMPFILE), locked, then linked as the `.part` file; where that is not available (no
O_TMPFILE, a file system without it, no /proc) the named way is kept.

The kill is deterministic: the child stops itself (SIGSTOP) in its first naming call (link,
rename or replace), the parent sees it stopped, looks at the folder and kills it.

Where tmp_path's file system makes no unnamed files (NFS, CIFS, overlayfs on old kernels:
`_unnamed_files`), the named way's outcome is expected instead (fx63e).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from tests._helpers.python_process import start_python

from tfhub.hub import pack, pack_output
from tfhub.utils import live_files

_STOPPED_BEFORE_NAMING = """
import os, signal, sys
from tfhub.hub import pack

def stop_first(real):
    def naming(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGSTOP)  # Killed here by the test (SIGKILL).
        return real(*args, **kwargs)
    return naming

for name in ("link", "rename", "replace"):
    setattr(os, name, stop_first(getattr(os, name)))
pack.pack(sys.argv[1], sys.argv[2])
"""


def _unnamed_files(folder: Path) -> bool:
    """True if `open_part` can create its temporary unnamed in `folder` (O_TMPFILE works on its
    file system, and /proc links it), as it tries first."""
    if not os.path.isdir("/proc/self/fd"):
        return False
    try:
        fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY)
    except (AttributeError, OSError):  # Not Linux; EOPNOTSUPP, EISDIR, EINVAL.
        return False
    os.close(fd)
    return True


def test_a_pack_killed_between_creating_and_naming_its_temporary_leaves_nothing(
    pack_source, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "m.tar.gz"
    packer = start_python(_STOPPED_BEFORE_NAMING, str(pack_source), str(target))
    try:
        _, status = os.waitpid(packer.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), packer.communicate(timeout=60)
        seen = sorted(os.listdir(out))  # The temporary exists, locked, not yet named.
    finally:
        packer.kill()
        packer.communicate(timeout=60)
    if _unnamed_files(out):
        assert seen == []
        assert sorted(os.listdir(out)) == []
    else:  # Created named, then killed: left until a pack finds it older than a minute.
        assert len(seen) == 1 and seen[0].endswith(".opening"), seen
        assert sorted(os.listdir(out)) == seen
        old = os.stat(out / seen[0]).st_mtime - 61
        os.utime(out / seen[0], (old, old))
    pack.pack(pack_source, target)  # The next pack of the same archive.
    assert sorted(os.listdir(out)) == ["m.tar.gz"]


def _no_tmpfile(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Makes O_TMPFILE fail with `code`, as a file system (or kernel) without it does."""
    real = os.open

    def opening(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(code, os.strerror(code), path)
        return real(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", opening)


def _no_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes /proc/self/fd missing for `os.link`, as where /proc is not mounted."""
    real = os.link

    def linking(src: str, *args: object, **kwargs: object) -> None:
        if os.fspath(src).startswith("/proc/"):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), src)
        real(src, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", linking)


WAYS = ["unnamed", "no O_TMPFILE", "EOPNOTSUPP", "EISDIR", "EINVAL", "no /proc"]


@pytest.mark.parametrize("way", WAYS)
def test_the_temporary_is_locked_before_it_bears_a_name(way, pack_source, tmp_path, monkeypatch):
    if way == "no O_TMPFILE":
        monkeypatch.delattr(os, "O_TMPFILE")  # Not Linux.
    elif way == "no /proc":
        _no_proc(monkeypatch)
    elif way != "unnamed":
        _no_tmpfile(monkeypatch, getattr(errno, way))
    out = tmp_path / "out"
    out.mkdir()
    target = out / "m.tar.gz"
    part = pack_output.part_path(target)
    hold = live_files.hold
    seen: list[list[str]] = []

    def cleanup_then_hold(fd: int) -> None:
        # Another pack of the same name cleans up here, before our lock.
        pack_output.remove_abandoned_parts(target)
        seen.append(sorted(os.listdir(out)))
        hold(fd)

    monkeypatch.setattr(live_files, "hold", cleanup_then_hold)
    with pack_output.open_part(part) as raw:
        assert sorted(os.listdir(out)) == [part.name]
        assert not live_files.abandoned(os.fspath(part))  # Locked: kept by other packs.
        raw.write(b"archive bytes")
    opening = part.name.removesuffix("part") + "opening"
    expected = {"unnamed": [[]], "no /proc": [[], [opening]]}  # Linked in vain, then named.
    if not _unnamed_files(out):  # Every way creates it named.
        expected = {}
    assert seen == expected.get(way, [[opening]])
    assert part.read_bytes() == b"archive bytes"
    assert live_files.abandoned(os.fspath(part))  # The lock ended with the file.
    umask = os.umask(0)
    os.umask(umask)
    assert part.stat().st_mode & 0o777 == 0o666 & ~umask  # As open(path, "wb") makes it.


@pytest.mark.parametrize("way", ["unnamed", "EOPNOTSUPP"])
def test_a_whole_pack_leaves_only_the_archive(way, pack_source, tmp_path, monkeypatch):
    if way != "unnamed":
        _no_tmpfile(monkeypatch, errno.EOPNOTSUPP)
    target = tmp_path / "out" / "m.tar.gz"
    target.parent.mkdir()
    packed = pack.pack(pack_source, target)
    assert sorted(os.listdir(target.parent)) == ["m.tar.gz"]
    assert packed.size == target.stat().st_size

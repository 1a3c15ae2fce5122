"""rv63a-1: `tfhub serve`'s cache kept what a pack killed at the wrong moment left.

`_packed` packs into a unique `.<fingerprint>.<id>.tar.gz`, whose own temporaries are
`..<fingerprint>.<id>.tar.gz.<id>.part` (and, without O_TMPFILE, `.opening`). Before: after
the inner pack's rename, `.<fingerprint>.<id>.tar.gz` was held by nothing while its bytes were
hashed (`content_mtime_ns`); a SIGKILL then left a whole archive that no pack removed, and a
`.opening` file (a cache folder without O_TMPFILE: NFS, old overlayfs) stayed for ever too.
Now the packed file is held live until it is renamed into place, and the next pack removes
either once no live pack holds it (the `.opening` file once older than a minute).

The kill is deterministic: the child stops itself (SIGSTOP) at the chosen call, the parent
sees it stopped and kills it (SIGKILL).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests._helpers.hub_server import write_model_doc, write_model_folder
from tests._helpers.python_process import start_python

from tfhub.hub import archives
from tfhub.utils import live_files

_STOPPED_WHILE_HASHING = """
import os, signal, sys
from pathlib import Path
from tfhub.hub import archives

real = archives.content_mtime_ns

def hashing(archive):
    os.kill(os.getpid(), signal.SIGSTOP)  # Killed here by the test (SIGKILL).
    return real(archive)

archives.content_mtime_ns = hashing
archives.packed_archive(Path(sys.argv[1]), cache_dir=sys.argv[2])
"""

_STOPPED_BEFORE_NAMING_WITHOUT_TMPFILE = """
import os, signal, sys
from pathlib import Path
from tfhub.hub import archives

del os.O_TMPFILE  # As where the cache's file system has none (`open_part` names it).
real = os.replace

def naming(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGSTOP)  # Killed here by the test (SIGKILL).
    return real(*args, **kwargs)

os.replace = naming
archives.packed_archive(Path(sys.argv[1]), cache_dir=sys.argv[2])
"""


def _killed_when_stopped(code: str, folder: Path, cache: Path) -> tuple[list[str], list[str]]:
    """Runs `code` on `folder` and `cache` in a child, kills it (SIGKILL) once it stopped
    itself, and returns the cache's names then, and those of them a live write held."""
    packer = start_python(code, str(folder), str(cache))
    try:
        _, status = os.waitpid(packer.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), packer.communicate(timeout=60)
        seen = sorted(os.listdir(cache))
        held = [name for name in seen if not live_files.abandoned(os.fspath(cache / name))]
    finally:
        packer.kill()
        packer.communicate(timeout=60)
    return seen, held


def _archives_only(cache: Path) -> list[str]:
    """The cache's names but its archives' lock files."""
    return sorted(name for name in os.listdir(cache) if not name.endswith(".lock"))


def test_a_pack_killed_while_hashing_its_archive_leaves_nothing_for_good(tmp_path):
    cache = tmp_path / "cache"
    folder = write_model_folder(write_model_doc(tmp_path / "hub", "acme/emb/1"))
    seen, held = _killed_when_stopped(_STOPPED_WHILE_HASHING, folder, cache)
    left = [name for name in seen if re.fullmatch(r"\.[0-9a-f]{32}\.[0-9a-f]{32}\.tar\.gz", name)]
    assert len(left) == 1, seen  # The whole archive, packed, not yet renamed into place,
    assert left[0] in held  # held live: another pack (of any folder) leaves it alone.
    archive = archives.packed_archive(folder, cache_dir=str(cache))  # The next pack.
    assert archive is not None
    assert _archives_only(cache) == [archive.name]


def test_a_pack_killed_before_naming_its_temporary_leaves_nothing_for_good(tmp_path):
    cache = tmp_path / "cache"
    folder = write_model_folder(write_model_doc(tmp_path / "hub", "acme/emb/1"))
    seen, _ = _killed_when_stopped(_STOPPED_BEFORE_NAMING_WITHOUT_TMPFILE, folder, cache)
    opening = [name for name in seen if name.endswith(".opening")]
    assert len(opening) == 1, seen
    other = write_model_folder(
        write_model_doc(tmp_path / "hub", "acme/emb/2"),
        {"saved_model.pb": b"\x12\x00", "v.txt": b"2"},
    )
    fresh = archives.packed_archive(other, cache_dir=str(cache))  # A minute has not passed:
    assert fresh is not None  # a live pack (created, not yet locked) may own it.
    assert opening[0] in os.listdir(cache)
    old = os.stat(cache / opening[0]).st_mtime - 61
    os.utime(cache / opening[0], (old, old))
    archive = archives.packed_archive(folder, cache_dir=str(cache))  # The next pack.
    assert archive is not None
    assert _archives_only(cache) == sorted([archive.name, fresh.name])

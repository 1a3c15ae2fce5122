"""An install at the limit of open files (EMFILE) leaves nothing behind, and every failure says
what to do (fx62h: three defects found outside the files of p62d's fix).

The children set RLIMIT_NOFILE a few descriptors above what they have open, as in
tests/test_open_files_limit_p62d.py (whose child code and archive are reused), so one step or
another of the install meets EMFILE. Before fx62h: with room for 1 more descriptor, the lazy import
of tfhub's recovery step failed before the download's cleanup, leaving `.locks/<hash>.lock`, and
its line was the bare "tfhub: OS error: ... recovery.py"; with room for 2, an http(s) download's
socket stayed open (back in the requests session's pool) through the cleanup, which had no
descriptor for rmtree and left `<hash>.<x>.tmp.<y>.deleting.tmp` and tensorflow_hub's
`<hash>.lock`.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import child_env, python_command
from tests.test_open_files_limit_p62d import _CHILD, _RESOLVE_CHILD, FILES, HANDLE

from tfhub import cache
from tfhub.program.report import report


def _sweep(code: str, target: str, rooms: range, cache_root: Path, *extra: str) -> list[tuple]:
    """(room, cache folder, exit code, stderr) of a child per room."""
    said = []
    for room in rooms:
        cache_dir = cache_root / f"cache{room}"
        env = child_env(
            TFHUB_CACHE_DIR=os.fspath(cache_dir), TFHUB_LOCK_TIMEOUT="30", TFHUB_HTTP_RETRIES="1"
        )
        done = subprocess.run(
            python_command(code, target, str(room), *extra),
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        said.append((room, cache_dir, done.returncode, done.stderr))
    return said


def _left(cache_dir: Path) -> list[str]:
    return cache.leftovers(os.fspath(cache_dir)) if cache_dir.exists() else []


@pytest.fixture(scope="module")
def imports(tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    folder = tmp_path_factory.mktemp("nofile_import")
    archive = make_tar_gz(folder / "many.tar.gz", FILES)
    return _sweep(_CHILD, os.fspath(archive), range(1, 5), folder, HANDLE)


def test_a_failed_import_leaves_not_even_a_lock_file(imports):
    assert any(code == 0 for _, _, code, _ in imports), imports  # One had room.
    for room, cache_dir, code, err in imports:
        assert _left(cache_dir) == [], (room, code, err)


def test_each_failure_says_to_raise_the_limit(imports):
    """Also the bare OSError of a lazy import ("tfhub: OS error: ... recovery.py")."""
    for room, _, code, err in imports:
        if code != 0:
            assert err.startswith("tfhub: ") and err.count("\n") == 1, (room, err)
            assert "`ulimit -n` is " in err and "ulimit -n 4096" in err, (room, err)


def test_a_failed_download_leaves_nothing(tmp_path, served_dir, server):
    """Not the `*.deleting.tmp` folder and `<hash>.lock` a still-open socket made it leave."""
    make_tar_gz(served_dir / "many.tar.gz", FILES)
    said = _sweep(_RESOLVE_CHILD, server.url("many.tar.gz"), range(1, 4), tmp_path)
    assert any(code == 0 for _, _, code, _ in said), said
    assert any(code != 0 for _, _, code, _ in said), said  # Some step was short.
    left = {room: _left(cache_dir) for room, cache_dir, _, _ in said}
    assert left == {room: [] for room, _, _, _ in said}, said
    for room, _, code, err in said:
        if code != 0:
            assert "`ulimit -n` is " in err, (room, err)


def test_a_full_system_table_says_so(capsys):
    code = report(OSError(errno.ENFILE, "Too many open files in system"))
    assert code == 1
    assert capsys.readouterr().err == (
        "tfhub: OS error: [Errno 23] Too many open files in system: the system's table of open "
        "files is full. Close files other programs hold open, or raise the system's limit "
        "(fs.file-max), then run again.\n"
    )


def test_another_os_error_is_said_as_before(capsys):
    assert report(OSError(errno.EIO, "Input/output error")) == 1
    assert capsys.readouterr().err == "tfhub: OS error: [Errno 5] Input/output error\n"

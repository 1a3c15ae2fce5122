"""review47b's findings on the hub's serving side, fixed: the cache folder's parents checked
before every pack and after `makedirs` (H1, M1), every symlink on its path (M1), the default
folder the user's own all the way (L8), user namespaces (M2), a folder changed during a pack
(M3, L1), docs read fine again forgotten (L2)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.cache_users import NOBODY, run_as_user
from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub import errors
from tfhub.hub import api, archive_answers, cache_dir, confinement, userns
from tfhub.hub import pack as pack_lib
from tfhub.hub.app import create_app
from tfhub.hub.catalog import served_docs
from tfhub.hub.settings import ServeSettings
from tfhub.utils.warn_once import WarnedOnce

needs_root = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0,
    reason="needs root: folders and links owned by another user (chown)",
)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder like /tmp (root's, mode 1777) that nobody can reach (not below tmp_path, whose
    parents are root's 0700)."""
    made = Path(tempfile.mkdtemp(prefix="hubfix47-", dir="/tmp"))
    os.chmod(made, 0o1777)
    yield made
    shutil.rmtree(made)


@needs_root
def test_a_parent_another_user_makes_before_the_first_pack_is_refused(shared):
    """H1: `create_app` checks with make=False (the parent missing: fine); another user makes
    the parent (0777) before the first pack: `recheck`, run before each pack, refuses it."""
    real = cache_dir.check_cache_dir(str(shared / "hub" / "packs"), make=False)
    assert not os.path.lexists(shared / "hub")
    run_as_user(os.mkdir, shared / "hub", 0o777).result()
    problem = cache_dir.recheck(real)
    assert problem is not None
    assert problem.startswith(f"the folder {shared}/hub above it is owned by nobody (uid")


@needs_root
def test_parents_a_cleaner_removed_and_a_stranger_made_again_are_refused(shared):
    """H1: the parents removed while serving (a tmp cleaner) and made again by another user."""
    real = cache_dir.check_cache_dir(str(shared / "hub" / "packs"))
    assert cache_dir.recheck(real) is None
    os.rmdir(real)
    os.rmdir(shared / "hub")
    run_as_user(os.mkdir, shared / "hub", 0o755).result()
    assert "above it is owned by nobody" in str(cache_dir.recheck(real))


def test_parents_made_under_umask_000_are_made_0700(tmp_path):
    """M1: `makedirs` made the missing parents 0777 under umask 000 (accepted, then refused at
    the next start); then they were refused at once. Now each folder the server makes, parents
    included, is 0700 whatever the umask, at start and by `recheck` (and checked after)."""
    old = os.umask(0)
    try:
        made = cache_dir.check_cache_dir(str(tmp_path / "a" / "b" / "cache"))
        real = cache_dir.check_cache_dir(str(tmp_path / "c" / "d" / "cache"), make=False)
        assert cache_dir.recheck(real) is None
    finally:
        os.umask(old)
    for folder in ("a", "a/b", "a/b/cache", "c", "c/d", "c/d/cache"):
        assert oct(os.stat(tmp_path / folder).st_mode & 0o777) == "0o700", folder
    assert made == os.path.realpath(tmp_path / "a" / "b" / "cache")


@needs_root
def test_a_symlink_of_another_user_anywhere_on_the_path_is_refused(tmp_path):
    """M1: not only the last name: a stranger's link earlier on the path could be re-pointed
    (between the checks and `makedirs`) at a folder of theirs."""
    ours = tmp_path / "ours"
    ours.mkdir()
    link = tmp_path / "link"
    link.symlink_to(ours)
    os.lchown(link, NOBODY, NOBODY)
    with pytest.raises(errors.ServeConfigError) as raised:
        cache_dir.check_cache_dir(str(link / "deep" / "cache"))
    assert f"{link} on its path is a symlink owned by nobody (uid {NOBODY})" in str(raised.value)
    assert not (ours / "deep").exists()
    os.lchown(link, 0, 0)  # Root's (or this user's) link: followed.
    assert cache_dir.check_cache_dir(str(link / "deep" / "cache")) == str(ours / "deep" / "cache")


def test_the_default_folder_refuses_a_group_writable_parent_a_team_folder_takes(tmp_path):
    """L8: a parent writable by one of this user's groups (no sticky bit): fine for a team
    folder (--cache-dir, team=True), refused for the default folder, this user's alone."""
    team = tmp_path / "team"
    team.mkdir()
    os.chmod(team, 0o775)
    os.chown(team, -1, os.getgid())
    with pytest.raises(errors.ServeConfigError) as raised:
        cache_dir.check_cache_dir(str(team / "cache"), team=False)
    assert "must be this user's alone" in str(raised.value)
    real = cache_dir.check_cache_dir(str(team / "cache2"), team=True)
    assert cache_dir.recheck(real) is None
    os.chmod(team, 0o1775)  # Sticky: only an entry's owner may rename it.
    assert cache_dir.check_cache_dir(str(team / "cache"), team=False) == str(team / "cache")


@needs_root
@pytest.mark.parametrize(
    "uid_map, accepted",
    [("0 1000 1", True), ("1000 1000 1\n", True), ("0 0 4294967295", False)],
    ids=["root-mapped", "user-mapped", "no-namespace"],
)
def test_a_parent_of_the_overflow_uid_is_accepted_in_a_user_namespace(
    tmp_path, monkeypatch, caplog, uid_map, accepted
):
    """M2: in a user namespace, root's and the host's folders show the overflow uid: accepted
    there (INFO, once); outside one, uid 65534 is the user nobody: refused."""
    (tmp_path / "uid_map").write_text(uid_map)
    (tmp_path / "overflowuid").write_text(f"{NOBODY}\n")
    monkeypatch.setattr(userns, "UID_MAP", str(tmp_path / "uid_map"))
    monkeypatch.setattr(userns, "OVERFLOW_UID", str(tmp_path / "overflowuid"))
    monkeypatch.setattr(userns, "_UNMAPPED_SAID", WarnedOnce(16))
    host = tmp_path / "host"
    host.mkdir()
    os.chown(host, NOBODY, NOBODY)
    caplog.set_level(logging.INFO, logger="tfhub.hub.cache_dir")
    if not accepted:
        with pytest.raises(errors.ServeConfigError, match="is owned by nobody"):
            cache_dir.check_cache_dir(str(host / "cache"))
        return
    real = cache_dir.check_cache_dir(str(host / "cache"))
    assert cache_dir.recheck(real) is None
    said = [r.getMessage() for r in caplog.records if "overflow uid" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(
        f"A folder above the cache folder is owned by uid {NOBODY}"
    )
    os.chmod(host, 0o777)  # Its mode is still judged.
    assert "writable by every user" in str(cache_dir.recheck(real))


USERNS_CHILD = textwrap.dedent(
    """
    import ctypes, logging, os, sys
    from tfhub.hub import cache_dir, confinement
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    os.setgroups([]); os.setgid(1000); os.setuid(1000)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: /proc/self/*_map writable after setuid.
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        print("UNSHARE-FAILED", ctypes.get_errno()); sys.exit(3)
    open("/proc/self/setgroups", "w").write("deny")
    open("/proc/self/uid_map", "w").write("1000 1000 1")
    open("/proc/self/gid_map", "w").write("1000 1000 1")
    print("ROOT-OWNER", os.stat("/").st_uid)
    default = cache_dir.default_cache_dir("/x")
    print("TAKEN", cache_dir.check_cache_dir(default, team=False, make=False))
    """
)


@needs_root
def test_the_default_folder_is_taken_in_a_real_user_namespace():
    """M2: a process of uid 1000 in a new user namespace (unshare(CLONE_NEWUSER), as rootless
    containers and `unshare -U` do) sees / and /tmp owned by the overflow uid: accepted."""
    done = subprocess.run(
        [sys.executable, "-c", USERNS_CHILD],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if "UNSHARE-FAILED" in done.stdout:
        pytest.skip(f"unshare(CLONE_NEWUSER) is not allowed here: {done.stdout.strip()}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ROOT-OWNER {NOBODY}" in done.stdout
    assert "TAKEN " in done.stdout and "overflow uid" in done.stdout


def _folder_hub(root: Path, cache: Path) -> tuple[Any, Path]:
    """The app of a ROOT with one folder version, acme/fold/1, and its model folder."""
    folder = write_model_folder(write_model_doc(root, "acme/fold/1"))
    settings = ServeSettings(root=str(root), cache_dir=str(cache), rescan_seconds=0)
    return create_app(settings), folder


def _download(app: Any) -> tuple[int, bytes]:
    return asgi_request(app, "GET", b"/acme/fold/1", b"tf-hub-format=compressed")


def _remove_a_file_once_listed(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """A file removed between a walk's listing and its lstat (the fingerprint's, first)."""
    walk = os.walk

    def walk_then_remove(top: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        fingerprinting = sys._getframe(1).f_code.co_name == "fingerprint"  # Its walk only.
        for current, dirs, files in walk(top, *args, **kwargs):
            if fingerprinting and "variables.index" in files:
                os.unlink(os.path.join(current, "variables.index"))
            yield current, dirs, files

    monkeypatch.setattr(os, "walk", walk_then_remove)


def _change_once_listed(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """`change()` right after the pack's listing (`pack.sorted_members`), once."""
    listed = pack_lib.sorted_members

    def listed_then_changed(model_dir: Path) -> list:
        members = listed(model_dir)
        monkeypatch.setattr(pack_lib, "sorted_members", listed)
        change()
        return members

    monkeypatch.setattr(pack_lib, "sorted_members", listed_then_changed)


def _replace_a_folder_by_a_file(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    def change() -> None:
        shutil.rmtree(folder / "variables")
        (folder / "variables").write_bytes(b"a file now")

    _change_once_listed(monkeypatch, change)


def _replace_a_file_by_a_socket(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    def change() -> None:
        target = folder / "variables" / "variables.index"
        target.unlink()
        monkeypatch.chdir(target.parent)  # A short name: AF_UNIX paths are ~107 bytes at most.
        with socket.socket(socket.AF_UNIX) as bound:
            bound.bind(target.name)

    _change_once_listed(monkeypatch, change)


@pytest.mark.parametrize(
    "change, said",
    [
        (_remove_a_file_once_listed, "No such file or directory"),
        (_replace_a_folder_by_a_file, "changed while packed: variables/"),
        (_replace_a_file_by_a_socket, "changed while packed: variables/variables.index"),
    ],
    ids=["removed-ENOENT", "folder-now-a-file", "socket-ENXIO"],
)
def test_a_folder_changed_while_packed_is_a_404_naming_the_model_folder(
    tmp_path, monkeypatch, caplog, change, said
):
    """M3: the folder changed between the pack's listing and its reads (simulated where the
    race hits): not servable as found, a 404 (no 500) and one warning naming the model folder
    (not the /proc/self/fd/N it was read through)."""
    app_, folder = _folder_hub(tmp_path / "hub", tmp_path / "cache")
    change(monkeypatch, folder)
    monkeypatch.setattr(archive_answers, "UNPACKABLE", WarnedOnce())
    caplog.set_level(logging.WARNING, logger="tfhub.hub.archive_answers")
    status, body = _download(app_)
    assert status == 404, body
    assert b"404 Not Found: acme/fold/1 has no servable model files in this hub" in body
    warned = [r.getMessage() for r in caplog.records if r.name == "tfhub.hub.archive_answers"]
    assert len(warned) == 1, warned
    assert warned[0].startswith(f"Refused to pack {folder} (acme/fold/1 answered 404): ")
    assert said in warned[0] and "/proc/self/fd/" not in warned[0], warned[0]
    monkeypatch.undo()  # The folder as it is now, read whole: served.
    assert _download(app_)[0] == (404 if change is _replace_a_file_by_a_socket else 200)


@needs_root
def test_a_model_folder_the_server_may_not_enter_is_a_500_saying_chmod(shared):
    """L1: a model folder the server's user may not enter (0700, another user's) was taken
    for one without saved_model.pb (os.path.isfile swallows EACCES): a 404 "cannot be packed
    as it is". Now a 500, the log naming the folder and 'chmod'."""
    root = shared / "hub"
    (shared / "cache").mkdir(mode=0o700)
    app_, folder = _folder_hub(root, shared / "cache")
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chmod(folder, 0o700)  # root's: the user nobody may not enter it.
    os.chown(shared / "cache", NOBODY, NOBODY)

    def download() -> tuple[int, bytes, list[str]]:
        with _captured("tfhub.hub.archive_answers") as lines:
            return (*_download(app_), lines)

    status, body, lines = run_as_user(download).result()
    log = " ".join(lines)
    assert status == 500, body
    assert b"cannot be packed" in body
    assert f"Cannot pack acme/fold/1 (its model folder {folder}; answered 500): the server's" in log
    assert "Permission denied" in log and f"chmod -R a+rX {folder}" in log


@contextlib.contextmanager
def _captured(name: str) -> Iterator[list[str]]:
    """The messages the logger `name` logs meanwhile (a forked child has no caplog)."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused to")]


def test_a_doc_read_fine_again_is_warned_about_again_when_refused(tmp_path, monkeypatch, caplog):
    """L2: a doc briefly gone (a republish's rename), read fine again, later swapped for a
    symlink to a secret outside ROOT: that refusal is warned about (it was remembered)."""
    monkeypatch.setattr(api, "_DOCS_LEFT_OUT", WarnedOnce())
    caplog.set_level(logging.WARNING)
    root = tmp_path / "root"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    doc = root / "1.md"
    held = type("Held", (), {"path": doc})()
    assert api._file_text(held, root=root) is None  # Gone.
    doc.write_text("# Module a/b/1\n")
    assert api._file_text(held, root=root) == "# Module a/b/1\n"
    doc.unlink()
    doc.symlink_to(secret)
    assert api._file_text(held, root=root) is None
    assert len(_refusals(caplog)) == 1 and "secret.txt is outside" in _refusals(caplog)[0]
    assert api._file_text(held, root=root) is None  # Asked again: said once.
    assert len(_refusals(caplog)) == 1


def test_a_size_fine_again_is_warned_about_again_when_refused(tmp_path, monkeypatch, caplog):
    """L2 (_SIZES_REFUSED): a model folder refused, fine again, then refused again: warned
    about each time it is refused anew, once while it stays refused."""
    monkeypatch.setattr(api, "_SIZES_REFUSED", WarnedOnce())
    caplog.set_level(logging.WARNING)
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = root / "1"
    folder.symlink_to(outside)
    assert api._real(folder, root) is None
    assert api._real(folder, root) is None
    assert len(_refusals(caplog)) == 1
    folder.unlink()
    folder.symlink_to(root / "real")
    assert api._real(folder, root) == str(root / "real")
    folder.unlink()
    folder.symlink_to(outside)
    assert api._real(folder, root) is None
    assert len(_refusals(caplog)) == 2


def test_a_confined_read_asks_for_the_files_size_not_the_limit(tmp_path):
    """M4: `read_inside` read `limit` + 1 bytes (64 MiB for a doc) into a buffer per read; now
    its size + 1: a small doc's read allocates kilobytes. The limit still holds."""
    small, large = tmp_path / "small.md", tmp_path / "large.md"
    small.write_bytes(b"# Module a/b/1\n" * 10)
    large.write_bytes(b"x" * 5000)
    tracemalloc.start()
    try:
        data = confinement.read_inside(small, tmp_path, limit=64 << 20, refused="x")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data == small.read_bytes()
    assert peak < 1 << 20, peak
    assert confinement.read_inside(large, tmp_path, limit=4096, refused="x") == b"x" * 4097
    assert confinement.read_inside(large, tmp_path, limit=5000, refused="x") == b"x" * 5000


def test_a_scan_takes_roots_real_path_once(tmp_path, monkeypatch):
    """M4: the scan's confined reads took realpath(ROOT) once per doc (twice with the doc's)."""
    root = tmp_path / "hub"
    for version in (1, 2, 3):
        write_model_doc(root, f"acme/emb/{version}")
    asked: list[str] = []
    realpath = os.path.realpath

    def counted(path: Any, *args: Any, **kwargs: Any) -> str:
        asked.append(os.fspath(path))
        return realpath(path, *args, **kwargs)

    monkeypatch.setattr(os.path, "realpath", counted)
    docs = served_docs(root)
    assert len(docs) == 3
    assert asked.count(os.fspath(root)) == 1, asked


@pytest.mark.skipif(not os.path.isfile("/proc/self/status"), reason="needs Linux's /proc")
def test_a_confined_read_of_a_file_larger_than_its_size_reads_on_to_the_limit():
    """M4: the size is a hint: a file grown since its fstat (or /proc's, which say 0 bytes) is
    read on, up to `limit` + 1 bytes, as before."""
    whole = Path("/proc/self/status").read_bytes()
    assert os.stat("/proc/self/status").st_size == 0 and len(whole) > 101
    read = confinement.read_inside("/proc/self/status", "/proc", limit=1 << 20, refused="x")
    assert read is not None and read.startswith(b"Name:") and len(read) > 101
    assert len(confinement.read_inside("/proc/self/status", "/proc", limit=100, refused="x")) == 101


def test_a_parent_gone_after_it_was_made_is_a_problem(tmp_path):
    """H1: `recheck` (made=True): a parent missing after `makedirs` was removed meanwhile; at
    start (made=False) a missing parent is fine (this process makes it, then checks it)."""
    real = str(tmp_path / "gone" / "cache")
    found = cache_dir.parents_problem(real, team=True, made=True)
    assert found == (str(tmp_path / "gone"), "is missing now (removed since it was made)")
    assert cache_dir.parents_problem(real, team=True, made=False) is None

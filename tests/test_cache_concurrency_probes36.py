"""Many users of one cache at once, and users that die midway (session 36's probes).

Real processes and threads, a real server on 127.0.0.1, real archives: the cache must never be
left corrupt (`tfhub cache verify` exits 0, no leftovers once the work is done), a model is
downloaded once however many ask for it, and no wait is unbounded.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from tests._helpers import mounts
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import LocalServer, archive_gets, delay
from tests._helpers.python_process import child_env, run_python, run_tfhub, start_python
from tests._helpers.threads import run_threads

import tfhub as hub
from tfhub import errors, handles

NEW_FILES = {"saved_model.pb": b"\x08\x02" * 40, "assets/vocab.txt": b"a\nb\n"}

# Resolves argv[1] in argv[2] threads at once; prints each thread's folder.
_RESOLVE_IN_THREADS = """
import sys, threading, tfhub
url, count = sys.argv[1], int(sys.argv[2])
found = []
threads = [threading.Thread(target=lambda: found.append(tfhub.resolve(url))) for _ in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(60)
print("\\n".join(found))
"""


def _assert_clean(cache_dir: Path) -> None:
    """`tfhub cache verify` exits 0 and `tfhub cache info` finds no damage and no leftover."""
    verified = run_tfhub("cache", "verify", TFHUB_CACHE_DIR=str(cache_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "leftover" not in verified.stdout, verified.stdout
    info = run_tfhub("cache", "info", TFHUB_CACHE_DIR=str(cache_dir))
    assert "damaged entries: 0\n" in info.stdout and "leftovers: 0\n" in info.stdout, info.stdout


def _import(archive: str, handle: str, *, force: bool) -> str:
    from tfhub.cache.importing import import_archive

    return import_archive(archive, handle, force=force)


# --- Local caches: processes and threads ---------------------------------------------------------


def test_threads_of_several_processes_download_once(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(delay("m.tar.gz", 0.8))
    url = server.url("m.tar.gz")
    env = child_env(TFHUB_CACHE_DIR=str(isolated_cache))
    procs = [start_python(_RESOLVE_IN_THREADS, url, "3", env=env) for _ in range(3)]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 3, outputs
    found = [line for out, _ in outputs for line in out.split()]
    assert found == [os.path.join(isolated_cache, handles.cache_key(url))] * 9
    assert read_tree(found[0]) == MODEL_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 1
    _assert_clean(isolated_cache)


def _resolved_while_replaced(
    server: LocalServer, served_dir: Path, tmp_path: Path, *, resolving_threads: int
) -> tuple[str, set[str]]:
    """Resolves the served archive, then resolves it again in `resolving_threads` threads for
    1.5 s while another thread imports a new archive over it three times (`--force`).

    Returns:
        The entry, and every path the resolving threads got (asserting none raised).
    """
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    new = make_tar_gz(tmp_path / "new.tar.gz", NEW_FILES)
    stop = time.monotonic() + 1.5

    def keep_resolving() -> list[str]:
        seen = []
        while time.monotonic() < stop:
            seen.append(hub.resolve(url))
        return seen

    def replace() -> list[str]:
        return [_import(new, url, force=True) for _ in range(3)]

    results, failures = run_threads(replace, *[keep_resolving] * resolving_threads)
    assert failures == []
    return entry, {path for seen in results for path in seen}  # type: ignore[attr-defined]


def test_resolves_while_an_import_force_replaces_the_entry(
    server, served_dir, isolated_cache, tmp_path
):
    """Resolves that find the entry mid-replacement wait for it; none downloads again."""
    entry, seen = _resolved_while_replaced(server, served_dir, tmp_path, resolving_threads=3)
    assert seen == {entry}
    assert read_tree(entry) == NEW_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 1
    _assert_clean(isolated_cache)


_RESOLVE = "import sys, tfhub; print(tfhub.resolve(sys.argv[1]))"
BIG_FILES = {"saved_model.pb": b"pb", "variables/data": os.urandom(300_000)}


def _start_stalled_resolve(server: LocalServer, served_dir: Path, cache_dir: Path, stall: float):
    """Starts a resolve in another process whose download stalls `stall` s midway; returns it
    once it holds the entry's lock and writes into its temporary folder."""
    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    server.state.behaviours.append(delay("m.tar.gz", stall, stall_after=20_000, times=1))
    env = child_env(TFHUB_CACHE_DIR=str(cache_dir))
    proc = start_python(_RESOLVE, server.url("m.tar.gz"), env=env)
    deadline = time.monotonic() + 30
    while not any(name.endswith(".tmp") for name in _names(cache_dir)):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.3)
    return proc


def _names(cache_dir: Path) -> list[str]:
    return sorted(os.listdir(cache_dir)) if cache_dir.is_dir() else []


def test_a_resolve_killed_midway_then_another_leaves_a_clean_cache(
    server, served_dir, isolated_cache
):
    proc = _start_stalled_resolve(server, served_dir, isolated_cache, 30)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    info = run_tfhub("cache", "info", TFHUB_CACHE_DIR=str(isolated_cache))
    assert "leftovers: 0\n" not in info.stdout  # What it left is seen...
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == BIG_FILES
    _assert_clean(isolated_cache)  # ...and gone once the next resolve is done.


@pytest.mark.parametrize(
    "command", [["rm", "URL"], ["rm", "--all"], ["prune"], ["verify"], ["info"]]
)
def test_cache_commands_during_a_resolve_of_the_entry(server, served_dir, isolated_cache, command):
    """The command neither breaks the download nor reports it as damage; the cache stays
    valid."""
    proc = _start_stalled_resolve(server, served_dir, isolated_cache, 2)
    argv = [server.url("m.tar.gz") if arg == "URL" else arg for arg in command]
    done = run_tfhub("cache", *argv, TFHUB_CACHE_DIR=str(isolated_cache), TFHUB_LOCK_TIMEOUT="1")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DAMAGED" not in done.stdout and "leftover(s)" not in done.stdout, done.stdout
    if command == ["info"]:
        assert "leftovers: 0\n" in done.stdout, done.stdout
    entry = out.strip()
    if command == ["rm", "URL"]:  # It waited for the download, then removed it.
        assert not os.path.lexists(entry) and done.stdout == f"removed {entry}\n"
    else:
        assert read_tree(entry) == BIG_FILES
    _assert_clean(isolated_cache)


# --- Caches on tf.io.gfile filesystems (ram:// is per process: threads) ------------------------


@pytest.fixture
def gfile(monkeypatch: pytest.MonkeyPatch) -> object:
    """tf.io.gfile, with TFHUB_CACHE_DIR set to a new folder of the in-memory filesystem."""
    tf = pytest.importorskip("tensorflow")
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"ram://tfhub-cache-{uuid.uuid4().hex}")
    return tf.io.gfile


def _gfile_files(gfile: object, entry: str) -> dict[str, bytes]:
    """The files of a gfile entry (ram:// lists the files beside it inside it: left out)."""
    found = {}
    for top, _, names in gfile.walk(entry):  # type: ignore[attr-defined]
        for name in names:
            path = f"{top.rstrip('/')}/{name}"
            if top.rstrip("/") != entry or not name.startswith("."):
                with gfile.GFile(path, "rb") as stored:  # type: ignore[attr-defined]
                    found[path[len(entry) + 1 :]] = stored.read()
    return found


@pytest.mark.tf
def test_gfile_resolves_while_an_import_force_replaces_the_entry(
    server, served_dir, gfile, tmp_path
):
    entry, seen = _resolved_while_replaced(server, served_dir, tmp_path, resolving_threads=2)
    assert seen == {entry}
    assert _gfile_files(gfile, entry) == NEW_FILES and hub.cache.is_complete(entry)
    assert len(archive_gets(server, "m.tar.gz")) == 1


@pytest.mark.tf
def test_gfile_spellings_of_one_entry_take_one_turn(server, served_dir, gfile, monkeypatch):
    """`TFHUB_CACHE_DIR=ram://x/c/` and `resolver.atomic_download(..., "ram://x/c/<sha>/")`
    name the entry `ram://x/c/<sha>`: one download. (`ram://x//c` is another folder on ram://,
    whose names are plain strings: not the same entry.)"""
    from tfhub import resolver
    from tfhub.archive_fetch import fetch_http_archive

    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(delay("m.tar.gz", 0.5))
    url = server.url("m.tar.gz")
    root = os.environ["TFHUB_CACHE_DIR"]
    monkeypatch.setenv("TFHUB_CACHE_DIR", root + "/")
    key = handles.cache_key(url)
    fetch = fetch_http_archive(url, handle=url)

    def by_upstream_api() -> str:
        return resolver.atomic_download(url, lambda _, tmp: fetch(tmp), f"{root}/{key}/")

    results, failures = run_threads(lambda: hub.resolve(url), by_upstream_api)
    assert failures == [] and sorted(results) == sorted([f"{root}/{key}", f"{root}/{key}/"])
    assert len(archive_gets(server, "m.tar.gz")) == 1
    assert _gfile_files(gfile, f"{root}/{key}") == MODEL_FILES


@pytest.mark.tf
def test_gfile_entry_another_process_completes_meanwhile_is_kept(gfile, tmp_path, caplog):
    """Another process (machine) copied the entry while ours downloaded it: ours was committed
    over it, removing its files under the jobs that may be loading them already (a cluster's
    workers starting at once on a gs:// cache). As in a local cache, the entry found complete is
    kept and ours dropped."""
    from tfhub.cache import remote
    from tfhub.download import atomic_download

    handle = "https://h.example/m/1"
    entry = f"{os.environ['TFHUB_CACHE_DIR']}/{handles.cache_key(handle)}"
    theirs = tmp_path / "theirs"
    for name, data in MODEL_FILES.items():
        (theirs / name).parent.mkdir(parents=True, exist_ok=True)
        (theirs / name).write_bytes(data)

    def fetch(folder: str) -> None:
        remote.install(handle, os.fspath(theirs), entry)  # The other process, meanwhile.
        for name, data in NEW_FILES.items():
            os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
            with open(os.path.join(folder, name), "wb") as out:
                out.write(data)

    assert atomic_download(handle, fetch) == entry
    assert _gfile_files(gfile, entry) == MODEL_FILES and hub.cache.is_complete(entry)
    assert "installed by another process" in caplog.text
    root = os.environ["TFHUB_CACHE_DIR"]
    assert sorted(gfile.listdir(root)) == sorted(  # type: ignore[attr-defined]
        name.rsplit("/", 1)[-1]
        for name in (entry, entry + ".descriptor.txt", entry + ".manifest.json")
    )


@pytest.mark.tf
@pytest.mark.parametrize("raced", ["the manifest", "a file"])
def test_gfile_copy_racing_another_processs_copy_of_the_entry(
    server, served_dir, gfile, tmp_path, monkeypatch, raced
):
    """Two processes (machines) put their copies of one entry in place at once: each removes
    the entry's old manifest and files, and one found a file the other had just removed. That
    ended in a CacheError ("... not found"), and its clean-up removed what the other had put
    in place (the race the threads of one process had in CI, across processes)."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    remove = gfile.remove  # type: ignore[attr-defined]
    taken: list[str] = []

    def removed_by_the_other_first(path: str) -> None:
        ours = path.endswith(".manifest.json") if raced == "the manifest" else "/variables/" in path
        if ours and not taken:
            taken.append(path)
            remove(path)  # The other process, a moment earlier.
        remove(path)

    monkeypatch.setattr(gfile, "remove", removed_by_the_other_first)
    assert _import(make_tar_gz(tmp_path / "new.tar.gz", NEW_FILES), url, force=True) == entry
    assert taken and _gfile_files(gfile, entry) == NEW_FILES and hub.cache.is_complete(entry)


def test_a_child_forked_while_a_thread_holds_a_gfile_entrys_turn_gets_its_own(tmp_path):
    """A thread of the parent copies the entry (holding its turn) when a worker is forked: the
    child got the turn's lock held, by a thread it does not have, and its resolve of the entry
    waited forever. (The turn is taken directly: TensorFlow is not used after a fork.)"""
    from tfhub.cache import remote

    entry = f"ram://tfhub-cache-{uuid.uuid4().hex}/{'0' * 40}"
    holding, done = threading.Event(), threading.Event()

    def copy_in_progress() -> None:
        with remote._entry_turn(entry):
            holding.set()
            done.wait(30)

    thread = threading.Thread(target=copy_in_progress)
    thread.start()
    try:
        assert holding.wait(10)
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child, which exits at once.
            code = 1
            try:
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                signal.alarm(5)  # Ends a child that waits.
                with remote._entry_turn(entry):
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
    finally:
        done.set()
        thread.join(timeout=30)
    assert os.waitstatus_to_exitcode(status) == 0


# The parent holds lock A and forks inside its block; in the child a thread takes lock B (it
# gets A's fd number, closed by the at-fork hook), then the child's main thread leaves A's block.
_FORK_THEN_REUSED_FD = """
import os, sys, tempfile, threading
from tfhub.utils import filelock
folder = tempfile.mkdtemp()
a, b = os.path.join(folder, "a.lock"), os.path.join(folder, "b.lock")
inherited = filelock.weak_file_lock(a, what="A", timeout=5)
inherited.__enter__()
child = os.fork()
if child == 0:
    taken, done = threading.Event(), threading.Event()
    def hold_b():
        with filelock.weak_file_lock(b, what="B", timeout=5):
            taken.set()
            done.wait(10)
    holder = threading.Thread(target=hold_b)
    holder.start()
    taken.wait(10)
    inherited.__exit__(None, None, None)
    print(filelock.try_lock(b), flush=True)
    done.set()
    holder.join()
    os._exit(0)
os.waitpid(child, 0)
inherited.__exit__(None, None, None)
"""


def test_leaving_an_inherited_lock_in_a_forked_child_frees_no_other_lock():
    """Held locks were recorded by fd number: the child's own lock on a reused number was
    unlocked and closed when the child left the block it inherited, while its holder ran."""
    done = run_python(_FORK_THEN_REUSED_FD, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stdout + done.stderr


# The forking thread holds an entry's turn; in the child, thread 2 takes the turn, the inherited
# frame leaves, and thread 3 asks for the turn while thread 2 still holds it.
_FORK_INSIDE_A_TURN = """
import os, threading
from tfhub.cache import remote
entry = "ram://cache/" + "0" * 40
inherited = remote._entry_turn(entry)
inherited.__enter__()
child = os.fork()
if child == 0:
    inside, taken, done = [], threading.Event(), threading.Event()
    def second():
        with remote._entry_turn(entry):
            inside.append("second")
            taken.set()
            done.wait(10)
    def third():
        with remote._entry_turn(entry):
            inside.append("third, the second done" if done.is_set() else "third with the second")
    holder = threading.Thread(target=second)
    holder.start()
    taken.wait(10)
    inherited.__exit__(None, None, None)
    waiter = threading.Thread(target=third)
    waiter.start()
    waiter.join(1)
    done.set()
    holder.join()
    waiter.join()
    print(inside, flush=True)
    os._exit(0)
os.waitpid(child, 0)
inherited.__exit__(None, None, None)
"""


def test_leaving_an_inherited_turn_in_a_forked_child_keeps_the_childs_own():
    """The inherited frame's clean-up removed the child's own turn of the entry: a third thread
    then made a new lock and copied while the second still did."""
    done = run_python(_FORK_INSIDE_A_TURN, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['second', 'third, the second done']", done.stdout


# --- Killed midway -------------------------------------------------------------------------------

# `tfhub import --force`, killed once the old entry is renamed aside, before the new folder is
# renamed into place.
_KILLED_BETWEEN_RENAMES = """
import os, signal, sys
from tfhub.cli.main import main

real_rename = os.rename

def rename(source, target, *args, **kwargs):
    if str(source).endswith(".tmp") and not str(target).endswith(".tmp"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_rename(source, target, *args, **kwargs)

os.rename = rename
sys.exit(main(sys.argv[1:]))
"""


def test_a_resolve_after_an_import_force_killed_between_its_renames(
    server, served_dir, isolated_cache, tmp_path
):
    """The resolve puts the new folder in place (no download), and nothing is left over."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    new = make_tar_gz(tmp_path / "new.tar.gz", NEW_FILES)
    env = child_env(TFHUB_CACHE_DIR=str(isolated_cache))
    args = ("import", new, "--handle", url, "--force")
    killed = run_python(_KILLED_BETWEEN_RENAMES, *args, env=env, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not os.path.lexists(entry)
    assert hub.resolve(url) == entry
    assert read_tree(entry) == NEW_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 1
    _assert_clean(isolated_cache)


# Resolves argv[1] in a thread; once it downloads, forks a child that sleeps (a worker pool
# forked meanwhile, which never touches tfhub), prints the child's pid, and is killed.
_KILLED_AFTER_A_FORK = """
import os, signal, sys, threading, time, tfhub

threading.Thread(target=tfhub.resolve, args=(sys.argv[1],), daemon=True).start()
root = os.environ["TFHUB_CACHE_DIR"]


def receiving():
    # Whether a byte of the archive was extracted: the server answered (its one stall is spent).
    # Before, a loaded machine could kill this process before its request reached the server,
    # and the next resolve got the stall instead (over its 60 s).
    for dirpath, _, files in os.walk(root):
        for name in files:
            try:
                if ".tmp" in dirpath and os.path.getsize(os.path.join(dirpath, name)) > 0:
                    return True
            except OSError:
                pass
    return False


while not receiving():
    time.sleep(0.02)
time.sleep(0.3)
child = os.fork()
if child == 0:
    time.sleep(60)
    os._exit(0)
print(child, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_download_killed_after_forking_a_worker_does_not_block_the_next(
    server, served_dir, isolated_cache
):
    """The child inherited the lock (an flock belongs to the open file, which a fork shares):
    the lock outlived the download killed, and the next resolve waited TFHUB_LOCK_TIMEOUT for
    the dead process, then failed telling the user to end it, as long as the child ran."""
    make_tar_gz(served_dir / "m.tar.gz", BIG_FILES)
    server.state.behaviours.append(delay("m.tar.gz", 60, stall_after=20_000, times=1))
    url = server.url("m.tar.gz")
    env = child_env(TFHUB_CACHE_DIR=str(isolated_cache), TFHUB_LOCK_TIMEOUT="20")
    proc = start_python(_KILLED_AFTER_A_FORK, url, env=env)
    assert proc.stdout is not None
    forked = int(proc.stdout.readline() or 0)
    try:
        assert proc.wait(timeout=60) == -signal.SIGKILL and forked, proc.communicate()
        started = time.monotonic()
        done = run_tfhub(
            "resolve", url, TFHUB_CACHE_DIR=str(isolated_cache), TFHUB_LOCK_TIMEOUT="20"
        )
        assert done.returncode == 0, done.stderr
        # Below TFHUB_LOCK_TIMEOUT: not a wait for the lock (a child holding it lives 60 s).
        # Not lower: a heavily loaded machine took over 10 s to start the process and download.
        assert time.monotonic() - started < 19
    finally:
        if forked:
            os.kill(forked, signal.SIGKILL)
    assert read_tree(done.stdout.strip()) == BIG_FILES


# `tfhub cache rm ARGS`, killed once the entry's folder is renamed aside, as it deletes it.
_KILLED_REMOVING = """
import os, signal, sys
from tfhub.cache import deleting as store
from tfhub.cli.main import main

def delete_tree(folder):
    os.kill(os.getpid(), signal.SIGKILL)

store.delete_tree = delete_tree
sys.exit(main(["cache", "rm", *sys.argv[1:]]))
"""


@pytest.mark.parametrize("then", ["resolve", "rm"])
def test_a_cache_rm_killed_midway_then_a_resolve_or_rm(server, served_dir, isolated_cache, then):
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    entry = hub.resolve(url)
    env = child_env(TFHUB_CACHE_DIR=str(isolated_cache))
    killed = run_python(_KILLED_REMOVING, url, env=env, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not os.path.lexists(entry)
    if then == "resolve":
        assert hub.resolve(url) == entry and read_tree(entry) == MODEL_FILES
        assert len(archive_gets(server, "m.tar.gz")) == 2
    else:
        done = run_tfhub("cache", "rm", url, TFHUB_CACHE_DIR=str(isolated_cache))
        assert done.returncode == 0, done.stderr
        assert _names(isolated_cache) == [".locks"]
    _assert_clean(isolated_cache)


# A resolve killed while it writes the entry's bookkeeping (`<entry>.descriptor.txt.<uid>.part`,
# fsynced before its rename).
_KILLED_WRITING_BOOKKEEPING = """
import os, signal, sys, tfhub

real_replace = os.replace

def replace(source, target, *args, **kwargs):
    if str(source).endswith(".part"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(source, target, *args, **kwargs)

os.replace = replace
tfhub.resolve(sys.argv[1])
"""


def test_a_resolve_after_one_killed_writing_the_bookkeeping(server, served_dir, isolated_cache):
    """The next resolve downloads the entry, and nothing of the killed one is left over."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    env = child_env(TFHUB_CACHE_DIR=str(isolated_cache))
    killed = run_python(_KILLED_WRITING_BOOKKEEPING, url, env=env, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert any(name.endswith(".part") for name in _names(isolated_cache))
    entry = hub.resolve(url)
    assert read_tree(entry) == MODEL_FILES
    _assert_clean(isolated_cache)


# --- A full disk ---------------------------------------------------------------------------------


def _remount(disk: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", os.fspath(disk)], check=True)


def _used_inodes(disk: Path) -> int:
    room = os.statvfs(disk)
    return room.f_files - room.f_ffree


def test_import_force_on_a_disk_that_fills_up_at_each_step_keeps_the_entry(tmp_path, monkeypatch):
    """With one inode more at each try, the disk fills up at each step of a replacement (its
    temporary folder, each file, the descriptor, the manifest): each try ends in DiskFullError
    naming the cache folder with the old entry intact and nothing left over, until the new one
    fits and replaces it."""
    from tfhub.cache import verify

    handle = "https://h.example/m/1"
    new = make_tar_gz(tmp_path / "new.tar.gz", {**NEW_FILES, "variables/data": b"v" * 5000})
    with mounts.tmpfs(tmp_path / "fs", "size=8m,nr_inodes=1000") as disk:
        root = disk / "cache"
        monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(root))
        entry = _import(make_tar_gz(tmp_path / "old.tar.gz"), handle, force=False)
        for extra in range(30):
            _remount(disk, f"nr_inodes={_used_inodes(disk) + extra}")
            try:
                _import(new, handle, force=True)
            except errors.DiskFullError as err:
                assert os.fspath(root) in str(err), err
                assert read_tree(entry) == MODEL_FILES
            else:
                assert read_tree(entry) == {**NEW_FILES, "variables/data": b"v" * 5000}
                break
            finally:
                _remount(disk, "nr_inodes=1000")
            assert verify.verify_entry(entry).state == "ok"
            assert hub.cache.leftovers(os.fspath(root)) == []
            assert sorted(os.listdir(root)) == sorted(
                [
                    ".locks",
                    *(
                        os.path.basename(entry) + end
                        for end in ("", ".descriptor.txt", ".manifest.json")
                    ),
                ]
            )
        assert extra > 3  # It failed at several steps before it fitted.
        _assert_clean(root)


# --- A file the cache's filesystem refuses to let grow -------------------------------------------


def _limit_file_size() -> None:
    """In the child: files may not grow past 100 kB (`ulimit -f`; as a FAT32 disk refuses files
    over 4 GB). Python ignores SIGXFSZ: a write past it fails with EFBIG."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_import_force_of_a_file_too_large_for_the_cache_says_so_and_keeps_the_entry(
    isolated_cache, tmp_path
):
    """Said "bad archive: ... truncated or corrupt (File too large) ... get a fresh copy of the
    archive" (exit 5): the archive is fine, the cache's disk refuses a file that big."""
    handle = "https://h.example/m/1"
    entry = _import(make_tar_gz(tmp_path / "old.tar.gz"), handle, force=False)
    big = {"saved_model.pb": b"pb", "variables/data": os.urandom(300_000)}
    archive = make_tar_gz(tmp_path / "big.tar.gz", big)
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "import", archive, "--handle", handle, "--force"],
        env=child_env(TFHUB_CACHE_DIR=str(isolated_cache)),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_file_size,
    )
    assert read_tree(entry) == MODEL_FILES  # The old entry is kept...
    _assert_clean(isolated_cache)  # ...and nothing of the new one is left.
    assert done.returncode == 6 and "tfhub: cache error: " in done.stderr, done.stderr
    assert str(isolated_cache) in done.stderr and "fresh copy" not in done.stderr
    assert "file-size limit (`ulimit -f`)" in done.stderr, done.stderr

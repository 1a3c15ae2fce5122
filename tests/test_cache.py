"""The cache: location (env, absl flags, default), layout shared with tensorflow_hub, scanning."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import answer_status, archive_gets, delay
from tests._helpers.python_process import child_env, run_python
from tests._helpers.warm_python import start_warm_python

import tfhub as hub
from tfhub import cache, constants, errors, handles
from tfhub.cache import prune as prune_policy
from tfhub.download import atomic_download


def _fill(target):
    for name, data in MODEL_FILES.items():
        os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
        open(os.path.join(target, name), "wb").write(data)


def test_default_cache_dir_is_upstreams(monkeypatch):
    monkeypatch.delenv("TFHUB_CACHE_DIR")
    from absl import flags

    monkeypatch.setattr(flags.FLAGS["tfhub_cache_dir"], "value", None)
    assert cache.cache_dir() == os.path.join(tempfile.gettempdir(), "tfhub_modules")


def test_absl_flags_and_env_precedence(monkeypatch, tmp_path):
    from absl import flags

    assert "tfhub_cache_dir" in flags.FLAGS and "tfhub_model_load_format" in flags.FLAGS
    monkeypatch.setattr(flags.FLAGS["tfhub_cache_dir"], "value", str(tmp_path / "flag"))
    assert cache.cache_dir() == os.environ["TFHUB_CACHE_DIR"]  # The env var wins.
    monkeypatch.delenv("TFHUB_CACHE_DIR")
    assert cache.cache_dir() == str(tmp_path / "flag")
    monkeypatch.setattr(flags.FLAGS["tfhub_model_load_format"], "value", "UNCOMPRESSED")
    assert constants.model_load_format() is constants.ModelLoadFormat.UNCOMPRESSED
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "COMPRESSED")
    assert constants.model_load_format() is constants.ModelLoadFormat.COMPRESSED


def test_a_cache_dir_with_white_space_is_used_as_given_and_warned_once(
    monkeypatch, tmp_path, caplog
):
    """TFHUB_CACHE_DIR=" /data/cache" (a .env file) is a folder " " + path in the working
    folder, for tensorflow_hub too (checked with 0.16.1: it joins the value as given), so
    tfhub keeps it to stay shared, but it did so silently: now it warns once, naming the
    variable and the folder used."""
    monkeypatch.chdir(tmp_path)
    meant = str(tmp_path / "cache")
    monkeypatch.setenv("TFHUB_CACHE_DIR", " " + meant)
    with caplog.at_level("WARNING", logger="tfhub"):
        assert cache.cache_dir() == os.path.join(str(tmp_path), " " + meant)
        assert cache.cache_dir() == os.path.join(str(tmp_path), " " + meant)
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 1, said
    assert (
        "TFHUB_CACHE_DIR" in said[0] and repr(os.path.join(str(tmp_path), " " + meant)) in said[0]
    )
    assert repr(meant) in said[0]  # What the user probably meant.


def test_entry_holds_exactly_the_archive_and_bookkeeping_is_beside(isolated_cache):
    path = atomic_download("my-handle", _fill)
    assert path == os.path.join(isolated_cache, handles.cache_key("my-handle"))
    assert read_tree(path) == MODEL_FILES
    assert sorted(os.listdir(isolated_cache)) == sorted(
        [
            ".locks",
            os.path.basename(path),
            os.path.basename(path) + ".descriptor.txt",
            os.path.basename(path) + ".manifest.json",
        ]
    )
    manifest = cache.read_manifest(path)
    assert manifest.sizes == {k: len(v) for k, v in MODEL_FILES.items()}
    assert manifest.digests == {k: hashlib.sha256(v).hexdigest() for k, v in MODEL_FILES.items()}
    assert cache.read_descriptor_handle(path) == "my-handle"


def test_resized_file_is_damage(isolated_cache):
    path = atomic_download("h", _fill)
    with open(os.path.join(path, "saved_model.pb"), "ab") as grow:
        grow.write(b"x")
    assert cache.damage(path) == "saved_model.pb has 129 bytes instead of 128"


def test_scan_and_leftovers(isolated_cache):
    path = atomic_download("h", _fill)
    os.makedirs(path + ".abc.tmp")  # A killed download's folder (no lock held).
    (entry,) = cache.scan()
    assert (entry.name, entry.handle, entry.damage) == (os.path.basename(path), "h", None)
    assert entry.size == sum(len(v) for v in MODEL_FILES.values())
    assert entry.download_time
    assert cache.leftovers() == [path + ".abc.tmp"]
    cache.remove(path)
    assert sorted(os.listdir(isolated_cache)) == [".locks", os.path.basename(path) + ".abc.tmp"]


def test_live_download_is_not_a_leftover(isolated_cache):
    import filelock

    path = cache.module_dir("h")
    os.makedirs(path + ".abc.tmp")
    os.makedirs(os.path.dirname(cache.lock_path(path)))
    lock = filelock.FileLock(cache.lock_path(path))
    import threading

    held, release = threading.Event(), threading.Event()

    def holder():  # Held from another thread: flock conflicts across open files.
        with lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        assert cache.is_download_running(path)
        assert cache.leftovers() == []
    finally:
        release.set()
        thread.join()
    # Free now: the temporary folder, and the lock file of an entry that does not exist.
    assert cache.leftovers() == [path + ".abc.tmp", cache.lock_path(path)]


@pytest.mark.tf
def test_tensorflow_hub_reads_tfhub_cache_and_back(server, served_dir, isolated_cache):
    tensorflow_hub = pytest.importorskip("tensorflow_hub")
    make_tar_gz(served_dir / "a.tar.gz")
    make_tar_gz(served_dir / "b.tar.gz", {"saved_model.pb": b"b"})
    ours = hub.resolve(server.url("a.tar.gz"))
    theirs = tensorflow_hub.resolve(server.url("b.tar.gz"))
    assert os.path.dirname(theirs) == str(isolated_cache)
    assert tensorflow_hub.resolve(server.url("a.tar.gz")) == ours  # No download by upstream.
    assert hub.resolve(server.url("b.tar.gz")) == theirs  # Nor by us.
    assert len([r for r in server.state.requests if "a.tar.gz" in r[1]]) == 1
    assert len([r for r in server.state.requests if "b.tar.gz" in r[1]]) == 1


def test_absl_command_line_flags_are_honoured(tmp_path, upstream_copy):
    import json

    code = (
        "import sys, tfhub, json\n"
        "from absl import flags\n"
        "flags.FLAGS(['prog', '--tfhub_cache_dir=' + sys.argv[1],"
        " '--tfhub_model_load_format=COMPRESSED'])\n"
        "from tfhub import cache, constants\n"
        "print(json.dumps([cache.cache_dir(), constants.model_load_format().value,"
        " tfhub.resolve(sys.argv[2])]))\n"
    )
    record = json.loads((upstream_copy / "cache_0.15.json").read_text())
    handle = record["entries"][0]["handle"]
    env = {k: v for k, v in child_env().items() if not k.startswith("TFHUB_")}
    out = run_python(code, str(upstream_copy / "cache_0.15"), handle, env=env, timeout=60).stdout
    cache_dir, load_format, path = json.loads(out)
    assert cache_dir == str(upstream_copy / "cache_0.15") and load_format == "COMPRESSED"
    assert path == str(upstream_copy / "cache_0.15" / record["entries"][0]["folder"])


def test_waits_for_a_tensorflow_hub_download_in_progress(isolated_cache):
    import threading

    module_path = cache.module_dir("h")
    os.makedirs(isolated_cache)
    open(module_path + ".lock", "w").write("host.123.abc")  # tensorflow_hub's lock.
    os.makedirs(module_path + ".abc.tmp")

    def upstream_finishes():
        _fill(module_path + ".abc.tmp")
        os.rename(module_path + ".abc.tmp", module_path)
        os.remove(module_path + ".lock")

    timer = threading.Timer(0.8, upstream_finishes)
    timer.start()
    fetched = []
    assert atomic_download("h", fetched.append) == module_path
    timer.join()
    assert fetched == []  # We did not download it again.
    assert read_tree(module_path) == MODEL_FILES


def _upstream_download_growing(module_path, *, seconds, every, uid="abc"):
    """A tensorflow_hub download of the entry in another (live) process, as its files show it:
    its lock file, and its temporary folder growing by a file `every` seconds for `seconds`;
    then it installs the entry and removes its lock, as tensorflow_hub does."""
    import threading

    open(module_path + ".lock", "w").write(f"otherhost.123.{uid}")
    tmp_dir = f"{module_path}.{uid}.tmp"
    os.makedirs(tmp_dir)

    def download():
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            open(os.path.join(tmp_dir, f"part{time.monotonic_ns()}"), "wb").write(b"x")
            time.sleep(every)
        for name in os.listdir(tmp_dir):
            os.remove(os.path.join(tmp_dir, name))
        _fill(tmp_dir)
        os.rename(tmp_dir, module_path)
        os.remove(module_path + ".lock")

    thread = threading.Thread(target=download)
    thread.start()
    return thread


def test_a_growing_tensorflow_hub_download_is_waited_for_beyond_the_lock_timeout(
    isolated_cache, monkeypatch
):
    # tensorflow_hub waits while the other download's folder grows, however long it takes;
    # TFHUB_LOCK_TIMEOUT (its lock_file_timeout_sec) bounds the time without growth only.
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "3")  # Margin for a busy machine's scheduling.
    module_path = cache.module_dir("h")
    os.makedirs(isolated_cache)
    # Growing every second, so some of the waiter's checks (every 0.5 s) see no change.
    download = _upstream_download_growing(module_path, seconds=6.0, every=1.0)
    fetched = []
    started = time.monotonic()
    assert atomic_download("h", fetched.append) == module_path
    download.join()
    assert time.monotonic() - started > 5.5 and fetched == []  # Waited; not downloaded twice.
    assert read_tree(module_path) == MODEL_FILES


def test_a_stalled_tensorflow_hub_download_is_taken_over_and_its_lock_removed(
    isolated_cache, monkeypatch
):
    # As tensorflow_hub does with a lock whose download shows no progress: it deletes the lock
    # (else tensorflow_hub processes after us would wait on it again) and downloads.
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "0.5")
    module_path = cache.module_dir("h")
    os.makedirs(isolated_cache)
    open(module_path + ".lock", "w").write("otherhost.123.abc")
    os.makedirs(module_path + ".abc.tmp")
    open(module_path + ".abc.tmp/saved_model.pb", "wb").write(b"its first bytes")
    started = time.monotonic()
    assert atomic_download("h", _fill) == module_path
    assert time.monotonic() - started < 5
    assert not os.path.exists(module_path + ".lock") and cache.is_complete(module_path)
    # Its folder stays: that process may still run (a stalled server), and it failed with
    # NotFoundError when its folder was removed under it; it removes it itself when it ends.
    assert os.listdir(module_path + ".abc.tmp") == ["saved_model.pb"]


def test_an_entry_another_writer_installs_meanwhile_is_kept(isolated_cache):
    # tensorflow_hub (or a fetch that writes the entry itself, as upstream's resolver_test's)
    # installs the entry while ours downloads: it may be in use already, so it is kept, as
    # tensorflow_hub keeps it ("Module already exists"), and ours is dropped.
    module_path = cache.module_dir("h")

    def fetch(tmp_dir):
        _fill(module_path)  # The other writer.
        open(os.path.join(tmp_dir, "saved_model.pb"), "wb").write(b"ours")

    assert atomic_download("h", fetch) == module_path
    assert read_tree(module_path) == MODEL_FILES and cache.is_complete(module_path)
    assert [n for n in os.listdir(isolated_cache) if n.endswith(".tmp")] == []
    # A damaged entry there before the download is removed first, as upstream does, so one
    # written meanwhile is again the other writer's (upstream's
    # testModuleDownloadedWhenEmptyFolderExists)...
    shutil.rmtree(module_path)
    os.makedirs(module_path)
    assert atomic_download("h", fetch) == module_path
    assert read_tree(module_path) == MODEL_FILES
    # ...and ours replaces it otherwise.
    os.remove(os.path.join(module_path, "saved_model.pb"))
    assert atomic_download("h", lambda tmp: _fill(tmp)) == module_path
    assert read_tree(module_path) == MODEL_FILES


def test_an_entry_installed_while_ours_writes_its_bookkeeping_is_kept(isolated_cache):
    """An entry another writer (tensorflow_hub, which ignores tfhub's lock) renamed into place
    while tfhub hashed the files of its own download was removed under it (it may be in use
    already) and replaced by tfhub's: the check that keeps it ran before the hashing only."""
    import threading

    module_path = cache.module_dir("h")
    size = 256 << 20  # Sparse: hashing it takes a while, storing it nothing.
    theirs = os.path.join(isolated_cache, "their-download")  # Not named like ours: not removed.
    os.makedirs(theirs)
    with open(os.path.join(theirs, "saved_model.pb"), "wb") as out:
        out.truncate(size)
    their_file = os.stat(os.path.join(theirs, "saved_model.pb")).st_ino

    def other_writer():  # Installs its copy once ours is writing its bookkeeping.
        deadline = time.monotonic() + 30
        while not os.path.exists(cache.descriptor_path(module_path)):
            assert time.monotonic() < deadline
            time.sleep(0.001)
        os.rename(theirs, module_path)

    def fetch(tmp_dir):  # Reports no hashes: they are computed at install.
        with open(os.path.join(tmp_dir, "saved_model.pb"), "wb") as out:
            out.truncate(size)

    writer = threading.Thread(target=other_writer)
    writer.start()
    try:
        assert atomic_download("h", fetch) == module_path
    finally:
        writer.join()
    assert not os.path.exists(theirs) and cache.is_complete(module_path)
    assert os.stat(os.path.join(module_path, "saved_model.pb")).st_ino == their_file  # Kept.
    assert [n for n in os.listdir(isolated_cache) if n.endswith(".tmp")] == []


def test_tfhub_writes_tensorflow_hubs_lock_while_it_downloads(isolated_cache):
    module_path = cache.module_dir("h")
    seen = []

    def fetch(tmp_dir):
        content = open(module_path + ".lock").read()
        seen.append((content, tmp_dir))
        _fill(tmp_dir)

    atomic_download("h", fetch)
    ((content, tmp_dir),) = seen
    # "host.pid.uid" naming our temporary folder, whose growth tensorflow_hub watches.
    assert content == f"{socket.gethostname()}.{os.getpid()}.{tmp_dir.split('.')[-2]}"
    assert tmp_dir == f"{module_path}.{content.rsplit('.', 1)[1]}.tmp"
    assert not os.path.exists(module_path + ".lock")  # Removed when done...
    with pytest.raises(RuntimeError):
        atomic_download("g", lambda tmp: (_ for _ in ()).throw(RuntimeError("failed")))
    assert not os.path.exists(cache.module_dir("g") + ".lock")  # ...or failed.


@pytest.mark.tf
def test_tensorflow_hub_waits_for_a_tfhub_download_instead_of_downloading(
    server, served_dir, isolated_cache
):
    import threading

    pytest.importorskip("tensorflow_hub")
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": b"from the server"})
    handle = server.url("m.tar.gz")
    code = (
        "import sys, tensorflow_hub\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "print(tensorflow_hub.resolve(sys.argv[1]), flush=True)\n"
    )
    upstream = start_warm_python(code, handle)  # Its own process; TensorFlow imported already.
    try:
        assert upstream.stdout.readline().strip() == "ready"
        release = threading.Event()
        module_path = cache.module_dir(handle)

        def fetch(tmp_dir):
            _fill(tmp_dir)
            assert release.wait(60)

        ours = threading.Thread(target=atomic_download, args=(handle, fetch))
        ours.start()
        deadline = time.monotonic() + 30
        while not os.path.exists(module_path + ".lock") and time.monotonic() < deadline:
            time.sleep(0.02)
        upstream.stdin.write("go\n")
        upstream.stdin.flush()
        time.sleep(2.0)  # tensorflow_hub finds our lock and waits (it polls every 5 s).
        release.set()
        ours.join()
        assert upstream.stdout.readline().strip() == module_path
        assert upstream.wait(timeout=60) == 0
    finally:
        upstream.kill()
    assert archive_gets(server, "m.tar.gz") == []  # It did not download it in parallel.
    assert read_tree(module_path) == MODEL_FILES


@pytest.mark.tf
def test_tfhub_waits_for_a_real_tensorflow_hub_download(server, served_dir, isolated_cache):
    pytest.importorskip("tensorflow_hub")
    files = {"saved_model.pb": b"from tensorflow_hub"}  # Flat: it makes no parent folders.
    make_tar_gz(served_dir / "m.tar.gz", files)
    server.state.behaviours.append(delay("m.tar.gz", 2.0))  # Its lock is there meanwhile.
    handle = server.url("m.tar.gz")
    module_path = cache.module_dir(handle)
    code = "import sys, tensorflow_hub\nprint(tensorflow_hub.resolve(sys.argv[1]), flush=True)\n"
    upstream = start_warm_python(code, handle)  # Its own process; TensorFlow imported already.
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(module_path + ".lock"):
            assert time.monotonic() < deadline and upstream.poll() is None
            time.sleep(0.02)
        assert hub.resolve(handle) == module_path  # Waits for it rather than downloading.
        out = upstream.communicate(timeout=60)[0]  # Its progress lines, then the path.
        assert upstream.returncode == 0 and out.strip().splitlines()[-1] == module_path
    finally:
        upstream.kill()
    assert len(archive_gets(server, "m.tar.gz")) == 1
    assert read_tree(module_path) == files and cache.is_complete(module_path)


def test_rm_waits_for_a_tensorflow_hub_download_and_removes_it(capsys, isolated_cache):
    """`tfhub cache rm HANDLE` during tensorflow_hub's first download of it (in another process,
    as its lock and growing folder show it) said "removed the bookkeeping of ... (its folder was
    gone)" at once, and that download then installed the entry (seen with tensorflow_hub 0.16.1
    itself); it waits for it, as for a tfhub download, and removes what it installed."""
    from tfhub.cli.main import main

    module_path = cache.module_dir("h")
    os.makedirs(isolated_cache)
    download = _upstream_download_growing(module_path, seconds=1.0, every=0.2)
    try:
        assert main(["cache", "rm", "h"]) == 0
    finally:
        download.join()
    assert capsys.readouterr().out == f"removed {module_path}\n"
    assert sorted(os.listdir(isolated_cache)) == [".locks"]


# --- Locks: a bounded wait that names the holder; stale locks (issue 10, items 7, 8, 13) -------


@contextlib.contextmanager
def _lock_held_elsewhere(lock_path, *, seconds=60.0, heartbeat=0.1):
    """Holds tfhub's lock `lock_path` in another process (as a download there would)."""
    code = (
        "import sys, time\nfrom tfhub.utils import filelock\n"
        "filelock.HEARTBEAT_SEC = float(sys.argv[3])\n"
        "with filelock.weak_file_lock(sys.argv[1], what='test') as held:\n"
        "    print('held' if held else 'unlocked', flush=True)\n"
        "    time.sleep(float(sys.argv[2]))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, lock_path, str(seconds), str(heartbeat)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_stopped_lock_holder_ends_the_wait_naming_it(isolated_cache, monkeypatch):
    path = cache.module_dir("h")
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "0.6")
    with _lock_held_elsewhere(cache.lock_path(path)) as holder:
        holder.send_signal(signal.SIGSTOP)  # Alive, holding the lock, stuck for good.
        started = time.monotonic()
        with pytest.raises(errors.LockTimeoutError) as info:
            atomic_download("h", _fill)
    assert time.monotonic() - started < 5
    assert f"pid {holder.pid}" in str(info.value) and "TFHUB_LOCK_TIMEOUT" in str(info.value)
    assert info.value.holder.endswith(f"pid {holder.pid}") and isinstance(info.value, TimeoutError)
    assert atomic_download("h", _fill) == path  # Free again: no stale state.


def test_live_lock_holder_is_waited_for_beyond_the_limit(isolated_cache, monkeypatch):
    path = cache.module_dir("h")
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "0.6")
    with _lock_held_elsewhere(cache.lock_path(path), seconds=2.0) as holder:
        started = time.monotonic()
        assert atomic_download("h", _fill) == path  # Its heartbeat says it is alive: we wait.
        assert holder.wait(timeout=5) == 0 and time.monotonic() - started > 1.0


def test_a_lock_timeout_below_the_heartbeat_still_waits_for_a_live_holder(
    isolated_cache, monkeypatch
):
    """With TFHUB_LOCK_TIMEOUT=1, a live download in another process touched its lock only
    every 5 s, so a second resolve took it for dead after 1 s: LockTimeoutError. A holder now
    beats every quarter of TFHUB_LOCK_TIMEOUT when that is shorter than 5 s."""
    path = cache.module_dir("h")
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "1")  # The holder's too: it inherits it.
    with _lock_held_elsewhere(cache.lock_path(path), seconds=3.0, heartbeat=5.0) as holder:
        started = time.monotonic()
        assert atomic_download("h", _fill) == path
        assert holder.wait(timeout=5) == 0 and time.monotonic() - started > 2.0


def test_rm_and_prune_take_the_entry_lock(isolated_cache, monkeypatch):
    path = atomic_download("h", _fill)
    os.remove(os.path.join(path, "saved_model.pb"))  # Damaged: prune would remove it...
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "0.3")
    with _lock_held_elsewhere(cache.lock_path(path)) as holder:  # ...but a download of it
        holder.send_signal(signal.SIGSTOP)  # holds the lock (stopped, so rm gives up).
        (result,) = prune_policy.prune()
        assert (result.outcome, result.item.path) == ("skipped", path)
        with pytest.raises(errors.LockTimeoutError):
            cache.remove(path)
    assert os.path.isdir(path)
    atomic_download("h", _fill)  # Repaired by another process after prune decided...
    assert cache.remove(path, only_if_damaged=True).removed == "kept"  # ...re-checked: kept.
    assert cache.is_complete(path)


def test_rm_in_a_cache_folder_that_refuses_changes_removes_nothing(isolated_cache):
    """The entry folder could not be renamed aside, so its files were deleted in place and the
    folder itself stayed: a damaged entry, which an offline resolve then refused."""
    path = atomic_download("h", _fill)
    immutable = subprocess.run(["chattr", "+i", str(isolated_cache)], capture_output=True)
    if immutable.returncode != 0:
        pytest.skip(f"needs chattr +i (root, on ext4): {immutable.stderr.decode().strip()}")
    try:
        with pytest.raises(errors.CacheError, match="refuses changes .*nothing was removed"):
            cache.remove(path)
    finally:
        subprocess.run(["chattr", "-i", str(isolated_cache)], check=True)
    assert cache.is_complete(path) and cache.damage(path) is None


def test_stale_tensorflow_hub_lock_costs_nothing_and_is_pruned(isolated_cache):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)  # A process of this host that has exited.
    path = cache.module_dir("h")
    os.makedirs(isolated_cache)
    stale = f"{socket.gethostname()}.{pid}.abc"
    open(path + ".lock", "w").write(stale)
    os.makedirs(path + ".abc.tmp")
    started = time.monotonic()
    assert atomic_download("h", _fill) == path
    assert time.monotonic() - started < 5  # Not upstream's 30 s stall.
    assert not os.path.exists(path + ".lock")
    other = cache.module_dir("g")
    open(other + ".lock", "w").write(stale)
    os.makedirs(other + ".x.tmp")
    assert not os.path.exists(path + ".abc.tmp")  # Its temporary folder went with it.
    assert sorted(cache.leftovers()) == [other + ".lock", other + ".x.tmp"]
    assert {r.outcome for r in prune_policy.prune()} == {"removed"}
    assert cache.leftovers() == [] and cache.is_complete(path)


def test_a_lock_naming_this_process_that_did_not_write_it_is_stale(isolated_cache, monkeypatch):
    """tensorflow_hub's (or tfhub's) `<entry>.lock` names its writer by host and pid. A
    container restarted after a crash (same host name, pids from 1 again) gives its entrypoint
    the same pid: the lock names this very process, which did not write it, and was waited for
    as a live download for TFHUB_LOCK_TIMEOUT (120 s). A live process of another pid is not
    judged by its start time (a clock jump fakes that: tests/test_cache_locks.py)."""
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "10")  # Without the fix: a 10 s wait, not 120 s.
    path = cache.module_dir("h")
    os.makedirs(path + ".abc.tmp")
    open(path + ".abc.tmp/saved_model.pb", "wb").write(b"its first bytes")
    open(path + ".lock", "w").write(f"{socket.gethostname()}.{os.getpid()}.abc")
    started = time.monotonic()
    assert atomic_download("h", _fill) == path
    assert time.monotonic() - started < 5 and cache.is_complete(path)
    name = os.path.basename(path)  # Its lock and temporary folder are gone.
    entry = [name, name + ".descriptor.txt", name + ".manifest.json"]
    assert sorted(os.listdir(isolated_cache)) == sorted([".locks", *entry])


def test_prune_keeps_the_descriptor_of_a_tensorflow_hub_download_about_to_install(
    capsys, isolated_cache
):
    """tensorflow_hub writes the descriptor, then renames its folder into place: prune, in
    between, removed the descriptor as bookkeeping of a removed entry, and the entry it
    installed then named no handle (`cache list` showed "-")."""
    from tfhub.cli.main import main

    module_path = cache.module_dir("h")
    os.makedirs(module_path + ".abc.tmp")
    _fill(module_path + ".abc.tmp")
    open(module_path + ".lock", "w").write("otherhost.123.abc")  # Its live download...
    open(cache.descriptor_path(module_path), "w").write("Module: h\n")  # ...installing.
    assert main(["cache", "prune"]) == 0
    assert capsys.readouterr().out == f"Nothing to prune in {isolated_cache}.\n"
    os.rename(module_path + ".abc.tmp", module_path)
    os.remove(module_path + ".lock")
    assert cache.read_descriptor_handle(module_path) == "h"


# --- Damage detection: manifests, hashes, a bounded hot path (issue 10 item 11, issue 13) ------


def test_lost_or_corrupt_manifest_is_damage(isolated_cache):
    path = atomic_download("h", _fill)
    manifest = cache.manifest_path(path)
    text = open(manifest).read()
    os.remove(manifest)
    assert "manifest" in cache.damage(path)
    open(manifest, "w").write(text[:20])  # A torn header: resolve sees it.
    assert "manifest" in cache.damage(path)
    header, body = text.split("\n", 1)
    open(manifest, "w").write(header + "\n" + body[: len(body) // 2])  # A torn file list...
    assert "manifest" in cache.full_damage(path)  # ...that `tfhub cache verify` sees.
    atomic_download("h", _fill)  # Damaged entries are downloaded again.
    assert cache.damage(path) is None and cache.read_manifest(path) is not None


def test_manifest_paths_are_confined_to_the_entry(isolated_cache, tmp_path):
    path = atomic_download("h", _fill)
    outside = tmp_path / "secret"
    outside.write_bytes(b"x" * 7)
    escape = os.path.relpath(outside, path)
    header = {
        "format": 2,
        "written_by": "tfhub",
        "algorithm": "sha256",
        "count": 1,
        "size": 7,
        "files_bytes": 13,
        "files_digest": "0",
        "sample": {escape: 7},
    }
    open(cache.manifest_path(path), "w").write(json.dumps(header)[:-1] + ',\n"files": {}}\n')
    assert "manifest" in cache.damage(path)  # Refused, not stat'ed outside the entry.


def test_deep_verify_sees_same_size_corruption(isolated_cache):
    path = atomic_download("h", _fill)
    data = os.path.join(path, "variables", "variables.data-00000-of-00001")
    content = bytearray(open(data, "rb").read())
    content[10] ^= 0xFF
    open(data, "wb").write(bytes(content))
    assert cache.damage(path) is None and cache.full_damage(path) is None  # Sizes agree.
    problem, hashed = cache.deep_damage(path)
    assert hashed and problem.startswith("variables/variables.data-00000-of-00001 has other")


def test_manifests_of_earlier_tfhub_versions_stay_valid(isolated_cache):
    path = atomic_download("h", _fill)
    sizes = {k: len(v) for k, v in MODEL_FILES.items()}
    open(cache.manifest_path(path), "w").write(json.dumps({"files": sizes}, sort_keys=True))
    open(cache.descriptor_path(path), "w").write("Module: h\nDownload Time: t\n")  # No mark.
    assert cache.damage(path) is None and cache.entry(path).size == sum(sizes.values())
    assert cache.deep_damage(path) == (None, False)  # No hashes recorded: sizes only.
    os.remove(os.path.join(path, "saved_model.pb"))
    assert cache.damage(path) == "saved_model.pb is missing"


def test_an_entry_tensorflow_hub_installed_over_a_stale_manifest_is_not_damaged(isolated_cache):
    """tfhub's entry was removed by hand, its manifest left, and tensorflow_hub installed the
    handle again (other files; its own descriptor, newer than the manifest). tfhub called it
    damaged against the stale manifest ('assets/tokens.txt is missing'), deleted it and
    downloaded again; it is checked as tensorflow_hub's entries are."""
    path = atomic_download("h", _fill)
    manifest = cache.manifest_path(path)
    shutil.rmtree(path)
    os.remove(cache.descriptor_path(path))
    os.makedirs(os.path.join(path, "variables"))
    for name in ("saved_model.pb", "variables/variables.index", "variables/variables.data-0"):
        open(os.path.join(path, name), "wb").write(b"tensorflow_hub's")
    open(cache.descriptor_path(path), "w").write("Module: h\nDownload Time: t\n")
    past = os.stat(manifest).st_mtime_ns - 10**9
    os.utime(manifest, ns=(past, past))  # Written before tensorflow_hub's descriptor.
    assert cache.damage(path) is None and cache.full_damage(path) is None
    fetched = []
    assert atomic_download("h", fetched.append) == path and fetched == []
    os.remove(os.path.join(path, "saved_model.pb"))  # Still checked, as tensorflow_hub's.
    assert cache.damage(path) == "saved_model.pb is missing"


def test_resolve_checks_a_bounded_sample_verify_checks_all(isolated_cache):
    files = {f"assets/f{i:04d}": b"x" for i in range(500)}

    def fill(target):
        for name, data in files.items():
            os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
            open(os.path.join(target, name), "wb").write(data)

    path = atomic_download("many", fill)
    header = cache.read_header(path)
    assert (header.file_count, header.size) == (500, 500) and len(header.sample) <= 64
    unsampled = next(rel for rel in sorted(files) if rel not in header.sample)
    os.remove(os.path.join(path, unsampled))
    assert cache.damage(path) is None  # The hot path does not stat every file...
    assert cache.full_damage(path) == f"{unsampled} is missing"  # ...`cache verify` does.
    os.remove(os.path.join(path, next(iter(header.sample))))
    assert cache.damage(path) is not None


# --- Removal: links, full disks (issue 10, items 9, 10) ----------------------------------------


def test_symlinked_entry_is_removed_as_a_link(isolated_cache, tmp_path):
    path = atomic_download("h", _fill)
    target = tmp_path / "elsewhere"
    os.rename(path, target)
    os.symlink(target, path)
    removal = cache.remove(path)
    assert removal.removed == "link" and "target was kept" in removal.describe()
    assert read_tree(target) == MODEL_FILES  # Never what the link points to.
    assert not [n for n in os.listdir(isolated_cache) if "deleting" in n or n.endswith(".tmp")]
    os.symlink(tmp_path / "gone", path)  # A dangling link: damaged; prune removes the link.
    results = prune_policy.prune()
    assert [r.outcome for r in results] == ["removed"] and not os.path.lexists(path)
    assert prune_policy.prune() == []  # Nothing left to report the next time.


# --- Caches on tf.io.gfile filesystems (issue 11, item 2) ---------------------------------------


@pytest.mark.tf
def test_cache_on_a_gfile_filesystem(server, served_dir, monkeypatch):
    import uuid

    tf = pytest.importorskip("tensorflow")
    make_tar_gz(served_dir / "m.tar.gz")
    root = f"ram://tfhub-cache-{uuid.uuid4().hex}"
    monkeypatch.setenv("TFHUB_CACHE_DIR", root)
    url = server.url("m.tar.gz")
    path = hub.resolve(url)
    assert path == f"{root}/{handles.cache_key(url)}"
    for name, data in MODEL_FILES.items():
        with tf.io.gfile.GFile(f"{path}/{name}", "rb") as stored:
            assert stored.read() == data
    with tf.io.gfile.GFile(path + ".descriptor.txt") as descriptor:
        assert descriptor.readline() == f"Module: {url}\n"
    assert hub.resolve(url) == path and len(archive_gets(server, "m.tar.gz")) == 1
    tf.io.gfile.remove(path + ".manifest.json")  # An interrupted copy: the manifest comes last.
    assert hub.resolve(url) == path and len(archive_gets(server, "m.tar.gz")) == 2
    server.state.behaviours.append(answer_status("bad.tar.gz", 404))
    with pytest.raises(errors.HTTPStatusError):  # A failed download writes nothing remote.
        hub.resolve(server.url("bad.tar.gz"))
    assert sorted(tf.io.gfile.listdir(root)) == sorted(
        [
            handles.cache_key(url),
            f"{handles.cache_key(url)}.descriptor.txt",
            f"{handles.cache_key(url)}.manifest.json",
        ]
    )


def test_install_records_hashes_reported_by_the_fetch(isolated_cache):
    def fetch_reporting_blake2b(target):
        _fill(target)
        name, data = "saved_model.pb", MODEL_FILES["saved_model.pb"]
        return {name: (len(data), hashlib.blake2b(data).hexdigest())}, "blake2b"

    path = atomic_download("h", fetch_reporting_blake2b)
    manifest = cache.read_manifest(path)
    assert manifest.header.algorithm == "blake2b"
    assert manifest.digests == {k: hashlib.blake2b(v).hexdigest() for k, v in MODEL_FILES.items()}
    assert cache.deep_damage(path) == (None, True)

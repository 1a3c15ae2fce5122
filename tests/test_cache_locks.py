"""Lock staleness judged without trusting wall-clock times (clock jumps), with real processes."""

import os
import socket
import subprocess
import sys
import time

from tfhub.download import atomic_download
from tfhub.utils import filelock

# A process that holds an OS lock on argv[1] for argv[2] seconds. argv[3] is how it stamps
# the file: "lagging" touches it every 0.1 s with a time an hour behind (what a waiter sees
# after its clock jumped an hour forward), "future" stamps it once an hour ahead and never
# again (a stuck holder, seen after a backward jump).
_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
if sys.argv[3] == "future":
    os.utime(fd, (time.time() + 3600,) * 2)
print("held", flush=True)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    if sys.argv[3] == "lagging":
        os.utime(fd, (time.time() - 3600,) * 2)
    time.sleep(0.1)
"""


def _hold(lock_path: str, seconds: float, stamps: str) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, lock_path, str(seconds), stamps], stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    return holder


def test_a_live_holder_whose_heartbeats_look_old_is_waited_for(tmp_path):
    """A waiter compared the heartbeat's stamp with its own clock: after a forward jump of
    more than TFHUB_LOCK_TIMEOUT, a live, beating holder looked dead (LockTimeoutError)."""
    lock_path = str(tmp_path / ".locks" / "entry.lock")
    os.makedirs(os.path.dirname(lock_path))
    with _hold(lock_path, 3, "lagging") as holder:
        with filelock.weak_file_lock(lock_path, what="the test", timeout=1) as held:
            assert held
            assert holder.wait(timeout=5) == 0  # It ended: we got the lock after it.


def test_a_stuck_holder_stamped_in_the_future_times_out(tmp_path):
    """After a backward jump, a stuck holder's last stamp lies in the future: it looked alive
    for as long as the jump (an hour here), not TFHUB_LOCK_TIMEOUT."""
    lock_path = str(tmp_path / ".locks" / "entry.lock")
    os.makedirs(os.path.dirname(lock_path))
    waiter = (
        "import sys\nfrom tfhub import errors\nfrom tfhub.utils import filelock\n"
        "try:\n    with filelock.weak_file_lock(sys.argv[1], what='t', timeout=1): pass\n"
        "except errors.LockTimeoutError:\n    sys.exit(3)\n"
    )
    with _hold(lock_path, 30, "future") as holder:
        try:
            done = subprocess.run([sys.executable, "-c", waiter, lock_path], timeout=15)
            assert done.returncode == 3
        finally:
            holder.kill()


_WRITER = """
import os, sys, time
entry, seconds = sys.argv[1], float(sys.argv[2])
os.makedirs(entry + ".abc.tmp")
with open(entry + ".abc.tmp/variables.data", "wb") as out:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.write(b"x" * 100)
        out.flush()
        time.sleep(0.1)
open(entry + ".done", "w").close()
os.remove(entry + ".lock")
"""


def test_a_growing_upstream_download_is_not_taken_over_after_a_clock_jump(
    isolated_cache, monkeypatch
):
    """tensorflow_hub's lock names a live process whose start looked later than the lock's
    mtime (an hour: the clock jumped forward meanwhile): the lock was judged a reused pid's,
    removed, and tfhub downloaded beside the live download (two writers)."""
    from tfhub import cache

    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "5")
    entry = cache.module_dir("h")
    os.makedirs(os.path.dirname(entry))
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, entry, "2"])
    with writer:
        open(entry + ".lock", "w").write(f"{socket.gethostname()}.{writer.pid}.abc")
        hour_ago = time.time() - 3600
        os.utime(entry + ".lock", (hour_ago, hour_ago))
        seen = []

        def fetch(target: str) -> None:
            seen.append(os.path.exists(entry + ".done"))
            open(os.path.join(target, "saved_model.pb"), "wb").write(b"model")

        assert atomic_download("h", fetch) == entry
        assert writer.wait(timeout=10) == 0
    assert seen == [True]  # Fetched only once the other download had ended.


def test_a_lock_naming_this_very_process_is_stale(isolated_cache):
    """A container restarted after a crash runs its entrypoint under the same pid: a lock
    naming this process, which it did not write, is stale at once."""
    from tfhub import cache
    from tfhub.cache import locks

    entry = cache.module_dir("h")
    os.makedirs(os.path.dirname(entry))
    open(entry + ".lock", "w").write(f"{socket.gethostname()}.{os.getpid()}.abc")
    assert locks.read_upstream_lock(entry).is_stale()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            open(entry + ".lock", "w").write(f"{socket.gethostname()}.{other.pid}.abc")
            assert not locks.read_upstream_lock(entry).is_stale()
        finally:
            other.kill()


_KILLED_DOWNLOAD = """
import sys, time
from tfhub.download import atomic_download

def fetch(tmp_dir):
    open(tmp_dir + "/saved_model.pb", "wb").write(b"partial")
    print("fetching", flush=True)
    time.sleep(60)

atomic_download(sys.argv[1], fetch)
"""


def test_any_tfhub_download_removes_the_lock_file_a_killed_download_left(isolated_cache):
    """A tfhub download killed by SIGKILL leaves tensorflow_hub's `<entry>.lock`, which
    tensorflow_hub 0.16.1 waits on for two `lock_file_timeout_sec` (about 20 minutes) before
    taking it over. Only a tfhub download of that same entry, or `tfhub cache prune`, removed
    it; now any tfhub download on this host does."""
    from tfhub import cache

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.Popen(
        [sys.executable, "-c", _KILLED_DOWNLOAD, "g"], stdout=subprocess.PIPE, env=env
    )
    with killed:
        assert killed.stdout is not None and killed.stdout.readline() == b"fetching\n"
        killed.kill()
    left = cache.module_dir("g") + ".lock"
    assert os.path.exists(left)

    def fetch(target: str) -> None:
        open(os.path.join(target, "saved_model.pb"), "wb").write(b"model")

    atomic_download("h", fetch)
    assert not os.path.exists(left)
    assert not os.path.exists(os.path.join(isolated_cache, ".locks", os.path.basename(left)))

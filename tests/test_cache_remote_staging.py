"""Staging folders of a cache on a tf.io.gfile filesystem: a killed copy's folder is removed by
the next copy of the entry, a live copy's never.

The cache is a `file://` URL given to `tfhub.cache.remote` as is: tf.io.gfile's local
filesystem, which (unlike ram://) outlives the processes that write it, so a copy can be
killed for real (SIGKILL) and its leftovers found by another process. Also what an install
says when its completeness check stalls, or a refused write's error echoes the access token.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest
from tests._helpers.archives import write_tree
from tests._helpers.warm_python import start_warm_python

from tfhub import errors, handles
from tfhub.cache import remote, remote_check, remote_staging

pytestmark = pytest.mark.tf

HANDLE = "https://example.com/models/m/1"

# Copies a model into a file:// cache as `tfhub.cache.remote.install` does, but stops after its
# first staged file (prints "staged", then waits to be killed).
_PAUSED_COPY = """
import sys, time
import tensorflow as tf
from tfhub.cache import remote

handle, local_dir, module_path = sys.argv[1:]
real_copy = tf.io.gfile.copy

def copy_then_pause(source, target, overwrite=False):
    real_copy(source, target, overwrite=overwrite)
    print("staged", flush=True)
    time.sleep(600)

tf.io.gfile.copy = copy_then_pause
remote.install(handle, local_dir, module_path)
"""


@pytest.fixture
def gfile() -> object:
    return pytest.importorskip("tensorflow").io.gfile


@pytest.fixture
def model_dir(tmp_path) -> str:
    return write_tree(tmp_path / "model")


@pytest.fixture
def module_path(tmp_path) -> str:
    (tmp_path / "cache").mkdir()
    return f"file://{tmp_path}/cache/{handles.cache_key(HANDLE)}"


def _paused_copy(model_dir: str, module_path: str) -> object:
    """A process of its own (killed for real), forked from one that imported TensorFlow."""
    child = start_warm_python(_PAUSED_COPY, HANDLE, model_dir, module_path)
    line = child.stdout.readline()
    assert line == "staged\n", child.stderr.read() if child.poll() is not None else line
    return child


def _owners(gfile: object, module_path: str) -> dict[int, str]:
    """The staging folders of the entry, by the pid their owner file names."""
    found = {}
    for staging_dir in remote_staging.staging_dirs(module_path):
        with gfile.GFile(remote_staging.owner_path(staging_dir)) as owner:
            found[json.load(owner)["pid"]] = staging_dir
    return found


def _leftovers(module_path: str) -> list[str]:
    folder, name = module_path.removeprefix("file://").rsplit("/", 1)
    return [
        item
        for item in os.listdir(folder)
        if item.startswith(name + ".")
        and "." in item[41:]
        and not item.endswith((".descriptor.txt", ".manifest.json"))
    ]


def test_a_killed_copy_is_cleaned_by_the_next_a_live_one_is_not(gfile, model_dir, module_path):
    killed = _paused_copy(model_dir, module_path)
    live = _paused_copy(model_dir, module_path)
    try:
        killed.kill()  # SIGKILL: no `finally` of the copy runs.
        killed.wait(timeout=60)
        staged = _owners(gfile, module_path)
        assert set(staged) == {killed.pid, live.pid}
        assert gfile.exists(f"{staged[killed.pid]}/saved_model.pb")

        remote.install(HANDLE, model_dir, module_path)  # The next copy of the entry.

        assert remote.damage(module_path) is None
        assert _owners(gfile, module_path) == {live.pid: staged[live.pid]}
        assert gfile.exists(f"{staged[live.pid]}/saved_model.pb")  # Still being written.
    finally:
        live.kill()
        live.wait(timeout=60)
    assert remote_staging.remove_abandoned(module_path) == [staged[live.pid]]
    assert _leftovers(module_path) == []


def _write_owner(gfile: object, staging_dir: str, *, host: str, pid: int, age: float) -> None:
    gfile.makedirs(staging_dir)
    with gfile.GFile(f"{staging_dir}/saved_model.pb", "w") as staged:
        staged.write("x")
    beat = time.time() - age
    owner = {"host": host, "pid": pid, "started": beat, "heartbeat": beat}
    with gfile.GFile(remote_staging.owner_path(staging_dir), "w") as out:
        out.write(json.dumps(owner))


@pytest.mark.parametrize(
    ("host", "pid", "hours", "removed"),
    [
        ("another-host", 1, 1.0, False),  # Its processes cannot be seen: maybe live.
        ("another-host", 1, 25.0, True),  # No heartbeat for longer than ABANDONED_AFTER_SEC.
        (None, "this process", 25.0, True),  # This host, its pid reused by a live process.
        (None, "this process", 0.0, False),  # This process: live.
    ],
)
def test_a_staging_folder_is_removed_only_when_its_owner_is_known_gone(
    gfile, module_path, host, pid, hours, removed
):
    pid = os.getpid() if pid == "this process" else pid  # Not in the test's id: xdist workers
    staging_dir = remote.layout.new_tmp_dir(module_path)  # must collect the same tests.
    _write_owner(gfile, staging_dir, host=host or socket.gethostname(), pid=pid, age=hours * 3600)
    assert remote_staging.remove_abandoned(module_path) == ([staging_dir] if removed else [])
    assert gfile.exists(staging_dir) is not removed
    assert gfile.exists(remote_staging.owner_path(staging_dir)) is not removed


def test_a_staging_folder_without_owner_is_removed_once_a_day_old(gfile, module_path):
    """Left by a copy of tfhub before owner files: its files' age tells."""
    fresh, old = (remote.layout.new_tmp_dir(module_path) for _ in range(2))
    for staging_dir in (fresh, old):
        gfile.makedirs(staging_dir)
        with gfile.GFile(f"{staging_dir}/saved_model.pb", "w") as staged:
            staged.write("x")
    day_ago = time.time() - remote_staging.ABANDONED_AFTER_SEC - 60
    os.utime(f"{old.removeprefix('file://')}/saved_model.pb", (day_ago, day_ago))
    assert remote_staging.remove_abandoned(module_path) == [old]
    assert gfile.exists(fresh) and not gfile.exists(old)


# An access token a server's answer echoes (a refused upload's error quotes it).
_TOKEN = "ya29.a0AfB_review40-Secret-Token-Value"


def test_a_completeness_check_timing_out_while_installing_is_that_timeout(
    model_dir, module_path, monkeypatch
) -> None:
    """`install(replace=False)` asks whether another process installed the entry meanwhile:
    a check without an answer was wrapped in a CacheError saying to check permissions."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.2")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.2")
    release = threading.Event()

    def stalled(gfile: object, path: str) -> str | None:  # A listing that never ends.
        release.wait(60)
        return "unfinished"

    monkeypatch.setattr(remote_check, "_damage", stalled)
    try:
        with pytest.raises(errors.RetryTimeoutError) as info:
            remote.install(HANDLE, model_dir, module_path, replace=False)
    finally:
        release.set()  # The stalled check's thread ends.
    assert not isinstance(info.value, errors.CacheError)
    assert "permissions" not in str(info.value)
    assert "whether the cache entry is complete" in str(info.value)


def test_a_refused_write_echoing_the_token_is_quoted_without_it(
    model_dir, module_path, monkeypatch
) -> None:
    tf = pytest.importorskip("tensorflow")

    def refused(source: str, target: str) -> None:
        raise tf.errors.PermissionDeniedError(
            None, None, f"403 with body 'forbidden for Bearer {_TOKEN}'\n\t when uploading x"
        )

    monkeypatch.setattr(remote, "_copy", refused)
    with pytest.raises(errors.CacheError) as info:
        remote.install(HANDLE, model_dir, module_path)
    message = str(info.value)
    assert "Secret-Token" not in message and "Bearer ***" in message, message
    assert message.isprintable(), message

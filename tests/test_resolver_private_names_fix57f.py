"""tensorflow_hub 0.10.0's `resolver` helpers that tests and custom resolvers written against
it import (`resolver._lock_filename`, `_lock_file_contents`, `_module_descriptor_file`,
`_dir_size`, ... as upstream's resolver_test.py and its forks do): they exist with upstream's
results, and a lock planted with them is one tfhub's cache honours.

Before: `AttributeError: module 'tfhub.resolver' has no attribute '_lock_filename'`.
"""

from __future__ import annotations

import os
import re
import socket
import time

import pytest

from tfhub import resolver


def test_the_setting_names():
    assert resolver._TFHUB_CACHE_DIR == "TFHUB_CACHE_DIR"
    assert resolver._TFHUB_DOWNLOAD_PROGRESS == "TFHUB_DOWNLOAD_PROGRESS"
    assert resolver._TFHUB_MODEL_LOAD_FORMAT == "TFHUB_MODEL_LOAD_FORMAT"


def test_the_names_of_an_entry_s_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    here = os.path.abspath("m")
    assert resolver._module_descriptor_file("/c/m") == "/c/m.descriptor.txt"
    assert resolver._lock_filename("m") == here + ".lock"  # Absolute, as upstream's.
    assert resolver._temp_download_dir("m", "abc") == here + ".abc.tmp"
    assert resolver._module_dir("/c/m.lock") == "/c/m"
    with pytest.raises(ValueError, match="has to end with .lock"):
        resolver._module_dir("/c/m")
    expected = f"{socket.gethostname()}.{os.getpid()}.abc"
    assert resolver._lock_file_contents("abc") == expected
    assert resolver._merge_relative_path("gs://c", "a/../b") == "gs://c/b"
    with pytest.raises(ValueError):
        resolver._merge_relative_path("/c", "../x")


def test_sizes_and_the_lock_s_task(tmp_path):
    module_dir = str(tmp_path / "m")
    tmp = resolver._temp_download_dir(module_dir, "uid1")
    os.makedirs(os.path.join(tmp, "sub"))
    for name, size in (("a", 5), ("sub/b", 7)):
        with open(os.path.join(tmp, name), "wb") as out:
            out.write(b"x" * size)
    assert resolver._dir_size(tmp) == 12
    lock = resolver._lock_filename(module_dir)
    with open(lock, "w") as out:
        out.write(resolver._lock_file_contents("uid1"))
    assert resolver._task_uid_from_lock_file(lock) == "uid1"
    assert resolver._locked_tmp_dir_size(lock) == 12
    with open(lock, "w") as out:
        out.write(resolver._lock_file_contents("gone"))
    assert resolver._locked_tmp_dir_size(lock) == 0  # No such folder: 0, as upstream's.


def test_the_descriptor_written(tmp_path):
    module_dir = str(tmp_path / "module")
    resolver._write_module_descriptor_file("module", module_dir)
    with open(resolver._module_descriptor_file(module_dir)) as text:
        content = text.read()
    host = re.escape(socket.gethostname())
    assert re.match(
        rf"Module: module\nDownload Time: .*\nDownloader Hostname: {host} .PID:{os.getpid()}.",
        content,
    ), content


def test_a_lock_planted_with_them_is_waited_for_then_taken_over(tmp_path):
    """Upstream's resolver_test plants a lock whose folder never grows: the download waits
    `lock_file_timeout_sec`, then takes over. The lock names a live process (the parent: one
    naming this very process, which did not write it, tfhub takes for a leftover at once)."""
    module_dir = str(tmp_path / "m")
    lock = resolver._lock_filename(module_dir)
    mine = resolver._lock_file_contents("0123456789abcdef")
    with open(lock, "w") as out:
        out.write(mine.replace(f".{os.getpid()}.", f".{os.getppid()}."))
    os.makedirs(resolver._temp_download_dir(module_dir, "0123456789abcdef"))

    def fill(handle, tmp_dir):
        with open(os.path.join(tmp_dir, "file"), "w") as out:
            out.write(handle)

    started = time.monotonic()
    assert resolver.atomic_download("h", fill, module_dir, lock_file_timeout_sec=0.5) == module_dir
    assert time.monotonic() - started >= 0.5
    assert open(os.path.join(module_dir, "file")).read() == "h"
    assert not os.path.exists(lock)

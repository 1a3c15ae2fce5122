"""The path of a cache entry's folder, as `hub.resolve` returns it and tfhub's messages print it,
used where a handle or folder name goes.

- `hub.load(hub.resolve(handle))` kept in a config (a KerasLayer built from the resolved path)
  after the entry was removed (`tfhub cache rm`, `prune`, a temp cleaner of the default cache in
  /tmp): it said only "<cache>/<sha1> does not exist.", not that it was a cache entry's folder
  nor that the handle downloads it again.
- `tfhub cache rm <cache>/<sha1>` (the path pasted or tab-completed): "Not in the cache", exit 7
  (docs/cli.md: rm takes no path), without saying that the folder name removes that entry.
"""

from __future__ import annotations

import os
import shutil

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.cli import run_tfhub

import tfhub as hub
from tfhub import errors
from tfhub.cache.importing import import_archive

_HANDLE = "https://models.example.com/team/encoder/3.tar.gz"


@pytest.fixture
def entry(tmp_path) -> str:
    """A complete entry of the (isolated) cache, made without a server."""
    archive = make_tar_gz(tmp_path / "m.tar.gz", {"saved_model.pb": b"model"})
    path = import_archive(archive, _HANDLE)
    assert hub.resolve(_HANDLE) == path
    return path


def test_a_removed_entrys_folder_is_named_as_such_with_what_to_load(entry, capsys):
    assert run_tfhub(capsys, "cache", "rm", _HANDLE)[0] == 0
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve(entry)
    message = str(caught.value)
    assert message.startswith(f"{entry} does not exist: ")
    assert "folder of an entry of the tfhub cache" in message
    assert "handle" in message and "downloads it again" in message


def test_an_entry_folder_a_cleaner_removed_names_its_handle(entry):
    shutil.rmtree(entry)  # A temp cleaner: the descriptor beside it is left.
    with pytest.raises(errors.ModelNotFoundError, match="folder of an entry") as caught:
        hub.resolve(entry)
    assert repr(_HANDLE) in str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)


def test_another_missing_hex_named_folder_gets_no_cache_advice(tmp_path):
    missing = str(tmp_path / ("ab" * 20))
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve(missing)
    assert str(caught.value) == f"{missing} does not exist."


@pytest.mark.parametrize("suffix", ["", "/"])
def test_rm_of_an_entrys_path_names_its_folder_name_to_give(entry, capsys, suffix):
    """docs/cli.md: rm takes no path (exit 7, nothing removed); it now says what to give."""
    code, out, err = run_tfhub(capsys, "cache", "rm", entry + suffix)
    assert (code, out) == (7, "")
    assert err.startswith(f"tfhub: not found: Not in the cache {os.path.dirname(entry)}: ")
    name = os.path.basename(entry)
    assert err.rstrip().endswith(
        f"is the path of the entry {name}: run `tfhub cache rm {name}` to remove it."
    )
    assert os.path.isdir(entry)
    assert run_tfhub(capsys, "cache", "rm", name)[0] == 0 and not os.path.exists(entry)


def test_rm_leaves_a_folder_of_that_name_outside_the_cache(entry, capsys, tmp_path):
    elsewhere = tmp_path / "copy" / os.path.basename(entry)
    shutil.copytree(entry, elsewhere)
    code, _, err = run_tfhub(capsys, "cache", "rm", str(elsewhere))
    assert code == 7 and "Not in the cache" in err and "is the path of" not in err
    assert elsewhere.is_dir() and os.path.isdir(entry)


def test_a_killed_tfhub_downloads_lock_is_not_said_to_be_tensorflow_hubs(caplog):
    """A tfhub download killed by SIGKILL leaves `<entry>.lock` in tensorflow_hub's format;
    the next download said "the tensorflow_hub process that wrote it is gone" to a user who
    never ran tensorflow_hub."""
    import logging
    import socket
    import subprocess
    import sys

    from tfhub import cache
    from tfhub.download import atomic_download

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    entry = cache.module_dir("h")
    os.makedirs(os.path.dirname(entry), exist_ok=True)
    with open(entry + ".lock", "w") as lock:
        lock.write(f"{socket.gethostname()}.{gone.pid}.0123abcd")
    caplog.set_level(logging.INFO, logger="tfhub")

    def fetch(target: str) -> None:
        with open(os.path.join(target, "saved_model.pb"), "wb") as f:
            f.write(b"model")

    assert atomic_download("h", fetch) == entry
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Remov")]
    assert said == [
        f"Removing {entry}.lock: the process that wrote it (pid {gone.pid} on this host) is gone."
    ]

"""The path of a cache entry's folder, as `hub.resolve` returns it and tfhub's messages print it,
used where a handle or folder name goes.

- `hub.load(hub.resolve(handle))` kept in a config (a KerasLayer built from the resolved path)
  after the entry was removed (`tfhub cache rm`, `prune`, a temp cleaner of the default cache in
  /tmp): it said only "<cache>/<sha1> does not exist.", not that it was a cache entry's folder
  nor that the handle downloads it again.
"""

from __future__ import annotations

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

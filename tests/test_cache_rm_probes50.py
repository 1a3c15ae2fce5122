"""A Kaggle handle with two entries: tfhub's (its short canonical key) and tensorflow_hub's
(keyed by the URL as given), which resolve serves first (review50a-F2).

`tfhub cache rm HANDLE` removed tfhub's, so the damage advice "run `tfhub cache rm HANDLE` and
load again" deleted the healthy copy and left the damaged one served; `tfhub import --handle`
wrote tfhub's entry, which resolve never served.
"""

from __future__ import annotations

import os

import pytest
from tests._helpers.archives import make_tar_gz, read_tree, tensorflow_hub_entry

import tfhub as hub
from tfhub import handles
from tfhub.cache.importing import import_archive
from tfhub.cli.main import main

_HANDLE = (
    "https://www.kaggle.com/models/google/bert/frameworks/TensorFlow2/variations/en-uncased/"
    "versions/3"
)


def _both_entries(cache_dir, tmp_path) -> tuple[str, str]:
    """tfhub's entry (imported) and tensorflow_hub's (as given, served first): their folders."""
    ours = import_archive(
        make_tar_gz(tmp_path / "ours.tar.gz", {"saved_model.pb": b"ours"}), _HANDLE
    )
    theirs = tensorflow_hub_entry(cache_dir, _HANDLE)
    assert ours == os.path.join(cache_dir, handles.cache_key(handles.cache_handle(_HANDLE)))
    assert hub.resolve(_HANDLE) == theirs != ours
    return ours, theirs


def test_rm_of_a_handle_removes_the_entry_resolve_serves(isolated_cache, tmp_path, capsys):
    ours, theirs = _both_entries(str(isolated_cache), tmp_path)
    assert main(["cache", "rm", _HANDLE]) == 0
    assert not os.path.lexists(theirs) and os.path.isdir(ours)
    assert hub.resolve(_HANDLE) == ours  # The healthy copy, no download.


@pytest.mark.parametrize("force", [False, True])
def test_an_import_of_a_handle_is_the_entry_resolve_serves(isolated_cache, tmp_path, force):
    _, theirs = _both_entries(str(isolated_cache), tmp_path)
    new = make_tar_gz(tmp_path / "new.tar.gz", {"saved_model.pb": b"NEW import"})
    if force:
        served = import_archive(new, _HANDLE, force=True)
        assert hub.resolve(_HANDLE) == served
        assert read_tree(served) == {"saved_model.pb": b"NEW import"}
    else:
        assert import_archive(new, _HANDLE) == theirs  # Kept: the entry resolve serves.
        assert hub.resolve(_HANDLE) == theirs

"""`tfhub cache prune` on cache states Hypothesis makes: whole entries, entries damaged in one
of several ways, downloads left behind, bookkeeping without its entry. Prune removes exactly the
damaged entries and the leftovers; every whole entry stays and still verifies."""

from __future__ import annotations

import os
import shutil

from hypothesis import given
from hypothesis import strategies as st
from tests._helpers.archives import make_tar_gz
from tests._helpers.properties import property_settings

from tfhub.cache import health, layout
from tfhub.cache.importing import import_archive
from tfhub.cache.prune import prune

_STATE = st.lists(
    st.sampled_from(
        ["whole", "file removed", "file grown", "manifest cut", "leftover download", "orphan"]
    ),
    min_size=1,
    max_size=6,
)


def _make(root: str, index: int, state: str, archive: str) -> str | None:
    """Makes entry `index` of the cache in `state`; returns its folder if it must stay."""
    handle = f"https://hub.example/models/m{index}/1.tar.gz"
    folder = import_archive(archive, handle)
    if state == "whole":
        return folder
    if state == "file removed":
        os.remove(os.path.join(folder, "saved_model.pb"))
    elif state == "file grown":
        with open(os.path.join(folder, "variables", "variables.index"), "ab") as grown:
            grown.write(b"!")
    elif state == "manifest cut":
        manifest = layout.manifest_path(folder)
        with open(manifest, "r+b") as cut:
            cut.truncate(os.path.getsize(manifest) // 2)
    elif state == "leftover download":  # A download killed mid-way: its folder, no lock held.
        shutil.move(folder, layout.new_tmp_dir(folder))
        for path in (layout.descriptor_path(folder), layout.manifest_path(folder)):
            os.remove(path)
    elif state == "orphan":  # Bookkeeping whose folder was deleted by hand.
        shutil.rmtree(folder)
    return None


@property_settings(25)
@given(states=_STATE)
def test_prune_removes_exactly_the_damage_and_the_leftovers(tmp_path_factory, monkeypatch, states):
    work = tmp_path_factory.mktemp("prune")
    root = os.fspath(work / "cache")
    monkeypatch.setenv("TFHUB_CACHE_DIR", root)
    archive = make_tar_gz(work / "m.tar.gz")
    kept = [_make(root, index, state, archive) for index, state in enumerate(states)]
    prune(root)
    whole = sorted(folder for folder in kept if folder is not None)
    names = sorted(name for name in os.listdir(root) if name != layout.LOCKS_DIRNAME)
    expected = sorted(
        os.path.basename(folder) + suffix
        for folder in whole
        for suffix in ("", layout.DESCRIPTOR_SUFFIX, layout.MANIFEST_SUFFIX)
    )
    assert names == expected, states
    for folder in whole:
        assert health.full_damage(folder) is None

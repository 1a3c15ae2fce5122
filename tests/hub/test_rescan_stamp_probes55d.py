"""rf55d-F3: each worker's rescan (every 30 s by default) stamped every file below
ROOT/assets/docs, the insides of the model folders of folder versions too (0.3 CPU-s per rescan
per worker for a 60,000-file version, with nothing to find there: the scan never reads below a
model folder), and a file rewritten deep in a model folder made every worker load the catalog
again. The stamp now covers what the scan reads: the docs tree and each model folder's own files
(its markers), not the folders below a model folder."""

from __future__ import annotations

import os

import pytest
from tests._helpers.hub_server import write_model_doc, write_model_folder, write_publisher

from tfhub.hub.refresh import tree_stamp

FILES = {f"assets/part{i // 100}/f{i}.txt": b"x" for i in range(300)}
BASE = {"saved_model.pb": b"\x12\x00", "variables/variables.data-00000-of-00001": b"w"}


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_folder(write_model_doc(root, "acme/big/1", asset="1"), BASE | FILES)
    return root


def test_the_stamp_reads_nothing_below_a_model_folders_own_files(root, monkeypatch):
    count = 0
    real = os.lstat

    def counting(path, *args, **kwargs):
        nonlocal count
        if "/1/assets/" in os.fspath(path) or "/1/variables/" in os.fspath(path):
            count += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", counting)
    tree_stamp(str(root))
    assert count == 0, f"{count} lstat calls below the model folder"


def test_what_the_scan_reads_still_changes_the_stamp(root):
    folder = root / "assets/docs/acme/models/big/1"
    before = tree_stamp(str(root))
    (folder / "assets/part1/f100.txt").write_bytes(b"changed")  # Not read by the scan.
    assert tree_stamp(str(root)) == before
    (folder / "saved_model.pb").write_bytes(b"\x12\x00\x00")  # A marker: read by the scan.
    assert tree_stamp(str(root)) != before
    before = tree_stamp(str(root))
    doc = write_model_doc(root, "acme/big/2", asset="2")
    assert tree_stamp(str(root)) != before
    before = tree_stamp(str(root))
    write_model_folder(doc, {"saved_model.pb": b"\x12\x00"})  # A new folder version.
    assert tree_stamp(str(root)) != before

"""The catalog's scan reads the docs in one confined walk (`doc_walk.read_docs`), on a real
filesystem: what it refuses when a doc or a folder is swapped while the walk runs, and that it
opens each doc once.

The swaps are made at a fixed point of the walk, not by timing: the walk is lazy (a folder is
listed when the walk enters it, each doc opened when it is asked for), so `_scan_swapping` runs
the real `Catalog.scan` over the real walk and makes the swap right after a given doc was read,
before the walk goes on to the next one (in the same folder, already listed).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import catalog, doc_walk, docs_layout
from tfhub.hub.catalog import Catalog

SECRET = "SECRET48"
SECRET_DOC = f"# Module acme/emb/2\n{SECRET} must never be read.\n"


def _scan_swapping(
    root: Path, monkeypatch: pytest.MonkeyPatch, after: str, swap: Callable[[], None]
) -> Catalog:
    """`Catalog.scan(root)`, with `swap()` run once the walk has handed over the doc whose path
    below ROOT/assets/docs is `after` (failing the test if it never does), in a thread that
    must end within 10 s (a walk blocked on a FIFO fails the test instead of hanging it)."""
    real_read_docs = doc_walk.read_docs
    swapped = threading.Event()

    def read_docs(*args: Any, **kwargs: Any) -> Iterator[doc_walk.WalkedDoc]:
        for walked in real_read_docs(*args, **kwargs):
            yield walked
            if walked.rel_path == after:
                swap()
                swapped.set()

    monkeypatch.setattr(doc_walk, "read_docs", read_docs)
    done, result = threading.Event(), []

    def scan() -> None:
        result.append(Catalog.scan(root))
        done.set()

    threading.Thread(target=scan, daemon=True).start()
    if not done.wait(10):
        pytest.fail("the scan did not end within 10 s (blocked on a swapped doc?)")
    assert swapped.is_set(), f"the walk never handed over {after}"
    return result[0]


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    """ROOT with acme/emb versions 1 and 2 (one folder) and acme/zed/1 (a folder after it)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    for handle in ("acme/emb/1", "acme/emb/2", "acme/zed/1"):
        write_model_doc(root, handle)
    (tmp_path / "outside").mkdir()
    return root.resolve()


def _all_text(found: Catalog) -> str:
    return " ".join(
        version.doc.description + version.doc.body
        for model in found.models.values()
        for version in model.versions.values()
    )


def test_a_doc_swapped_for_a_symlink_out_of_root_after_its_folder_was_listed(
    hub, tmp_path, monkeypatch, caplog
):
    doc = hub / "assets" / "docs" / "acme" / "models" / "emb" / "2.md"
    secret = tmp_path / "outside" / "secret.md"
    secret.write_text(SECRET_DOC)

    def swap() -> None:
        doc.unlink()
        doc.symlink_to(secret)

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        found = _scan_swapping(hub, monkeypatch, "acme/models/emb/1.md", swap)
    assert sorted(found.models["acme/emb"].versions) == [1]
    assert SECRET not in _all_text(found)
    # Read by its path (`read_inside`), which follows the link and refuses where it leads.
    assert f"Refused to send {doc}: its real path {secret} is outside {hub}" in caplog.text


def test_a_doc_swapped_for_a_symlink_inside_root_is_served_as_before(hub, monkeypatch):
    """The layout serves a doc that is a symlink staying inside ROOT: one swapped in during the
    walk is read through it too (by its path, confined), not refused."""
    doc = hub / "assets" / "docs" / "acme" / "models" / "emb" / "2.md"
    kept = hub / "kept" / "2.md"
    kept.parent.mkdir()
    kept.write_text(doc.read_text().replace("The model emb.", "Linked inside ROOT."))

    def swap() -> None:
        doc.unlink()
        doc.symlink_to(kept)

    found = _scan_swapping(hub, monkeypatch, "acme/models/emb/1.md", swap)
    assert found.models["acme/emb"].versions[2].doc.description == "Linked inside ROOT."


def test_a_doc_swapped_for_a_fifo_after_its_folder_was_listed(hub, monkeypatch, caplog):
    doc = hub / "assets" / "docs" / "acme" / "models" / "emb" / "2.md"

    def swap() -> None:
        doc.unlink()
        os.mkfifo(doc)

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        found = _scan_swapping(hub, monkeypatch, "acme/models/emb/1.md", swap)
    assert sorted(found.models["acme/emb"].versions) == [1]
    assert f"Refused to send {doc}: it is not a regular file" in caplog.text


def test_a_folder_swapped_for_a_symlink_out_of_root_after_it_was_listed(
    hub, tmp_path, monkeypatch, caplog
):
    folder = hub / "assets" / "docs" / "acme" / "models" / "zed"
    elsewhere = tmp_path / "outside" / "zed"
    elsewhere.mkdir()
    (elsewhere / "1.md").write_text(SECRET_DOC.replace("acme/emb/2", "acme/zed/1"))

    def swap() -> None:
        folder.rename(tmp_path / "outside" / "old-zed")
        folder.symlink_to(elsewhere)

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        found = _scan_swapping(hub, monkeypatch, "acme/models/emb/2.md", swap)
    assert "acme/zed" not in found.models
    assert SECRET not in _all_text(found)
    assert f"Skipped the docs below {folder} (not served): it became a symlink" in caplog.text


def test_a_folder_renamed_out_of_root_while_the_walk_holds_it(hub, tmp_path, monkeypatch, caplog):
    """The walk reads a folder's docs through the folder's descriptor: one renamed out of ROOT
    meanwhile is seen by where its doc is once open (/proc/self/fd), and refused."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd (Linux), where the opened doc's path is read")
    folder = hub / "assets" / "docs" / "acme" / "models" / "emb"
    moved = tmp_path / "outside" / "emb"

    def swap() -> None:
        folder.rename(moved)

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        found = _scan_swapping(hub, monkeypatch, "acme/models/emb/1.md", swap)
    # Version 1, read before, is gone from ROOT when the catalog adds it (`Catalog._add`).
    assert "acme/emb" not in found.models
    assert sorted(found.models) == ["acme/zed"]
    doc = folder / "2.md"
    assert f"Refused to send {doc}: the file opened is {moved / '2.md'}, outside" in caplog.text


def test_the_docs_are_found_in_the_order_of_sorted_paths(tmp_path):
    """`a-b/` sorts before `a/` as text but after it as a path: the walk gives the docs in
    `find_doc_files`'s order (sorted paths), model folders and hidden entries left out."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    for handle in ("acme/a/1", "acme/a-b/1", "acme/a/10", "acme/a/2", "acme/a.b/1", "acme/B/1"):
        write_model_doc(root, handle)
    docs = root / "assets" / "docs" / "acme" / "models"
    (docs / "a" / "1").mkdir()  # A model folder: its .md file is an asset, not a doc.
    (docs / "a" / "1" / "saved_model.pb").write_bytes(b"\0")
    (docs / "a" / "1" / "README.md").write_text("# Module acme/readme/1\nNot a doc.\n")
    (docs / ".hidden").mkdir()
    (docs / ".hidden" / "1.md").write_text("# Module acme/hidden/1\nNot a doc.\n")
    root = root.resolve()
    listed = [
        file.relative_to(docs_layout.docs_dir(root)) for file in docs_layout.find_doc_files(root)
    ]
    assert len(listed) == 7
    assert [Path(doc.rel_path) for doc in catalog.served_docs(root)] == listed


def test_the_scan_opens_each_doc_once_and_each_folder_once(hub):
    """Each doc is opened once (by its name, relative to its folder) and each folder once;
    the walk from ROOT per doc opened ROOT and every folder on the doc's path again."""
    for number in range(20):
        write_model_doc(hub, f"acme/m{number}/1")
    docs = len(docs_layout.find_doc_files(hub))
    folders = sum(1 for _ in os.walk(docs_layout.docs_dir(hub)))
    opened: list[str] = []
    watching = threading.Event()

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if watching.is_set() and event == "open" and isinstance(args[0], str):
            opened.append(args[0])

    sys.addaudithook(audit)  # Cannot be removed: `watching` limits it to this scan.
    watching.set()
    try:
        found = Catalog.scan(hub)
    finally:
        watching.clear()
    assert len(found.models) == 22
    doc_opens = [name for name in opened if name.endswith(".md")]
    assert sorted(doc_opens) == sorted(f.name for f in docs_layout.find_doc_files(hub))
    assert len(opened) <= docs + folders + 2, opened  # + ROOT and assets/, opened on the way.


def test_a_doc_removed_after_its_folder_was_listed_is_left_out_quietly(hub, monkeypatch, caplog):
    """As `read_inside` answers for a file gone since it was listed: no doc, no warning."""
    doc = hub / "assets" / "docs" / "acme" / "models" / "emb" / "2.md"
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        found = _scan_swapping(hub, monkeypatch, "acme/models/emb/1.md", doc.unlink)
    assert sorted(found.models["acme/emb"].versions) == [1]
    assert caplog.records == []


def test_a_symlinked_folder_is_not_walked_into_nor_warned_about(hub, tmp_path, caplog):
    """As `os.walk` (and `tfhub validate`, which reports it): the docs below a folder that is
    a symlink when listed are not served, out of ROOT or inside it; the scan says nothing."""
    models = hub / "assets" / "docs" / "acme" / "models"
    elsewhere = tmp_path / "outside" / "out"
    elsewhere.mkdir()
    (elsewhere / "1.md").write_text(SECRET_DOC.replace("acme/emb/2", "acme/out/1"))
    (models / "out").symlink_to(elsewhere)
    (models / "again").symlink_to(models / "zed")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        found = Catalog.scan(hub)
    assert sorted(found.models) == ["acme/emb", "acme/zed"]
    assert caplog.records == []

"""Probes of session 46: rolling back a killed first publish of a new publisher while another
model of that publisher was published, and `validate` on a symlinked folder of the docs tree.

The publishes run in child processes (`tests._helpers.killed_commit`: SIGKILL just before the
Nth rename of the commit), `tfhub validate` and `tfhub serve` as the CLI.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import write_tree
from tests._helpers.hub_server import (
    SRC,
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_publisher,
)
from tests._helpers.killed_commit import KILL_BEFORE_RENAME, publish_without_tensorflow
from tests._helpers.python_process import run_tfhub

from tfhub import errors
from tfhub.hub import commit, leftovers, publish, publish_locks, signatures, staging, validator
from tfhub.hub.catalog import Catalog
from tfhub.hub.starter import StarterInfo

# A SavedModel whose saved_model.pb parses; its loading and summary are stubbed (no TensorFlow).
FAKE_MODEL = {"saved_model.pb": b"\x08\x01\x12\x00", "variables/variables.index": b"index"}
# `publish` of the handle sys.argv[4], killed (SIGKILL) just before its rename sys.argv[5];
# with `--force` if sys.argv[6] is given.
PUBLISH = (
    KILL_BEFORE_RENAME
    + publish_without_tensorflow(3)
    + """
import pathlib
from tfhub.hub import starter
if int(sys.argv[5]):
    kill_before_rename(int(sys.argv[5]))
else:  # Killed after its last rename, before its journal is removed.
    real_unlink = pathlib.Path.unlink
    def unlink(self, *args, **kwargs):
        if self.name == commit.JOURNAL:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_unlink(self, *args, **kwargs)
    pathlib.Path.unlink = unlink
info = starter.StarterInfo(description="A fresh model.", task="text-embedding")
publish.publish(sys.argv[1], sys.argv[2], sys.argv[4], info=info, force=len(sys.argv) > 6)
"""
)
# The first publish of a publisher renames: archive, summary, publisher doc, doc.
BEFORE_ITS_DOC = 4
NEVER = 99
AFTER_ITS_RENAMES = 0  # Killed after the last rename, before its journal is removed.
# A `publish --force` of a version renames: archive aside, in; summary aside, in; doc aside...
FORCED_BEFORE_ITS_DOC = 6


def _no_problems(stdout: str) -> bool:
    """`tfhub validate` found no problem: its stdout is one line, `OK: ROOT: N doc(s) checked`
    (it printed nothing before fx62a)."""
    return len(stdout.splitlines()) == 1 and stdout.startswith("OK: ")


def _publish(tmp: Path, root: Path, handle: str, *, killed_at: int, force: bool = False) -> None:
    """Publishes `handle` into `root` in a child process, killed before rename `killed_at`
    (`NEVER`: it completes)."""
    model = write_tree(tmp / "model", FAKE_MODEL) if not (tmp / "model").exists() else tmp / "model"
    summary = tmp / "summary.json"
    summary.write_text(json.dumps(signature_summary_json()))
    argv = [str(model), str(root), str(summary), handle, str(killed_at), *["--force"] * force]
    child = subprocess.run(
        [sys.executable, "-c", PUBLISH, *argv],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=120,
    )
    expected = 0 if killed_at == NEVER else -signal.SIGKILL
    assert child.returncode == expected, child.stderr


@pytest.fixture
def first_publish_killed(tmp_path: Path) -> Path:
    """A hub where the first publish of `fresh` (`fresh/a/1`) was killed after it put the
    publisher doc in place, and `fresh/b/1` was then published (finding that doc: none of its
    own), not rolled back yet."""
    root = tmp_path / "hub"
    _publish(tmp_path, root, "fresh/a/1", killed_at=BEFORE_ITS_DOC)
    assert (root / "assets/docs/fresh/fresh.md").is_file()
    _publish(tmp_path, root, "fresh/b/1", killed_at=NEVER)
    return root


def test_rolling_back_a_killed_first_publish_keeps_the_publisher_doc_of_another_model(
    first_publish_killed,
):
    """The roll-back removed the publisher doc the killed publish had put in place, which the
    completed `fresh/b/1` relied on: `validate` then failed (no doc for the publisher `fresh`)
    and the publisher's page lost its doc. A roll-back leaves the hub as before the killed
    publish began, but keeps a publisher doc another model of that publisher needs."""
    root = first_publish_killed
    done = run_tfhub("validate", str(root))
    assert "removed 1 leftover(s) of interrupted publishes" in done.stderr
    assert (done.returncode, _no_problems(done.stdout)) == (0, True), done.stdout
    docs = root / "assets/docs/fresh"
    assert (docs / "fresh.md").read_text(encoding="utf-8").startswith("# Publisher fresh\n")
    assert (docs / "models/b/1.md").is_file() and not (docs / "models/a").exists()


def test_the_server_shows_the_publisher_doc_another_model_relies_on(first_publish_killed, tmp_path):
    """Before the roll-back, `tfhub serve` shows the hub as the roll-back will leave it: it left
    out the publisher doc of `fresh` too, so `/api/publishers/fresh` had no doc."""
    with serve_hub(first_publish_killed, tmp_path / "serve.log") as server:
        got = requests.get(server.url("api/publishers/fresh"), timeout=30)
        models = requests.get(server.url("api/models"), timeout=30).json()["models"]
    assert got.status_code == 200, got.text
    assert got.json()["doc_markdown"].startswith("# Publisher fresh\n")
    assert [model["handle"] for model in models] == ["fresh/b"]


def test_a_publisher_doc_a_concurrent_first_publish_replaced_comes_back(tmp_path):
    """Two first publishes of `fresh` at once: `fresh/b/1` put its publisher doc in place
    between `fresh/a/1`'s look for one and its commit, so a's commit moved b's aside and put its
    own in place, then was killed before its doc. The roll-back puts b's back (it does not keep
    a's own, which b would also do with)."""
    root = tmp_path / "hub"
    _publish(tmp_path, root, "fresh/b/1", killed_at=NEVER)
    docs = root / "assets/docs"
    publisher_doc = docs / "fresh/fresh.md"
    publisher_doc.write_text("# Publisher fresh\nWritten by b's publisher.\n", encoding="utf-8")
    folder = docs / "fresh/models/a"
    folder.mkdir(parents=True)
    stage = folder / staging.staging_name("1", "0" * 32)
    stage.mkdir()
    (stage / "fresh.md").write_text("# Publisher fresh\nA starter.\n", encoding="utf-8")
    (stage / "1.md").write_text("# Module fresh/a/1\n", encoding="utf-8")
    aside = stage / "old-0-fresh.md"
    renames = [(publisher_doc, aside), (stage / "fresh.md", publisher_doc)]
    commit._write_journal(stage, [*renames, (stage / "1.md", folder / "1.md")])
    for source, dest in renames:  # Killed before the third rename, its doc.
        os.replace(source, dest)
    done = run_tfhub("validate", str(root))
    assert (done.returncode, _no_problems(done.stdout)) == (0, True), done.stdout + done.stderr
    assert publisher_doc.read_text(encoding="utf-8") == (
        "# Publisher fresh\nWritten by b's publisher.\n"
    )
    assert not stage.exists() and not (folder / "1.md").exists()


def test_rolling_back_the_only_model_of_a_new_publisher_removes_its_publisher_doc(tmp_path):
    """What the kept publisher doc is an exception to: with no other doc of the publisher, the
    roll-back of its killed first publish leaves the hub as before it (no `fresh` at all)."""
    root = tmp_path / "hub"
    _publish(tmp_path, root, "fresh/a/1", killed_at=BEFORE_ITS_DOC)
    done = run_tfhub("validate", str(root))
    assert (done.returncode, _no_problems(done.stdout)) == (0, True), done.stdout + done.stderr
    assert sorted(os.listdir(root / "assets/docs")) == []


def test_the_server_keeps_the_publisher_doc_a_doc_put_back_by_the_roll_back_needs(tmp_path):
    """A hub made by hand has `fresh/a/1` but no `fresh.md`; its `publish --force` writes one,
    and is killed with the doc aside (renames: archive and summary each aside then in, the
    publisher doc, the doc aside; killed before the doc goes in). The roll-back puts the doc
    back first, then keeps the publisher doc it needs; the server, which reads the doc from
    the staging folder, shows that publisher doc too."""
    root = tmp_path / "hub"
    _publish(tmp_path, root, "fresh/a/1", killed_at=NEVER)
    (root / "assets/docs/fresh/fresh.md").unlink()
    _publish(tmp_path, root, "fresh/a/1", killed_at=7, force=True)
    assert not (root / "assets/docs/fresh/models/a/1.md").exists()
    with serve_hub(root, tmp_path / "serve.log") as server:
        got = requests.get(server.url("api/publishers/fresh"), timeout=30)
    assert got.status_code == 200, got.text
    assert got.json()["doc_markdown"].startswith("# Publisher fresh\n")
    done = run_tfhub("validate", str(root))
    assert (done.returncode, _no_problems(done.stdout)) == (0, True), done.stdout + done.stderr
    assert (root / "assets/docs/fresh/fresh.md").is_file()


# --- validate: a symlinked folder below ROOT/assets/docs ------------------------------------


def test_validate_reports_a_symlinked_folder_whose_docs_are_never_served(tmp_path):
    """`validate` passed a hub whose `acme/models/linked` was a symlink: its docs are never
    served (neither serve nor validate look below a symlinked folder), and nothing said so."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/emb/1")
    outside = tmp_path / "elsewhere"
    write_model_doc(outside, "acme/linked/1")
    os.symlink(outside / "assets/docs/acme/models/linked", root / "assets/docs/acme/models/linked")
    os.symlink(outside / "assets/docs/acme", root / "assets/docs/other")
    # A version's model folder, linked: no docs in it (checked as the version's model files).
    write_model_doc(root, "acme/emb/2", asset="2.tar.gz")
    os.symlink(write_tree(tmp_path / "model", FAKE_MODEL), root / "assets/docs/acme/models/emb/2")
    done = run_tfhub("validate", "hub", cwd=tmp_path)
    rule = (
        "tfhub serve and tfhub validate do not look for docs below a symlinked folder, so no "
        "doc in it is served or checked (and tfhub publish refuses to publish into it); make it "
        "a real folder (move what it points to into its place), or remove the link"
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        f"hub/assets/docs/acme/models/linked:0: this folder is a symlink (to "
        f"{outside}/assets/docs/acme/models/linked): {rule}",
        f"hub/assets/docs/other:0: this folder is a symlink (to {outside}/assets/docs/acme): "
        f"{rule}",
    ]
    assert "tfhub: 2 problem(s)" in done.stderr


def test_a_first_publish_that_fails_in_its_commit_keeps_the_publisher_doc_another_found(
    tmp_path, monkeypatch
):
    """The first publish of `fresh/a/1` fails (a full disk) at its last rename, its doc; its
    publisher doc was in place, and `fresh/b/1`, published meanwhile, found it and wrote none.
    The failed publish put back what it had renamed, that doc too: `fresh/b/1` was left
    without one (`validate` failed). It keeps it, as the roll-back of a killed one does.
    (b now waits for a's commit, `publish_locks.publisher_lock`; this is for a lock that fails.)"""
    summary_file = tmp_path / "summary.json"
    summary_file.write_text(json.dumps(signature_summary_json()))
    summary = signatures.read_summary(summary_file)
    monkeypatch.setattr(publish.pack_lib, "check_loadable", lambda folder: None)
    monkeypatch.setattr(publish.signatures, "compute_summary", lambda folder, loaded: summary)
    model, root = write_tree(tmp_path / "model", FAKE_MODEL), tmp_path / "hub"
    info = StarterInfo(description="A fresh model.", task="text-embedding")
    real_replace, real_journal, renames = os.replace, commit._write_journal, []

    def journal(staging, planned):  # The commit begins: its renames are counted.
        real_journal(staging, planned)
        renames.append("journal")

    def replace(source, dest):
        if not renames:
            return real_replace(source, dest)
        renames.append(dest)
        if len(renames) - 1 == BEFORE_ITS_DOC:  # a's doc: b publishes, then the disk is full.
            monkeypatch.setattr(os, "replace", real_replace)
            # b waits for a's publisher lock, held here: as if that lock did nothing (a
            # publish from another host, whose lock falls back to one on its own machine).
            monkeypatch.setattr(
                publish_locks, "publisher_lock", lambda *a, **k: contextlib.nullcontext()
            )
            publish.publish(model, root, "fresh/b/1", info=info)
            raise OSError(errno.ENOSPC, "No space left on device", os.fspath(dest))
        return real_replace(source, dest)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(commit, "_write_journal", journal)
    with pytest.raises(errors.PublishWriteError):
        publish.publish(model, root, "fresh/a/1", info=info)
    monkeypatch.setattr(os, "replace", real_replace)
    assert validator.validate_tree(root) == []
    docs = root / "assets/docs/fresh"
    assert (docs / "fresh.md").read_text(encoding="utf-8").startswith("# Publisher fresh\n")
    assert (docs / "models/b/1.md").is_file() and not (docs / "models/a").exists()


# --- a roll-back and the other killed publishes of the publisher (review46b H1, M2) ----------

EDITED = "# Publisher fresh\nFresh Labs: a description written by hand.\n"


def _served(root: Path) -> tuple[str | None, list[str]]:
    """What the server shows (its scan): the publisher doc of `fresh` and the models."""
    catalog = Catalog.scan(root)
    publisher = catalog.publishers.get("fresh")
    doc = None if publisher is None or publisher.doc is None else publisher.doc.path.read_text()
    return doc, sorted(catalog.models)


def _on_disk(root: Path) -> list[str]:
    """The docs below ROOT/assets/docs, staging folders left out."""
    docs = root / "assets/docs"
    found = (path.relative_to(docs) for path in docs.rglob("*.md"))
    return sorted(str(path) for path in found if not str(path).count("/."))


@pytest.fixture
def doc_aside(tmp_path: Path) -> Path:
    """The hub of `first_publish_killed` where the user wrote a description into `fresh.md`,
    then a `publish --force fresh/b/1` was killed with b's doc moved aside: the only other doc
    of `fresh` is in b's staging folder, where b's roll-back puts it back from."""
    root = tmp_path / "hub"
    _publish(tmp_path, root, "fresh/a/1", killed_at=BEFORE_ITS_DOC)
    _publish(tmp_path, root, "fresh/b/1", killed_at=NEVER)
    (root / "assets/docs/fresh/fresh.md").write_text(EDITED, encoding="utf-8")
    _publish(tmp_path, root, "fresh/b/1", killed_at=FORCED_BEFORE_ITS_DOC, force=True)
    assert _on_disk(root) == ["fresh/fresh.md"]
    return root


def test_a_retried_publish_keeps_the_publisher_doc_a_doc_moved_aside_needs(doc_aside, tmp_path):
    """The retry of `fresh/a/1` rolled back a's folder first: b's doc was aside, not on disk,
    so the publisher doc counted as not needed and was deleted, then the retry wrote a starter
    one: the description written by hand was lost (and the server showed it until then)."""
    assert _served(doc_aside) == (EDITED, ["fresh/b"])
    _publish(tmp_path, doc_aside, "fresh/a/1", killed_at=NEVER)
    assert (doc_aside / "assets/docs/fresh/fresh.md").read_text(encoding="utf-8") == EDITED
    done = run_tfhub("validate", str(doc_aside))
    assert (done.returncode, _no_problems(done.stdout)) == (0, True), done.stdout + done.stderr
    assert _on_disk(doc_aside) == ["fresh/fresh.md", "fresh/models/a/1.md", "fresh/models/b/1.md"]


@pytest.mark.parametrize("order", ["a-then-b", "b-then-a"])
def test_the_roll_backs_keep_the_publisher_doc_in_either_order(doc_aside, order):
    """Rolled back a before b, the publisher doc went (b's doc was aside), then b's doc came
    back without it; b before a kept it: the outcome depended on the order."""
    docs = doc_aside / "assets/docs"
    folders = [docs / "fresh/models/a", docs / "fresh/models/b"]
    for folder in folders if order == "a-then-b" else folders[::-1]:
        assert leftovers.remove_leftovers(folder, docs=docs, remove_made=True)
    assert _on_disk(doc_aside) == ["fresh/fresh.md", "fresh/models/b/1.md"]
    assert (docs / "fresh/fresh.md").read_text(encoding="utf-8") == EDITED
    assert _served(doc_aside) == (EDITED, ["fresh/b"])


@pytest.mark.parametrize(("first", "other"), [("a", "y"), ("z", "b")])
def test_the_server_shows_what_validate_leaves_after_two_killed_publishes(tmp_path, first, other):
    """The killed first publish of `fresh` put its publisher doc in place; another model's first
    publish, killed after its last rename, put its doc in place new (its roll-back removes it).
    The server replayed each journal alone (the other's doc on disk: the publisher doc kept)
    while validate rolled them back one after the other in the filesystem's order (the
    publisher doc kept or not): the two disagreed. Now both leave no doc of `fresh`."""
    root = tmp_path / "hub"
    _publish(tmp_path, root, f"fresh/{first}/1", killed_at=BEFORE_ITS_DOC)
    _publish(tmp_path, root, f"fresh/{other}/1", killed_at=AFTER_ITS_RENAMES)
    assert _on_disk(root) == ["fresh/fresh.md", f"fresh/models/{other}/1.md"]
    shown = _served(root)
    done = run_tfhub("validate", str(root))
    assert (done.returncode, _no_problems(done.stdout)) == (0, True), done.stdout + done.stderr
    assert _on_disk(root) == []
    assert shown == _served(root) == (None, [])


def test_a_publisher_doc_kept_for_a_journal_not_followed_passes_validate(tmp_path):
    """The accepted cost of the rule: a staging folder whose journal cannot be followed (kept,
    with the doc it may have moved aside) keeps the publisher doc, though no model of `fresh`
    is left; `validate` passes (an orphan publisher doc is harmless) and the server shows the
    publisher without models."""
    root = tmp_path / "hub"
    _publish(tmp_path, root, "fresh/a/1", killed_at=BEFORE_ITS_DOC)
    stage = root / "assets/docs/fresh/models/b" / staging.staging_name("1", "0" * 32)
    stage.mkdir(parents=True)
    (stage / commit.JOURNAL).write_text("{garbled", encoding="utf-8")
    (stage / "old-0-1.md").write_text("# Module fresh/b/1\n", encoding="utf-8")
    done = run_tfhub("validate", str(root))
    assert (done.returncode, _no_problems(done.stdout)) == (0, True), done.stdout + done.stderr
    assert "cannot be followed" in done.stderr
    assert _on_disk(root) == ["fresh/fresh.md"] and stage.is_dir()
    assert _served(root)[1] == []


# --- a roll-back while another model of the publisher commits (review46b M1) -----------------


def test_a_roll_back_during_a_publish_of_the_publisher_leaves_its_publisher_doc(
    tmp_path, monkeypatch
):
    """`fresh/b/1` found the publisher doc put in place by the killed first publish of
    `fresh/a/1` (it writes none), and a's folder was rolled back before b's commit: b's doc not
    in place yet, the publisher doc went, and b completed without one (`validate` failed). Now
    the look and the commit hold the publisher's lock, which a roll-back waits for (given up
    here, after a short timeout: a's folder is rolled back by the `validate` after)."""
    root = tmp_path / "hub"
    _publish(tmp_path, root, "fresh/a/1", killed_at=BEFORE_ITS_DOC)
    summary_file = tmp_path / "summary.json"
    summary = signatures.read_summary(summary_file)
    monkeypatch.setattr(publish.pack_lib, "check_loadable", lambda folder: None)
    monkeypatch.setattr(publish.signatures, "compute_summary", lambda folder, loaded: summary)
    monkeypatch.setattr(leftovers, "ROLL_BACK_LOCK_TIMEOUT", 0.3)
    docs, real_commit, rolled = root / "assets/docs", publish.commit_lib.commit, []

    def commit_after_a_roll_back(*args, **kwargs):  # As `tfhub validate` would, meanwhile.
        rolled.extend(leftovers.remove_leftovers(docs / "fresh/models/a", docs=docs))
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(publish.commit_lib, "commit", commit_after_a_roll_back)
    info = StarterInfo(description="A fresh model.", task="text-embedding")
    published = publish.publish(tmp_path / "model", root, "fresh/b/1", info=info)
    assert rolled == [] and not published.wrote_publisher_doc
    monkeypatch.setattr(publish.commit_lib, "commit", real_commit)
    assert validator.validate_tree(root) == []
    assert _on_disk(root) == ["fresh/fresh.md", "fresh/models/b/1.md"]


def test_a_publish_over_a_journal_it_could_not_roll_back_is_refused(tmp_path, monkeypatch):
    """review46e H1: a publish whose roll-back of a killed publish's journal timed out on the
    publisher lock kept that staging folder, went on and published; the next `tfhub validate`
    rolled the old journal back over it, moving the new archive aside (deleted) and leaving
    the new doc beside the old archive. The publish is refused now, nothing written."""
    import fcntl

    root = tmp_path / "hub"
    _publish(tmp_path, root, "fresh/b/1", killed_at=NEVER)
    _publish(tmp_path, root, "fresh/b/1", killed_at=FORCED_BEFORE_ITS_DOC, force=True)
    model_folder = root / "assets/docs/fresh/models/b"
    before = sorted(os.listdir(model_folder))
    archive = (model_folder / "1.tar.gz").stat().st_ino
    monkeypatch.setattr(leftovers, "ROLL_BACK_LOCK_TIMEOUT", 0.2)
    holder = os.open(root / "assets/docs/fresh", os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # A publish of the publisher stopped in its commit.
        model = write_tree(tmp_path / "model2", FAKE_MODEL)  # Refused before it is read.
        with pytest.raises(errors.PublishBusyError, match="could not be rolled back yet"):
            publish.publish(model, root, "fresh/b/1", force=True)
    finally:
        os.close(holder)
    assert sorted(os.listdir(model_folder)) == before
    assert (model_folder / "1.tar.gz").stat().st_ino == archive

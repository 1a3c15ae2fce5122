"""`tfhub mirror --from-docs` killed (SIGKILL) while it puts a version's files in place, then
run again: the rerun finishes the version and the hub validates; two runs at once both
succeed. No TensorFlow: the model is a fake SavedModel (its loading and signature summary are
stubbed, as in test_publish)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import serve_folder
from tests._helpers.hub_server import SRC, signature_summary_json
from tests._helpers.killed_commit import (
    KILL_BEFORE_RENAME,
    publish_without_tensorflow,
    run_killed,
)

from tfhub.cli.main import main
from tfhub.hub import publish, signatures

# A SavedModel whose saved_model.pb parses (schema version 1, one empty MetaGraph).
FAKE_MODEL = {"saved_model.pb": b"\x08\x01\x12\x00", "variables/variables.index": b"index"}

# `mirror --from-docs` killed just before the Nth rename of its commit (after its journal).
KILLED_MIRROR = (
    KILL_BEFORE_RENAME
    + publish_without_tensorflow(2)
    + """
from tfhub.hub import mirror
kill_before_rename(int(sys.argv[3]))
mirror.mirror_doc_assets(sys.argv[1])
"""
)

# `mirror --from-docs` whose packing takes a while: it holds the model folder's lock meanwhile.
SLOW_MIRROR = (
    publish_without_tensorflow(2)
    + """
import time
from tfhub.hub import mirror, pack
real_pack = pack.pack
def slow_pack(*args, **kwargs):
    print("packing", flush=True)
    time.sleep(3)
    return real_pack(*args, **kwargs)
publish.pack_lib.pack = slow_pack
report = mirror.mirror_doc_assets(sys.argv[1])
print([p.handle for p in report.mirrored], report.failed, flush=True)
"""
)

DOC = """# Module acme/emb/1
Embeddings from a fork of tfhub.dev.

<!-- asset-path: {url} -->
<!-- task: text-embedding -->
<!-- fine-tunable: false -->
<!-- format: saved_model_2 -->

## Overview
Kept as written.
"""


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


MIRRORED = [
    "assets/docs/acme/acme.md",
    "assets/docs/acme/models/emb/1.md",
    "assets/docs/acme/models/emb/1.signatures.json",
    "assets/docs/acme/models/emb/1.tar.gz",
]


@dataclass
class Hub:
    """ROOT, with one doc whose asset-path is an archive on a local server."""

    root: Path
    doc: Path
    summary: Path  # The signature summary the stubs give (children read it from here).

    def run(self, code: str, *args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-c", code, str(self.root), str(self.summary), *args]
        env = {**os.environ, "PYTHONPATH": SRC}
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def hub(tmp_path, monkeypatch) -> Iterator[Hub]:
    served, root = tmp_path / "served", tmp_path / "hub"
    served.mkdir()
    make_tar_gz(served / "emb.tar.gz", FAKE_MODEL, folders=True)
    summary_file = tmp_path / "summary.json"
    summary_file.write_text(json.dumps(signature_summary_json()))
    summary = signatures.read_summary(summary_file)
    monkeypatch.setattr(publish.pack_lib, "check_loadable", lambda folder: None)
    monkeypatch.setattr(publish.signatures, "compute_summary", lambda folder, loaded: summary)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    doc = root / "assets/docs/acme/models/emb/1.md"
    doc.parent.mkdir(parents=True)
    with serve_folder(str(served)) as server:
        doc.write_text(DOC.format(url=server.url("emb.tar.gz")))
        yield Hub(root, doc, summary_file)


@pytest.mark.parametrize("kill_before", [1, 2, 3])
def test_a_rerun_finishes_a_version_whose_mirror_was_killed(hub, capsys, kill_before):
    """Killed after the archive was in place, the rerun skipped the version (it had model
    files): it stayed without its signature summary or publisher doc, its journal left behind,
    until `tfhub validate` rolled it back (unmirrored: a third run was needed)."""
    text = hub.doc.read_text()
    child = hub.run(KILLED_MIRROR, str(kill_before))
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert main(["mirror", str(hub.root), "--from-docs"]) == 0
    assert capsys.readouterr().out.startswith("acme/emb/1\t")  # Mirrored by the rerun.
    assert _files(hub.root) == MIRRORED and hub.doc.read_text() == text
    assert main(["validate", str(hub.root)]) == 0
    assert "leftover" not in capsys.readouterr().err


def test_two_runs_at_once_both_succeed(hub, capsys):
    """A run that found the version unmirrored, then waited for the model folder's lock while
    another run mirrored it, failed: "acme/emb/1 is already published ... --force"."""
    import threading

    other: list[subprocess.CompletedProcess] = []
    thread = threading.Thread(target=lambda: other.append(hub.run(SLOW_MIRROR)))
    thread.start()
    lock_folder = hub.doc.parent
    deadline = time.monotonic() + 60
    while not [p for p in lock_folder.iterdir() if ".publish-" in p.name]:  # It is packing.
        assert time.monotonic() < deadline and thread.is_alive(), other
        time.sleep(0.05)
    assert main(["mirror", str(hub.root), "--from-docs"]) == 0, capsys.readouterr().err
    thread.join()
    assert other[0].returncode == 0 and "['acme/emb/1'] []" in other[0].stdout, other[0]
    assert _files(hub.root) == MIRRORED


# `mirror SOURCE ROOT --as acme/emb/1` (a starter doc) killed just before the Nth rename of its
# commit, or (N = 0) while it packs, before its commit.
KILLED_MIRROR_AS = (
    KILL_BEFORE_RENAME
    + publish_without_tensorflow(2)
    + """
from tfhub.hub import mirror, starter
if sys.argv[3] == "0":
    publish.pack_lib.pack = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
else:
    kill_before_rename(int(sys.argv[3]))
info = starter.StarterInfo(task="text-embedding")
mirror.mirror(sys.argv[4], sys.argv[1], as_handle="acme/emb/1", info=info)
"""
)


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder below `root`."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes() if path.is_file() else None
        for path in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize(
    ("hub_has", "kill_before"),
    [("no doc", n) for n in range(5)] + [("the publisher", n) for n in range(4)],
)
def test_a_killed_mirror_rolled_back_leaves_the_hub_as_it_was(tmp_path, hub_has, kill_before):
    """A mirror writing a starter doc, killed (SIGKILL) at each step, then rolled back by
    `tfhub validate`: its files went, but the folders it made for the version stayed
    (assets/docs/acme/models/emb/, empty), so the hub was not as before the mirror began."""
    root, summary = tmp_path / "hub", tmp_path / "summary.json"
    (root / "assets/docs").mkdir(parents=True)
    if hub_has == "the publisher":
        (root / "assets/docs/acme").mkdir()
        (root / "assets/docs/acme/acme.md").write_text("# Publisher acme\nAcme.\n")
    summary.write_text(json.dumps(signature_summary_json()))
    make_tar_gz(tmp_path / "emb.tar.gz", FAKE_MODEL, folders=True)
    before = _tree(root)
    argv = [str(root), str(summary), str(kill_before), str(tmp_path / "emb.tar.gz")]
    run_killed(KILLED_MIRROR_AS, *argv, TFHUB_CACHE_DIR=str(tmp_path / "cache"))
    assert main(["validate", str(root)]) == 0
    assert _tree(root) == before

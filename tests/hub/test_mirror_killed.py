"""`tfhub mirror --from-docs` killed (SIGKILL) while it puts a version's files in place, then
run again: the rerun finishes the version and the hub validates. No TensorFlow: the model is
a fake SavedModel (its loading and signature summary are stubbed, as in test_publish)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import serve_folder
from tests._helpers.hub_server import SRC, signature_summary_json

from tfhub.cli.main import main
from tfhub.hub import publish, signatures

# A SavedModel whose saved_model.pb parses (schema version 1, one empty MetaGraph).
FAKE_MODEL = {"saved_model.pb": b"\x08\x01\x12\x00", "variables/variables.index": b"index"}

# `mirror --from-docs` killed just before the Nth rename of its commit (after its journal).
KILLED_MIRROR = """
import os, signal, sys
from tfhub.hub import commit, mirror, publish, signatures
summary = signatures.read_summary(sys.argv[2])
publish.pack_lib.check_loadable = lambda folder: None
publish.signatures.compute_summary = lambda folder, loaded: summary
kill_before, renames = int(sys.argv[3]), []
real_replace, real_journal = os.replace, commit._write_journal
def journal(staging, planned):
    real_journal(staging, planned)
    renames.append("journal written")
def replace(source, dest):
    if renames:
        renames.append(dest)
        if len(renames) - 1 == kill_before:
            os.kill(os.getpid(), signal.SIGKILL)
    real_replace(source, dest)
commit._write_journal = journal
os.replace = replace
mirror.mirror_doc_assets(sys.argv[1])
"""

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


@pytest.mark.parametrize("kill_before", [1, 2, 3])
def test_a_rerun_finishes_a_version_whose_mirror_was_killed(
    tmp_path, monkeypatch, capsys, kill_before
):
    """Killed after the archive was in place, the rerun skipped the version (it had model
    files): it stayed without its signature summary or publisher doc, its journal left behind,
    until `tfhub validate` rolled it back (unmirrored: a third run was needed)."""
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
        text = doc.read_text()
        child = subprocess.run(
            [sys.executable, "-c", KILLED_MIRROR, str(root), str(summary_file), str(kill_before)],
            env={**os.environ, "PYTHONPATH": SRC},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr
        assert main(["mirror", str(root), "--from-docs"]) == 0
    assert capsys.readouterr().out.startswith("acme/emb/1\t")  # Mirrored by the rerun.
    assert _files(root) == [
        "assets/docs/acme/acme.md",
        "assets/docs/acme/models/emb/1.md",
        "assets/docs/acme/models/emb/1.signatures.json",
        "assets/docs/acme/models/emb/1.tar.gz",
    ]
    assert doc.read_text() == text
    assert main(["validate", str(root)]) == 0
    assert "leftover" not in capsys.readouterr().err

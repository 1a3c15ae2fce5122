"""With two killed publishes' journals in one model folder (a publish that could not flock the
folder, NFS, cleans no leftover), the server shows what the roll-back will leave: the
roll-backs run newest journal first (leftovers.remove_leftovers), so each file ends as the
OLDEST journal naming it leaves it. The server asked the journal whose staging folder's random
name sorts first, and served the killed publish's half-written archive in half the orders."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.hub.test_publishing_probes47 import (
    _BEFORE_ITS_DOC,
    _BEFORE_ITS_LAST,
    _NEVER,
    _publish_killed,
    _version_files,
)

from tfhub.hub import docs_format, settled


@pytest.mark.parametrize(
    ("older", "newer"),
    [("0" * 32, "f" * 32), ("f" * 32, "0" * 32)],
    ids=["older-sorts-first", "newer-sorts-first"],
)
def test_the_server_shows_the_version_the_roll_backs_will_leave(tmp_path, older, newer):
    root = tmp_path / "hub"
    _publish_killed(tmp_path, root, "v0", kill=_NEVER, token="1" * 32)
    docs = root / "assets" / "docs"
    folder = docs / "acme" / "models" / "emb"
    before = _version_files(folder)
    _publish_killed(tmp_path, root, "a", kill=_BEFORE_ITS_DOC, token=older)
    _publish_killed(tmp_path, root, "b", kill=_BEFORE_ITS_LAST, token=newer, nfs=True)
    assert len(sorted(folder.glob(".1.publish-*/journal.json"))) == 2

    view = settled.Settled(docs)
    shown = {}
    for name in before:
        holder = view.file(folder / name)
        assert holder is not None, name
        shown[name] = holder.read_bytes()
    assert shown == before
    real = Path(root).resolve()
    served = {doc.path: doc for doc in view.docs_of(docs_format.list_docs(real), real)}
    doc = served[(real / "assets" / "docs" / "acme" / "models" / "emb" / "1.md")]
    assert doc.description == "Model v0."  # The version before both, not a killed one's.

"""A doc a killed `publish --force` moved aside is served as the roll-back will put it back
(`settled`), and so as the scan serves every doc: without its metadata values longer than
`MAX_VALUE_CHARS` (`served_doc.without_long_values`); it served them whole."""

from __future__ import annotations

import logging
from pathlib import Path

from tfhub.hub import settled
from tfhub.hub.doc_rules import MAX_VALUE_CHARS

DOC = """# Module acme/emb/1
Old.

<!-- asset-path: legacy -->
<!-- task: text-embedding -->
<!-- dataset: {value} -->
<!-- dataset: short -->

Text.
"""


def test_a_moved_aside_doc_is_served_without_its_too_long_values(tmp_path: Path, caplog) -> None:
    root = tmp_path / "hub"
    target = root / "assets/docs/acme/models/emb/1.md"
    holder = root / "assets/docs/acme/models/emb/.1.md.staging/1.md"
    holder.parent.mkdir(parents=True)
    holder.write_text(DOC.format(value="x" * (MAX_VALUE_CHARS + 1)))
    caplog.set_level(logging.WARNING, logger="tfhub.hub.docs_format")
    doc = settled.served_doc(holder, target, root)
    assert doc is not None
    assert doc.values("dataset") == ["short"]
    assert [r.getMessage()[:60] for r in caplog.records] == [
        "assets/docs/acme/models/emb/1.md:6: leaving out the metadata"
    ]

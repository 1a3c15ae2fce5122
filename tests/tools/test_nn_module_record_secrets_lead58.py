"""The nearest-neighbour tool's module record writes no secret.

`generate` records which module made the embeddings (`embedding_module.json`); a `--module_url`
with credentials (`https://user:secret@host/m.tar.gz`, `?token=...`) was written into it as
given. The record now holds the handle with them hidden, and a query with the same handle still
counts as the same module (where its files cannot be compared).
"""

from __future__ import annotations

import json
from pathlib import Path

from tfhub.tools.make_nearest_neighbour_index import module_record

URL = "https://user:s3cret@models.example/m.tar.gz?token=t0ken&v=1"


def _remote(handle: str) -> module_record.ModuleIdentity:
    """The identity of a handle whose files are not compared (no local folder)."""
    return module_record.ModuleIdentity(handle, module_record.module_key(handle), None, None)


def test_the_record_holds_no_credentials(tmp_path: Path) -> None:
    record = module_record.ModuleRecord(_remote(URL), 8, 4)
    module_record.write(str(tmp_path), record, flag="embed_output_dir")
    text = (tmp_path / "embedding_module.json").read_text()
    assert "s3cret" not in text and "t0ken" not in text, text
    assert json.loads(text)["module_url"].startswith("https://"), text


def test_the_same_handle_with_credentials_is_the_same_module(tmp_path: Path) -> None:
    module_record.write(
        str(tmp_path), module_record.ModuleRecord(_remote(URL), 8), flag="embed_output_dir"
    )
    recorded = module_record.read(
        str(tmp_path / "embedding_module.json"), damaged=lambda path, problem: ValueError(problem)
    )
    assert recorded is not None
    assert module_record.differs(recorded.module, _remote(URL)) is None
    other = "https://user:s3cret@models.example/other.tar.gz"
    assert module_record.differs(recorded.module, _remote(other)) is not None

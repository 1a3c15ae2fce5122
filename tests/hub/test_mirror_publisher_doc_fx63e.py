"""rv63a-5: `tfhub mirror` read the first line of the source hub's publisher doc with its own
split/strip/compare, beside the hub's reader (`docs_format.parse_first_line`): a first line
the hub reads as `# Publisher acme` once `&zwnj;` is removed (as tfhub.dev's docs hold it)
was taken for no publisher doc, and the mirror wrote a starter doc instead of the source's."""

from __future__ import annotations

import json

import pytest
from tests._helpers.http_server import answer_body, serve_folder

from tfhub.hub.doc_handles import DocHandle
from tfhub.hub.mirror_source import SourceDoc, source_publisher_doc


@pytest.mark.parametrize(
    ("doc", "taken"),
    [
        ("# Publisher acme&zwnj;\nAcme's models.\n", True),
        ("# Publisher acme \t\r\nAcme's models.\n", True),
        ("# Publisher lab\nThe lab's models.\n", False),  # Another publisher's.
        ("# Module acme/emb/1\nA model.\n", False),
        ("# Publisher acme/emb\n", False),
    ],
)
def test_the_source_publisher_doc_is_read_as_the_hub_reads_it(doc, taken, tmp_path):
    body = json.dumps({"doc_markdown": doc}).encode()
    with serve_folder(str(tmp_path)) as server:
        server.state.behaviours.append(
            answer_body("/api/publishers/acme", 200, "application/json", body)
        )
        base = server.url().rstrip("/")
        found = SourceDoc("# Module acme/emb/1\n", DocHandle("acme", "emb", 1), base, base)
        text = source_publisher_doc(found, f"{base}/acme/emb/1", max_bytes=1 << 20)
    assert text == (doc if taken else None)

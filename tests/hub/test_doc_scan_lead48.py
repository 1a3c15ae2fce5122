"""The doc walk (`doc_walk.read_docs`) holds one descriptor per folder level: a folder it cannot
open for want of descriptors (a busy server near its limit, a deep docs tree) was left out
without a word, its versions then 404 (review48d F2). It is read by its path then, as the scan
before the walk read every doc.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from tests._helpers.cache_users import run_as_user

from tfhub.hub import catalog, docs_layout

DEPTH = 40


def _deep_tree(root: Path) -> str:
    docs = root / "assets" / "docs" / "pub"
    docs.mkdir(parents=True)
    (docs / "pub.md").write_text("# Publisher pub\nA publisher.\n")
    names = [f"l{i}" for i in range(DEPTH)]
    deep = docs.joinpath("models", *names)
    deep.mkdir(parents=True)
    handle = "pub/" + "/".join(names) + "/1"
    (deep / "1.md").write_text(f"# Module {handle}\nA model.\n")
    return "pub/models/" + "/".join(names) + "/1.md"


def test_a_folder_the_walk_cannot_open_for_want_of_descriptors_is_read_by_path(tmp_path):
    deep_doc = _deep_tree(tmp_path)
    expected = [
        docs_layout.relative_paths(f, tmp_path)[0] for f in docs_layout.find_doc_files(tmp_path)
    ]
    assert deep_doc in expected

    def scan_with_few_descriptors() -> list[str]:
        in_use = len(os.listdir("/proc/self/fd"))
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 20, hard))  # The child only.
        return [doc.rel_path for doc in catalog.served_docs(tmp_path.resolve())]

    scanned = run_as_user(scan_with_few_descriptors, uid=0, gid=0).result()
    assert scanned == expected

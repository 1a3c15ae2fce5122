"""A model page's sparse input in a real headless browser (Debian's chromium, playwright; the
fixture and skip mark are tests/hub/conftest.py's and tests/_helpers/chromium.py's): the row
says what the input is, the row of its components' keys follows it, and long keys widen no page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.chromium import needs_chromium
from tests._helpers.hub_server import (
    serve_hub,
    signature_summary_json,
    write_model_doc,
    write_publisher,
    write_signatures,
)

pytestmark = [pytest.mark.slow, needs_chromium]


def test_a_sparse_inputs_rows_read_as_such_and_widen_no_page(browser, tmp_path: Path) -> None:
    write_publisher(tmp_path, "lab", "Lab")
    doc = write_model_doc(tmp_path, "lab/sparse/1")
    make_tar_gz(doc.with_name("1.tar.gz"))
    summary = signature_summary_json()
    long_key = "k" * 300
    components = [
        {"key": long_key, "part": "indices", "dtype": "int64", "shape": [None, 2]},
        {"key": long_key + "_1", "part": "values", "dtype": "float32", "shape": [None]},
        {"key": long_key + "_2", "part": "dense_shape", "dtype": "int64", "shape": [2]},
    ]
    tensor = {"name": long_key, "type": "SparseTensor", "dtype": "float32", "shape": [None, 5]}
    summary["meta_graphs"][0]["signatures"]["serving_default"]["inputs"] = [
        {**tensor, "components": components}
    ]
    write_signatures(doc, summary)
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        page = browser.new_page(viewport={"width": 360, "height": 800})
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text))
        page.goto(server.url("lab/sparse/1"))
        page.wait_for_selector("#signatures")
        rows = page.locator("#signatures tr").all_inner_texts()
        width = page.evaluate("document.documentElement.scrollWidth")
        page.close()
    assert [" ".join(row.split()) for row in rows[1:3]] == [
        f"serve serving_default input {long_key} SparseTensor float32 [?, 5]",
        f"passed as: {long_key} indices int64 [?, 2], {long_key}_1 values float32 [?], "
        f"{long_key}_2 dense_shape int64 [2]",
    ]
    assert width <= 360 and errors == []

"""A Module whose model starts with `lite-model/` (`tfjs-model/`, `coral-model/`) shares its URL
with a Lite (Tfjs, Coral) doc: `# Lite lab/spice/1` is served at `/lab/lite-model/spice/1`.

Before, `tfhub publish` wrote such a Module and `tfhub validate` passed the hub, while the
server answered one of the two and silently ignored the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub import publish, validator

UPSTREAM_TF1 = Path(__file__).parents[1] / "data" / "upstream" / "tf1_text_vocab"
LITE_DOC = """# Lite lab/spice/1
The spice model for TF Lite.

<!-- asset-path: https://example.com/spice.tflite -->
<!-- parent-model: lab/spice/1 -->
"""


def test_validate_reports_a_module_and_a_lite_doc_served_at_one_url(tmp_path):
    write_publisher(tmp_path, "lab", "Lab")
    write_model_doc(tmp_path, "lab/lite-model/spice/1")
    lite = tmp_path / "assets/docs/lab/models/spice/lite/1.md"
    lite.parent.mkdir(parents=True)
    lite.write_text(LITE_DOC)
    problems = validator.validate_tree(tmp_path)
    assert [(p.path, p.line, p.message) for p in problems] == [
        (
            "assets/docs/lab/models/spice/lite/1.md",
            1,
            "Lite lab/spice/1 is served at /lab/lite-model/spice/1, as is Module "
            "lab/lite-model/spice/1 (assets/docs/lab/models/lite-model/spice/1.md): the server "
            "answers one of them only; rename one",
        )
    ]


def test_validate_still_names_two_docs_of_one_handle(tmp_path):
    write_publisher(tmp_path, "lab", "Lab")
    first = write_model_doc(tmp_path, "lab/emb/1")
    (first.parent / "copy").mkdir()
    (first.parent / "copy" / "1.md").write_text(first.read_text())
    messages = [p.message for p in validator.validate_tree(tmp_path)]
    assert any("is also declared by" in message for message in messages), messages


@pytest.mark.parametrize("prefix", ["lite-model", "tfjs-model", "coral-model"])
def test_publish_refuses_a_model_path_under_a_derived_docs_url(tmp_path, prefix):
    root = tmp_path / "hub"
    with pytest.raises(errors.InvalidHandleError, match=f"starts its model with '{prefix}/'"):
        publish.publish(UPSTREAM_TF1, root, f"lab/{prefix}/spice/1")
    assert not root.exists()

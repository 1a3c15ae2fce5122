"""`tfhub validate` of a doc that gives `module-type`, tfhub.dev's old name of `task` (fix54e-F3).

doc_rules accepts `module-type` in `task`'s place (docs/hub.md), but its messages spoke of
`task` only: "unsupported metadata 'demo' for a Module doc (allowed: [..., 'task'])" for a doc
whose own key is `module-type`, and "'task' must start with ..." for a `module-type` line.
"""

from __future__ import annotations

from pathlib import Path

from tests._helpers.hub_server import write_publisher

from tfhub.hub import validator

DOC = (
    "# Module acme/emb/1\nEmbeddings.\n\n"
    "<!-- asset-path: https://example.com/emb.tar.gz -->\n"
    "<!-- module-type: text-embedding -->\n"
    "<!-- fine-tunable: true -->\n"
    "<!-- format: saved_model_2 -->\n"
    "<!-- demo: https://example.com -->\n"
    "<!-- module-type: embedding -->\n"
)


def _problems(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    write_publisher(tmp_path, "acme", "Acme")
    doc = tmp_path / "assets/docs/acme/models/emb/1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(text)
    return [(p.line, p.message) for p in validator.validate_tree(tmp_path)]


def test_the_allowed_keys_name_module_type_as_tasks_old_name(tmp_path: Path) -> None:
    (unsupported, value) = _problems(tmp_path, DOC)
    assert unsupported[0] == 8
    assert unsupported[1].startswith("unsupported metadata 'demo' for a Module doc (allowed: [")
    assert "'task' (or 'module-type', its old name)" in unsupported[1]
    assert value[0] == 9
    assert value[1].startswith("'task' must start with one of ")  # As before (tests match it).
    assert "given as 'module-type', its old name" in value[1]
    assert value[1].endswith("Received: 'embedding'")


def test_a_task_line_is_not_said_to_be_module_type(tmp_path: Path) -> None:
    text = DOC.replace("module-type: embedding", "task: embedding")
    text = text.replace("<!-- module-type: text-embedding -->\n", "")
    (_, value) = _problems(tmp_path, text)
    assert value == (
        8,
        "'task' must start with one of ['image-', 'text-', 'audio-', "
        "'video-']. Received: 'embedding'",
    )

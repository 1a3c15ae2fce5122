"""The starter doc of `tfhub publish` / `tfhub mirror` with odd --description, --task, --license.

A description of several lines broke the doc (`publish` then said the doc lacked all its
metadata), and a value holding `-->` and a newline could end its metadata line and add another.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests._helpers.hub_server import signature_summary_json

from tfhub import errors
from tfhub.hub import doc_handles, signatures, starter, validator
from tfhub.hub import docs_format as fmt

HANDLE = doc_handles.parse_handle("acme/emb/1")


@pytest.fixture
def summary(tmp_path) -> signatures.SignatureSummary:
    path = tmp_path / "1.signatures.json"
    path.write_text(json.dumps(signature_summary_json()))
    return signatures.read_summary(path)


def _parsed(text: str) -> fmt.DocFile:
    return fmt.parse_text(text, path=Path("1.md"), rel_path="acme/models/emb/1.md")


def test_a_description_of_several_lines_is_one_line(summary, tmp_path):
    info = starter.StarterInfo(description="Line one\n\n## Injected\n  line two ", task="text-x")
    text = starter.starter_module_doc(HANDLE, summary, info, asset_path="1.tar.gz")
    (tmp_path / "1.tar.gz").write_bytes(b"")  # The archive the doc names (not opened here).
    doc = fmt.parse_text(text, path=tmp_path / "1.md", rel_path="acme/models/emb/1.md")
    assert doc.description == "Line one ## Injected line two"
    assert validator.validate_doc(doc) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("license", "mit -->\n<!-- dataset: injected"),
        ("license", "mit --> x"),
        ("task", "text-embedding\n<!-- format: hub -->"),
        ("task", "   "),
    ],
)
def test_a_metadata_value_that_cannot_stand_on_its_line_is_refused(summary, field, value):
    info = starter.StarterInfo(**{"task": "text-embedding", field: value})
    with pytest.raises(errors.DocValidationError, match=f"--{field} ") as caught:
        starter.starter_module_doc(HANDLE, summary, info, asset_path="1.tar.gz")
    assert caught.value.problems == [str(caught.value)]


def test_values_are_stripped(summary):
    info = starter.StarterInfo(task=" text-embedding ", license=" mit ")
    doc = _parsed(starter.starter_module_doc(HANDLE, summary, info, asset_path="1.tar.gz"))
    assert (doc.values("task"), doc.values("license")) == (["text-embedding"], ["mit"])

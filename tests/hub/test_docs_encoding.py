"""Docs that are not UTF-8: `tfhub validate`, `tfhub publish --doc` and `tfhub serve` name the
file, the line and the byte offset of the first byte that is not UTF-8 (they said "position",
counted after a BOM, at line 0; `serve` only logged that it skipped the doc)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import requests
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import docs_text, validator

LATIN1_BODY = "Trained on caf\xe9 menus."  # Written as Latin-1: the byte 0xe9.


def _latin1_doc(root: Path, *, bom: bool = False) -> tuple[Path, int, int]:
    """Writes acme/emb/1 in Latin-1; returns (doc, line, byte offset) of its 0xe9 byte."""
    doc = write_model_doc(root, "acme/emb/1", body=LATIN1_BODY)
    data = doc.read_text().encode("latin-1")
    if bom:
        data = b"\xef\xbb\xbf" + data
    doc.write_bytes(data)
    offset = data.index(b"\xe9")
    return doc, data.count(b"\n", 0, offset) + 1, offset


@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
def test_validate_names_the_line_and_byte_offset_of_a_doc_that_is_not_utf8(tmp_path, bom, capsys):
    write_publisher(tmp_path, "acme", "Acme")
    doc, line, offset = _latin1_doc(tmp_path, bom=bom)
    problems = validator.validate_tree(tmp_path)
    rel = "assets/docs/acme/models/emb/1.md"
    assert [(p.path, p.line) for p in problems] == [(rel, line)]
    assert f"the byte 0xe9 at byte offset {offset} " in problems[0].message
    assert "save the file as UTF-8" in problems[0].message
    assert main(["validate", str(tmp_path)]) == 1
    assert f"1.md:{line}: not UTF-8 text: the byte 0xe9 at byte offset {offset}" in (
        capsys.readouterr().out
    )
    with pytest.raises(errors.DocFormatError) as raised:
        docs_text.read_doc_text(doc)
    assert isinstance(raised.value, ValueError)  # As UnicodeDecodeError was.
    again = pickle.loads(pickle.dumps(raised.value))
    assert (again.line, again.offset, str(again)) == (line, offset, str(raised.value))


def test_publish_refuses_a_doc_that_is_not_utf8_naming_the_byte_offset(tmp_path, capsys):
    doc, line, offset = _latin1_doc(tmp_path / "drafts")
    (tmp_path / "model").mkdir()
    argv = ["publish", str(tmp_path / "model"), str(tmp_path / "hub"), "--handle", "acme/emb/1"]
    assert main([*argv, "--doc", str(doc)]) != 0
    err = capsys.readouterr().err
    assert f"{doc}:{line}: not UTF-8 text: the byte 0xe9 at byte offset {offset}" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "hub" / "assets").exists()


def test_serve_logs_each_doc_it_leaves_out_with_its_byte_offset(tmp_path):
    write_publisher(tmp_path, "acme", "Acme")
    _, line, offset = _latin1_doc(tmp_path)
    write_model_doc(tmp_path, "acme/other/1")
    with serve_hub(tmp_path, tmp_path / "serve.log") as server:
        assert requests.get(server.url("acme/other/1"), timeout=10).status_code == 200
        assert requests.get(server.url("acme/emb/1"), timeout=10).status_code == 404
        log = server.access_log()
    expected = (
        f"Skipping a doc (not served): assets/docs/acme/models/emb/1.md:{line}: not UTF-8 "
        f"text: the byte 0xe9 at byte offset {offset}"
    )
    assert expected in log, log

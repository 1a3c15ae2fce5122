"""How `tfhub serve` reads a doc's metadata that `tfhub validate` refuses, as tfhub.dev's
validator (tools/validator.py) refused it: an indented metadata line (tfhub.dev stopped at the
first unexpected line and refused the doc), a single-valued key given twice (tfhub.dev refused
two values of `format`, `asset-path`, ...), and a huge unknown key (values were capped, keys
were not). The server still serves such a doc, but says so in one warning per doc content,
serves one value of a single-valued key, and never shows a huge key."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub.hub import doc_file, doc_rules
from tfhub.hub.app import create_app
from tfhub.hub.catalog import Catalog
from tfhub.hub.settings import ServeSettings

LOGGER = "tfhub.hub"


def _hub(root: Path, old: str, new: str) -> Path:
    """A hub with acme/emb/1 whose doc has `old` replaced by `new`."""
    write_publisher(root, "acme", "Acme")
    doc = write_model_doc(root, "acme/emb/1")
    text = doc.read_text()
    assert old in text
    doc.write_text(text.replace(old, new, 1))
    return doc


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def _app(root: Path):
    return create_app(ServeSettings(root=str(root), access_log=False, rescan_seconds=0))


def test_an_indented_metadata_line_is_warned_about_once_per_doc_content(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The lines from the indented one on were dropped without a word (empty metadata from
    there: the search filters missed the model); one warning now names the doc, the line and
    why, once per content: a rescan of the unchanged doc says nothing, an edit says it again."""
    doc = _hub(tmp_path, "<!-- network-architecture", "  <!-- network-architecture")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    catalog = Catalog.scan(tmp_path)
    said = [m for m in _warnings(caplog) if "1.md" in m]
    assert len(said) == 1, said
    assert "assets/docs/acme/models/emb/1.md:6:" in said[0]
    assert "unexpected line between the description and the first heading" in said[0]
    assert "not read" in said[0] and "network-architecture" in said[0]
    # As tfhub.dev's validator (it stopped there): the lines after it are not read.
    served = catalog.find(["acme", "emb", "1"])[1].doc
    assert served.values("task") == ["text-embedding"] and served.values("license") == []
    caplog.clear()
    Catalog.scan(tmp_path)
    assert [m for m in _warnings(caplog) if "1.md" in m] == []
    doc.write_text(doc.read_text() + "More.\n")
    Catalog.scan(tmp_path)
    assert len([m for m in _warnings(caplog) if "1.md:6:" in m]) == 1


def test_validate_still_reports_the_indented_line(tmp_path: Path, capsys) -> None:
    _hub(tmp_path, "<!-- license", "  <!-- license")
    status, out, _ = run_tfhub(capsys, "validate", str(tmp_path))
    assert status != 0 and "1.md:11: unexpected line between" in out
    assert "remove the blanks before '<!--'" in out  # What to do with an indented line.


def test_a_repeated_single_valued_key_is_served_with_its_first_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`format` given twice was served with both values (either filter matched); the first
    wins now, as tfhub.dev allowed one value, with one warning naming the second line."""
    _hub(
        tmp_path,
        "<!-- format: saved_model_2 -->",
        "<!-- format: saved_model_2 -->\n<!-- format: hub -->",
    )
    caplog.set_level(logging.WARNING, logger=LOGGER)
    app = _app(tmp_path)
    said = [m for m in _warnings(caplog) if "'format'" in m]
    assert len(said) == 1 and "1.md:11:" in said[0] and "line 10" in said[0], said
    code, body = asgi_request(app, "GET", b"/api/models", b"format=hub")
    assert code == 200 and json.loads(body)["total"] == 0
    code, body = asgi_request(app, "GET", b"/api/models", b"format=saved_model_2")
    assert code == 200 and json.loads(body)["total"] == 1
    code, body = asgi_request(app, "GET", b"/api/models/acme/emb/1")
    version = json.loads(body)["versions"][0]
    assert code == 200 and version["metadata"]["format"] == ["saved_model_2"]
    caplog.clear()
    _app(tmp_path)  # A rescan of the unchanged doc.
    assert [m for m in _warnings(caplog) if "'format'" in m] == []


def test_repeatable_keys_are_still_served_whole(tmp_path: Path) -> None:
    _hub(tmp_path, "<!-- language: en -->", "<!-- language: en -->\n<!-- language: de -->")
    served = Catalog.scan(tmp_path).find(["acme", "emb", "1"])[1].doc
    assert served.values("language") == ["en", "de"]


def test_one_home_says_which_keys_are_single_valued() -> None:
    assert doc_rules.REPEATED_KEYS is doc_file.REPEATED_KEYS
    for rules in doc_rules.RULES.values():  # Every key a kind allows is one or the other.
        assert rules.allowed <= doc_file.REPEATED_KEYS | doc_file.SINGLE_VALUED_KEYS
    assert doc_file.single_valued("format") and doc_file.single_valued("license")
    assert not doc_file.single_valued("task") and not doc_file.single_valued("module-type")


def test_a_huge_unknown_key_is_not_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A 200 KB key went whole into the model page and the JSON API (values were capped at
    1,000 characters, keys were not); it is left out now, as a long value is, with a warning
    showing it cut."""
    key = "k" * 200_000
    _hub(tmp_path, "<!-- license", f"<!-- {key}: x -->\n<!-- license")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    app = _app(tmp_path)
    said = [m for m in _warnings(caplog) if "kkkk" in m]
    assert len(said) == 1 and len(said[0]) < 2_000 and "1.md:11:" in said[0], said
    code, page = asgi_request(app, "GET", b"/acme/emb/1")
    assert code == 200 and b"kkkkkkkkkk" * 100 not in page and b"apache-2.0" in page
    code, body = asgi_request(app, "GET", b"/api/models/acme/emb/1")
    model = json.loads(body)
    assert code == 200 and key in model["versions"][0].pop("doc_markdown")  # As published.
    assert "kkkkkkkkkk" * 100 not in json.dumps(model)
    assert model["versions"][0]["metadata"]["license"] == ["apache-2.0"]


def test_an_unexpected_line_with_no_metadata_after_it_is_not_warned_about_at_serve(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Body text before any heading leaves no metadata unread: validate reports the line, the
    server (which reads the whole metadata) says nothing."""
    _hub(tmp_path, "<!-- license: apache-2.0 -->", "<!-- license: apache-2.0 -->\nText.")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    served = Catalog.scan(tmp_path).find(["acme", "emb", "1"])[1].doc
    assert served.values("license") == ["apache-2.0"] and served.metadata_cut is None
    assert [m for m in _warnings(caplog) if "1.md" in m] == []


def test_many_good_docs_do_not_push_a_bad_docs_warning_out_lead63(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review rv63d: every doc took a place in the bounded once-memory, so on a hub of more docs
    than it holds a rescan warned again about every bad doc. Only docs with news take a place."""
    from tfhub.hub import docs_format, served_doc
    from tfhub.utils.warn_once import WarnedOnce

    monkeypatch.setattr(served_doc, "_WARNED", WarnedOnce(4))
    caplog.set_level(logging.WARNING)
    docs = [
        docs_format.parse_text(
            f"# Module acme/m{i}/1\nA model.\n\n<!-- format: saved_model_2 -->\n"
            + ("<!-- format: hub -->\n" if i == 0 else "")
            + "\n## Overview\n",
            path=tmp_path / f"{i}.md",
            rel_path=f"{i}.md",
        )
        for i in range(10)
    ]
    for _ in range(3):  # Three scans of the same ten docs.
        for doc in docs:
            served_doc.without_long_values(doc)
    said = [r.getMessage() for r in caplog.records if "serving the first" in r.getMessage()]
    assert len(said) == 1, said

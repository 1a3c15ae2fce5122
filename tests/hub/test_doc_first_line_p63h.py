"""A doc's first line as teams write it by hand: trailing blanks an editor does not show, and a
handle the hub's grammar refuses (an upper-case or non-ASCII publisher, a space in the model).

tfhub.dev's validator read the first line by a prefix match, so `# Module acme/emb/1 ` (a blank
after the handle) was a doc of acme/emb/1; tfhub matched the whole line, so such a doc was left
out of the hub (`tfhub serve` skipped it, `tfhub validate` failed it) with a message showing the
format the line already had. Metadata lines' trailing blanks were already ignored.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub.app import create_app
from tfhub.hub.doc_handles import parse_handle
from tfhub.hub.docs_format import parse_text
from tfhub.hub.settings import ServeSettings


def _parse(first_line: str):
    return parse_text(
        first_line + "\nA model.\n", path=Path("/hub/1.md"), rel_path="acme/models/emb/1.md"
    )


@pytest.mark.parametrize("blank", [" ", "\t", "  \t", " \r"])
def test_blanks_after_the_handle_are_ignored(blank: str) -> None:
    doc = _parse("# Module acme/emb/1" + blank)
    assert str(doc.handle) == "acme/emb/1" and doc.kind.value == "Module"
    assert str(_parse("# Publisher acme" + blank).handle) == "acme"


@pytest.mark.parametrize(
    "first_line",
    [
        "# Publisher ACME",
        "# Module müller/emb/1",
        "# Module acme/my emb/1",
        "# Module acme/emb",
        "# Collection acme/picks/v1",
    ],
)
def test_a_refused_handle_is_named_with_the_handle_grammar(first_line: str) -> None:
    """The message showed only the line's format, which these lines follow; it now says the
    handle after the kind is refused and what a handle is made of."""
    with pytest.raises(errors.DocFormatError) as caught:
        _parse(first_line)
    message = str(caught.value)
    _, kind, handle = first_line.split(" ", 2)
    assert "the first line must be" in message  # The message as before, then why.
    assert f"the handle {handle!r} after '# {kind}' is refused" in message
    assert "publisher: a-z, 0-9 and '-'" in message


def test_a_line_naming_no_kind_keeps_the_format_message_alone() -> None:
    with pytest.raises(errors.DocFormatError) as caught:
        _parse("# Modul acme/emb/1")
    assert "is refused" not in str(caught.value)


def test_a_doc_with_a_blank_after_its_handle_is_served_and_validates(tmp_path: Path, capsys):
    """End to end: `tfhub validate` passes the hub and the server lists and answers the model."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    doc.write_text(doc.read_text().replace("# Module acme/emb/1\n", "# Module acme/emb/1 \n", 1))
    publisher_doc = tmp_path / "assets" / "docs" / "acme" / "acme.md"
    publisher_doc.write_text(publisher_doc.read_text().replace("acme\n", "acme\t\n", 1))
    status, out, err = run_tfhub(capsys, "validate", str(tmp_path))
    assert (status, err) == (0, "") and out.startswith("OK:")
    app = create_app(ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0))
    code, body = asgi_request(app, "GET", b"/api/models/acme/emb")
    assert code == 200 and json.loads(body)["handle"] == "acme/emb"
    code, body = asgi_request(app, "GET", b"/api/publishers/acme")
    assert code == 200


def test_mirror_copies_a_served_publisher_doc_with_a_blank_after_its_name(tmp_path: Path):
    """`tfhub mirror` from a hub copies the version's publisher doc as served (the API's
    `doc_markdown`) only if its first line is `# Publisher <publisher>`: read exactly, a blank
    after the name (served, since the hub ignores it) made the mirror write a starter publisher
    doc in its place."""
    from tfhub.hub.mirror_source import SourceDoc, source_publisher_doc
    from tfhub.hub.runner import BackgroundServer

    write_publisher(tmp_path, "acme", "Acme")
    publisher_doc = tmp_path / "assets" / "docs" / "acme" / "acme.md"
    text = publisher_doc.read_text().replace("# Publisher acme\n", "# Publisher acme \n", 1)
    publisher_doc.write_text(text)
    write_model_doc(tmp_path, "acme/emb/1")
    settings = ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0)
    with BackgroundServer(settings) as server:
        base = server.url().rstrip("/")
        found = SourceDoc("# Module acme/emb/1\n", parse_handle("acme/emb/1"), base, base)
        copied = source_publisher_doc(found, f"{base}/acme/emb/1", max_bytes=1 << 20)
    assert copied == text


@pytest.mark.parametrize(
    ("codec", "name"),
    [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")],
)
def test_a_utf16_doc_is_told_to_be_converted_from_utf16_not_latin1(
    tmp_path: Path, capsys, codec: str, name: str
) -> None:
    """Windows PowerShell's `>` and Notepad's "Unicode" save UTF-16 with its byte-order mark.
    Such a doc was told to convert with `iconv -f latin1 -t utf-8`, which makes UTF-8 of the
    mark and of every NUL byte: a doc that still names no kind."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = tmp_path / "assets" / "docs" / "acme" / "acme.md"
    text = doc.read_text()
    data = text.encode(codec)  # utf-16 and utf-32 write this machine's byte-order mark.
    doc.write_bytes(codecs.BOM_UTF16_BE + data if codec == "utf-16-be" else data)
    status, out, err = run_tfhub(capsys, "validate", str(tmp_path))
    assert status == 1 and "1 problem(s)" in err
    assert "acme.md:1: not UTF-8 text:" in out
    assert f"the file is {name} text" in out and f"iconv -f {name} -t UTF-8" in out
    assert "latin1" not in out


def test_a_huge_first_line_is_shown_cut_not_whole() -> None:
    """A doc whose lines end with a lone CR (classic Mac) or a minified file named .md has one
    huge first line: the error showed it whole (3.7 MB of `tfhub validate` output, and a
    warning as large in the server's log at each scan)."""
    text = "# Module acme/emb/1\rA model.\r" + "<!-- task: text-embedding -->\r" * 3000
    with pytest.raises(errors.DocFormatError) as caught:
        parse_text(text, path=Path("/hub/1.md"), rel_path="acme/models/emb/1.md")
    message = str(caught.value)
    assert len(message) < 1000, len(message)
    assert "lone CR" in message and "'# Module acme/emb/1\\rA model." in message


def test_a_huge_line_among_the_metadata_is_shown_cut() -> None:
    text = "# Module acme/emb/1\nA model.\n\n<!-- task: text-embedding --> " + "x" * 100_000
    doc = parse_text(text, path=Path("/hub/1.md"), rel_path="acme/models/emb/1.md")
    assert [len(p.message) < 1000 for p in doc.problems] == [True]


def test_publish_doc_refusal_shows_a_huge_first_line_cut() -> None:
    """`tfhub publish --doc` refuses a doc not starting with `# Module <handle>` before loading
    the model; a CR-only doc's first line (all of it) was shown whole."""
    from tfhub.hub.publish_doc import check_first_line

    with pytest.raises(errors.DocValidationError) as caught:
        check_first_line("# Module acme/x/1\r" + "y" * 100_000, "d.md", parse_handle("acme/x/1"))
    assert len(str(caught.value)) < 1000


def test_a_huge_unsupported_metadata_key_is_shown_cut(tmp_path: Path, capsys) -> None:
    """`tfhub validate` printed an unsupported key whole (200 KB for a 200,000-character key)."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    key = "colour" + "c" * 200_000
    doc.write_text(doc.read_text().replace("\n## Overview", f"<!-- {key}: x -->\n\n## Overview"))
    status, out, _ = run_tfhub(capsys, "validate", str(tmp_path))
    assert status == 1 and "unsupported metadata 'colourccc" in out and len(out) < 2000


def test_a_metadata_key_written_with_capitals_is_told_to_be_lower_case(tmp_path: Path, capsys):
    """`<!-- License: mit -->` was only "unsupported metadata 'License'" beside a list that
    names 'license': the difference, one capital, was left to the reader to spot."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    doc.write_text(doc.read_text().replace("<!-- license:", "<!-- License:"))
    status, out, _ = run_tfhub(capsys, "validate", str(tmp_path))
    assert status == 1
    assert (
        "unsupported metadata 'License' for a Module doc: keys are lower case, write 'license'"
        in out
    )


def test_a_huge_refused_handle_is_shown_cut_lead63(tmp_path: Path) -> None:
    """Review of 6243ec40: the handle's own problem (not ASCII) showed the whole handle: 600,000
    characters for a first line '# Module acme/<300,000 e-acute>/1'."""
    from tfhub.hub import docs_format

    text = "# Module acme/" + "\u00e9" * 300_000 + "/1\nA model.\n"
    path = tmp_path / "1.md"
    doc = docs_format.parse_text(text, path=path, rel_path="1.md")
    assert doc.problems and all(len(problem.message) < 2_000 for problem in doc.problems)

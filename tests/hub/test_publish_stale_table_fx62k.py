"""A doc with CRLF line endings (Windows, git's autocrlf; docs_format accepts CRLF) given to
`publish --force --doc` gets its stale starter `## Signatures` table replaced, as an LF doc
does, and keeps its CRLF line endings.

Before, the table was looked for in the doc split on "\\n": its heading line was
"## Signatures\\r", never the starter's heading, so the stale table was kept with no warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests._helpers.stale_table import (
    DOC,
    HANDLE,
    publish_old_with_starter_doc,
    republish_with_edited_doc,
)

pytestmark = [pytest.mark.tf]


def _republish_crlf(models: dict[str, Path], tmp_path: Path) -> tuple[bytes, bytes]:
    """Publishes the old model with a starter doc, then the new one with `--force --doc` a
    CRLF copy of that doc; returns the bytes of (the doc given, the doc in the hub)."""

    def to_crlf(given: Path) -> None:
        given.write_bytes(given.read_bytes().replace(b"\n", b"\r\n"))

    given, kept = republish_with_edited_doc(models, tmp_path, to_crlf)
    return given.read_bytes(), kept.read_bytes()


def test_a_crlf_docs_stale_starter_table_is_replaced_keeping_crlf(
    stale_table_models: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        given, kept = _republish_crlf(stale_table_models, tmp_path)
    assert b"| serving_default | input | x | float32 | [?, 3] |\r\n" in given
    assert b"[?, 3]" not in kept
    assert b"| serving_default | input | x | float32 | [?, 5] |\r\n" in kept
    assert kept.replace(b"[?, 5]", b"[?, 3]") == given  # Nothing else changed, CRLF kept.
    assert b"\n" not in kept.replace(b"\r\n", b"")  # Every line ending is still CRLF.
    assert "'## Signatures' table" in caplog.text


def test_the_table_span_is_found_in_crlf_lines() -> None:
    from tfhub.hub import starter

    lf = "# Doc\n\n## Signatures\n\n" + "\n".join(starter._TABLE_HEADER) + "\n| a |\n\nEnd\n"
    assert starter.starter_table_span(lf.split("\n")) == (4, 7)
    assert starter.starter_table_span(lf.replace("\n", "\r\n").split("\n")) == (4, 7)


def test_a_failing_publish_does_not_say_it_replaced_the_table(
    stale_table_models: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The "replaced" warning came before the doc was validated and committed."""
    from tfhub import errors
    from tfhub.hub.publish import publish

    root, given = publish_old_with_starter_doc(stale_table_models, tmp_path)
    text = given.read_text()
    assert "<!-- format: saved_model_2 -->" in text
    given.write_text(text.replace("format: saved_model_2", "format: hub"))
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        with pytest.raises(errors.DocValidationError, match="'format' says 'hub'"):
            publish(stale_table_models["new"], root, HANDLE, doc=given, force=True)
    assert "replaced the starter's" not in caplog.text
    assert "[?, 3] |" in (root / DOC).read_text()  # The hub's doc is unchanged.


def test_a_kept_docs_stale_table_warning_gives_the_mirrors_reason(
    stale_table_models: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A doc kept (mirror's keep_existing_doc) is staged and committed as it is: the warning
    says why it is kept (a mirror keeps the source's doc), not that its file is not rewritten."""
    from tfhub.hub.doc_handles import parse_handle
    from tfhub.hub.publish import install, publish
    from tfhub.hub.starter import StarterInfo

    root = tmp_path / "root"
    publish(stale_table_models["old"], root, HANDLE, info=StarterInfo(task="text-embedding"))
    before = (root / DOC).read_bytes()
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        install(
            stale_table_models["new"],
            root,
            parse_handle(HANDLE),
            doc_text=None,
            info=StarterInfo(),
            force=True,
            keep_existing_doc=True,
            command="mirror",
        )
    assert (root / DOC).read_bytes() == before
    assert "it is kept as written (a mirror keeps the source's doc as published)" in caplog.text
    assert "replaced the starter's" not in caplog.text

"""A doc kept across a re-publish no longer keeps the starter's `## Signatures` table of the
OLD model silently.

`tfhub publish NEW_MODEL ROOT --handle H --force --doc ROOT/.../H.md` kept the doc's table that
the starter wrote for the model the version held before, stale beside the page's table (built
from the new signatures file). Now the starter's table, unchanged since it was written, is
replaced by the new model's (with a warning); a table the user edited, or one written for
another model, is kept as written with a warning naming its line; other docs are untouched.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests._helpers.stale_table import HANDLE, republish_with_edited_doc

pytestmark = [pytest.mark.tf]


def _republish(models: dict[str, Path], tmp_path: Path, edit: object = None) -> tuple[str, str]:
    """Publishes the old model with a starter doc, then the new one with `--force --doc` a copy
    of that doc (passed through `edit`); returns (the doc given, the doc in the hub)."""

    def edit_text(given: Path) -> None:
        if callable(edit):
            given.write_text(edit(given.read_text()))

    given, kept = republish_with_edited_doc(models, tmp_path, edit_text)
    return given.read_text(), kept.read_text()


def test_the_starters_unchanged_table_is_replaced_by_the_new_models(
    stale_table_models: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        given, kept = _republish(stale_table_models, tmp_path)
    assert "| serving_default | input | x | float32 | [?, 3] |" in given
    assert "[?, 3]" not in kept
    assert "[?, 5] |" in kept
    assert kept.replace("[?, 5]", "[?, 3]") == given  # Nothing else changed.
    assert "replaced the starter's '## Signatures' table" in caplog.text


def test_an_edited_table_is_kept_with_a_warning_naming_its_line(
    stale_table_models: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def edit(text: str) -> str:
        return text.replace("| float32 | [?, 3] |", "| float32 | [?, 3] (a vector) |", 1)

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        given, kept = _republish(stale_table_models, tmp_path, edit)
    assert kept == given  # The user's text is never rewritten.
    line = given.splitlines().index("## Signatures") + 1
    assert f"1.md:{line}: the '## Signatures' table of {HANDLE} does not match" in caplog.text


def test_a_doc_without_the_starters_table_is_kept_without_warning(
    stale_table_models: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def edit(text: str) -> str:
        return text.split("## Signatures")[0] + "## Notes\n\nHand-written.\n"

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        given, kept = _republish(stale_table_models, tmp_path, edit)
    assert kept == given
    assert "Signatures' table" not in caplog.text


def test_a_table_matching_the_new_model_is_kept_without_warning(
    stale_table_models: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def edit(text: str) -> str:
        return text.replace("[?, 3]", "[?, 5]")

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        given, kept = _republish(stale_table_models, tmp_path, edit)
    assert kept == given
    assert "Signatures' table" not in caplog.text

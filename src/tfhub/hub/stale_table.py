"""A doc's starter `## Signatures` table against the model a publish installs: the table
`starter` wrote for the version's previous model, unchanged since, is replaced by the new
model's (a warning says so); any other starter-shaped table that differs is kept as written,
with a warning naming its line as stale. The model page's own table is built from the
signature summary, so a stale table in the body contradicted it."""

from __future__ import annotations

import logging
from pathlib import Path

from .. import errors
from . import signatures, starter
from .doc_handles import DocHandle

logger = logging.getLogger(__name__)


def with_current_table(
    text: str,
    *,
    shown: str,
    handle: DocHandle,
    summary: signatures.SignatureSummary,
    previous: Path | None,
    rewrite: bool,
) -> str:
    """The doc `text` with its starter `## Signatures` table (`starter.starter_table_span`)
    matching the model published now, `summary` (what its page's table shows).

    A table that is the starter's own text for the version's previous summary (`previous`,
    its `signatures.json`; None or unreadable: unknown), unchanged by the user, is replaced by
    the new one when `rewrite` (a doc given to publish), with a warning saying so. Any other
    starter-shaped table that differs from the new one (edited, or written for another
    model) is kept, never rewritten: a warning names its line in `shown` as stale.
    """
    lines = text.split("\n")
    span = starter.starter_table_span(lines)
    if span is None:
        return text
    table = [line.removesuffix("\r") for line in lines[span[0] : span[1]]]
    current = starter.signature_table(summary)
    if table == current:
        return text
    where = f"{shown}:{span[0] - 1}"  # The heading's line number (1-based).
    if rewrite and table == _previous_table(previous):
        logger.warning(
            "%s: replaced the starter's '## Signatures' table of %s, unchanged since it was "
            "written for the model this version held before, with the table of the model "
            "published now (its page shows the same)",
            where,
            handle,
        )
        ending = "\r" if lines[span[0]].endswith("\r") else ""  # The doc's own (CRLF).
        new_table = [line + ending for line in current]
        if not lines[span[1] - 1].endswith("\r"):  # The doc's last line, without an ending.
            new_table[-1] = current[-1]
        return "\n".join([*lines[: span[0]], *new_table, *lines[span[1] :]])
    logger.warning(
        "%s: the '## Signatures' table of %s does not match the model published now (its page "
        "shows the signatures of %s itself): it is kept as written; update it, or remove it "
        "(the page has the table)",
        where,
        handle,
        handle,
    )
    return text


def _previous_table(previous: Path | None) -> list[str] | None:
    """The starter's table of the summary in `previous` (None: none, or unreadable)."""
    if previous is None or not previous.is_file():
        return None
    try:
        return starter.signature_table(signatures.read_summary(previous))
    except errors.SignatureSummaryError:
        return None

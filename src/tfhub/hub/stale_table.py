"""A doc's starter `## Signatures` table against the model a publish installs: the table
`starter` wrote for the version's previous model, unchanged since, is replaced by the new
model's (a warning says so once the publish committed); any other starter-shaped table that
differs is kept as written, with a warning naming its line as stale. The model page's own
table is built from the signature summary, so a stale table in the body contradicted it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

from .. import errors
from . import signatures, starter
from .doc_handles import DocHandle

logger = logging.getLogger(__name__)


class DocText(NamedTuple):
    """A doc's text as published (`text`) and, if its starter table was replaced, where that
    table is (`replaced_at`, `FILE:LINE` of its heading; None: not replaced)."""

    text: str
    replaced_at: str | None = None


def with_current_table(
    text: str,
    *,
    shown: str,
    handle: DocHandle,
    summary: signatures.SignatureSummary,
    previous: Path | None,
    rewrite: bool,
) -> DocText:
    """The doc `text` with its starter `## Signatures` table (`starter.starter_table_span`)
    matching the model published now, `summary` (what its page's table shows).

    A table that is the starter's own text for the version's previous summary (`previous`,
    its `signatures.json`; None or unreadable: unknown), unchanged by the user, is replaced by
    the new one when `rewrite` (a doc given to publish): `replaced_at` says where, for
    `warn_replaced` once the publish committed. Any other starter-shaped table that differs
    from the new one (edited, or written for another model), or any such table of a doc kept
    (not `rewrite`: a mirror keeps the source's doc as published), is kept, never rewritten: a
    warning names its line in `shown` as stale. Line endings stay the doc's own (CRLF too).
    """
    lines = text.split("\n")
    span = starter.starter_table_span(lines)
    if span is None:
        return DocText(text)
    table = [line.removesuffix("\r") for line in lines[span[0] : span[1]]]
    current = starter.signature_table(summary)
    if table == current:
        return DocText(text)
    where = f"{shown}:{span[0] - 1}"  # The heading's line number (1-based).
    if rewrite and table == _previous_table(previous):
        return DocText(_replaced(lines, span, current), replaced_at=where)
    logger.warning(
        "%s: the '## Signatures' table of %s does not match the model published now (its page "
        "shows the signatures of %s itself): it is kept as written%s; update it, or remove it "
        "(the page has the table)",
        where,
        handle,
        handle,
        "" if rewrite else " (a mirror keeps the source's doc as published)",
    )
    return DocText(text)


def warn_replaced(doc: DocText, handle: DocHandle) -> None:
    """Warns that the starter table of `doc` was replaced (if it was), once it is published."""
    if doc.replaced_at is None:
        return
    logger.warning(
        "%s: replaced the starter's '## Signatures' table of %s, unchanged since it was "
        "written for the model this version held before, with the table of the model "
        "published now (its page shows the same)",
        doc.replaced_at,
        handle,
    )


def _replaced(lines: list[str], span: tuple[int, int], current: list[str]) -> str:
    """The doc's `lines` (split on "\\n") with those in `span` replaced by `current`, written
    with the table's own line ending (a trailing "\\r" for CRLF)."""
    ending = "\r" if lines[span[0]].endswith("\r") else ""
    new_table = [line + ending for line in current]
    if not lines[span[1] - 1].endswith("\r"):  # The doc's last line, without an ending.
        new_table[-1] = current[-1]
    return "\n".join([*lines[: span[0]], *new_table, *lines[span[1] :]])


def _previous_table(previous: Path | None) -> list[str] | None:
    """The starter's table of the summary in `previous` (None: none, or unreadable)."""
    if previous is None or not previous.is_file():
        return None
    try:
        return starter.signature_table(signatures.read_summary(previous))
    except errors.SignatureSummaryError:
        return None

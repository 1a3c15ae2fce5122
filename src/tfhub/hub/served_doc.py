"""A parsed doc as `tfhub serve` shows it: the metadata lines it leaves out (values or keys too
long, repeated single-valued keys, several asset-paths) and the warnings that say so, once per
doc content. `docs_format.list_docs` and `settled` serve docs through `without_long_values`.
Pure Python: no TensorFlow.
"""

from __future__ import annotations

import dataclasses
import logging
import os

from ..utils.printable import short_repr
from ..utils.warn_once import WarnedOnce
from .doc_file import (
    ASSET_PATH,
    MAX_KEY_CHARS,
    MAX_VALUE_CHARS,
    DocFile,
    repeated_asset_path,
    repeated_values,
)

logger = logging.getLogger(__name__)

# The docs the server warned about, by path and content (`without_long_values`): a rescan reads
# every doc again, and says again only what an edit changed (the oldest forgotten first).
_WARNED: WarnedOnce[tuple[str, int]] = WarnedOnce()


def without_long_values(doc: DocFile) -> DocFile:
    """The doc as the server shows it (`list_docs`, and `settled` for a doc a killed publish
    moved aside), each change said in a warning naming the doc and the line, once per doc
    content (`_WARNED`: a rescan of an unchanged doc says nothing again):

    - its metadata read only up to an unexpected line (`DocFile.metadata_cut`, as tfhub.dev's
      validator stopped there): said, nothing changed;
    - without any `asset-path` if it gives two or more (`doc_file.repeated_asset_path`);
    - a single-valued key given again (`doc_file.repeated_values`): its first line served;
    - without its metadata whose value is longer than `MAX_VALUE_CHARS`, or whose key is longer
      than `MAX_KEY_CHARS` (a hand-written doc `tfhub validate` never checked: pages, the JSON
      API and search facets would show it whole).
    """
    # Only a doc with something to say takes a place in the bounded memory: with every doc
    # remembered, a hub of more docs than it holds said it all again at each rescan.
    warn = _has_news(doc) and _WARNED.first_time((os.fspath(doc.path), hash(doc)))
    if warn and doc.metadata_cut is not None:
        logger.warning(
            "%s:%d: the metadata lines from here to the first heading are not read (not "
            "served; `tfhub validate` reports it): %s",
            doc.metadata_cut.path,
            doc.metadata_cut.line,
            doc.metadata_cut.message,
        )
    doc = _without_repeated_asset_path(doc, warn=warn)
    left_out: set[int] = set()
    for index, problem in repeated_values(doc):
        left_out.add(index)
        if warn:
            logger.warning("%s; serving the first, leaving this line out", problem)
    left_out |= _too_long_lines(doc, left_out, warn=warn)
    if not left_out:
        return doc
    kept = tuple(entry for index, entry in enumerate(doc.entries) if index not in left_out)
    return dataclasses.replace(doc, entries=kept)


def _has_news(doc: DocFile) -> bool:
    """Whether `without_long_values` has anything to say of `doc` (cheap: its metadata lines)."""
    return (
        doc.metadata_cut is not None
        or repeated_asset_path(doc) is not None
        or bool(repeated_values(doc))
        or any(_too_long(key, value.value) for key, value in doc.entries)
    )


def _too_long_lines(doc: DocFile, skipped: set[int], *, warn: bool) -> set[int]:
    """The indexes in `doc.entries` of the metadata lines whose value or key is too long to
    serve (`_too_long`), each named in a warning if `warn` (but those in `skipped`, left out
    already)."""
    found: set[int] = set()
    for index, (key, value) in enumerate(doc.entries):
        why = _too_long(key, value.value)
        if not why or index in skipped:
            continue
        found.add(index)
        if warn:
            logger.warning(
                "%s:%d: leaving out the metadata %s (not served): %s",
                doc.display_path,
                value.line,
                short_repr(key),
                why,
            )
    return found


def _too_long(key: str, value: str) -> str:
    """Why the server leaves out a metadata line (its value or key too long), "" if not."""
    if len(value) > MAX_VALUE_CHARS:
        return (
            f"its value is {len(value):,} characters long, more than the {MAX_VALUE_CHARS:,} "
            "a value may have (`tfhub validate` reports it); give an id or a URL"
        )
    if len(key) > MAX_KEY_CHARS:
        return (
            f"its key is {len(key):,} characters long, more than the {MAX_KEY_CHARS:,} a key "
            "may have (`tfhub validate` reports it as unsupported)"
        )
    return ""


def _without_repeated_asset_path(doc: DocFile, *, warn: bool) -> DocFile:
    """`doc` without its asset-path lines if it has two or more, which no reader picks from
    (`doc_file.repeated_asset_path`), with a warning naming them (if `warn`)."""
    problem = repeated_asset_path(doc)
    if problem is None:
        return doc
    if warn:
        logger.warning("%s; leaving them all out (not served)", problem)
    kept = tuple(entry for entry in doc.entries if entry[0] != ASSET_PATH)
    return dataclasses.replace(doc, entries=kept)

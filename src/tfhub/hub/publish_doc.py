"""The doc `tfhub publish` writes beside a model version: read, and validated as it will be
served (a given doc's problems name its own file; a wrong first line is refused before the
model is loaded); and the publisher doc a publisher's first model gets."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .. import errors
from . import doc_rules, docs_layout, docs_text, signatures, starter, tags
from . import docs_format as fmt
from .doc_handles import DocHandle
from .docs_format import DocKind, Problem

logger = logging.getLogger(__name__)


def read_doc(doc: str | os.PathLike[str]) -> str:
    """Returns the text of the doc file given to `publish`.

    Raises:
        tfhub.errors.DocFormatError: it cannot be read, or is not UTF-8 (naming the offset).
    """
    try:
        # DocFormatError if not UTF-8, naming the byte offset.
        return docs_text.read_doc_text(doc, then="then publish again (nothing was published)")
    except OSError as err:
        raise errors.DocFormatError(
            f"Cannot read the doc {os.fspath(doc)} as UTF-8 text: {err}",
            path=os.fspath(doc),
            line=0,
        ) from err


def check_first_line(text: str, shown: str, handle: DocHandle) -> None:
    """Refuses a given doc whose first line is not `# Module <handle>` before the model is
    loaded (which may take minutes), naming the doc's own file.

    Raises:
        DocValidationError: with that one problem.
    """
    first = text.split("\n", 1)[0]
    try:
        found = fmt.parse_first_line(first)
    except errors.InvalidHandleError:
        found = None
    if found == (DocKind.MODULE, handle):
        return
    problem = str(
        Problem(shown, 1, f"the doc must start with '# Module {handle}'. Received: {first!r}")
    )
    raise errors.DocValidationError(
        f"The doc of {handle} has 1 problem(s):\n{problem}", problems=[problem]
    )


def check_asset_path(text: str, shown: str, handle: DocHandle) -> None:
    """Refuses a given doc whose local asset-path is not `<version>.tar.gz`, the archive publish
    writes beside it, before the model is loaded (it was found after the load, and said to
    publish the model). A URL, `legacy`, a doc that does not parse: left to `check_doc`.

    Raises:
        DocValidationError: with that one problem.
    """
    rel = f"{handle.publisher}/models/{handle.model}/{handle.version}.md"
    try:
        doc = fmt.parse_text(text, path=Path(shown), rel_path=rel, display_path=shown)
    except errors.DocFormatError:
        return
    values = doc.metadata.get(doc_rules.ASSET_PATH, [])
    asset = values[0].value if values else "legacy"
    parts = fmt.url_parts(asset)
    expected = docs_layout.archive_path(Path(f"{handle.version}.md")).name
    if asset == "legacy" or parts is None or parts.scheme or os.path.normpath(asset) == expected:
        return
    problem = str(
        Problem(
            shown,
            values[0].line,
            f"'asset-path' must be '{expected}', the archive `tfhub publish` writes beside the "
            f"doc (or a URL of the model). Received: {asset!r}",
        )
    )
    raise errors.DocValidationError(
        f"The doc of {handle} has 1 problem(s):\n{problem}", problems=[problem]
    )


def check_doc(
    staged: Path,
    root: str | os.PathLike[str],
    target: Path,
    handle: DocHandle,
    summary: signatures.SignatureSummary,
    *,
    shown: str | None = None,
) -> None:
    """Validates the staged doc as if it were at `target` (its archive is staged beside it);
    its problems name `shown` (default: `target`, relative to the hub folder)."""
    rel = target.relative_to(docs_layout.docs_dir(root)).as_posix()
    shown = shown or f"{docs_layout.DOCS_DIR_POSIX}/{rel}"
    try:
        doc = fmt.parse_text(
            staged.read_text(encoding="utf-8"), path=staged, rel_path=rel, display_path=shown
        )
    except errors.DocFormatError as err:
        raise errors.DocValidationError(str(err), problems=[str(err)]) from err
    problems = doc_rules.validate_doc(doc, tag_values=tags.load_tag_definitions(root))
    if doc.kind is not DocKind.MODULE or doc.handle != handle:
        problems.insert(0, Problem(shown, 1, f"the doc must start with '# Module {handle}'"))
    declared = doc.metadata.get(doc_rules.FORMAT, [])
    if declared and declared[0].value != summary.doc_format:
        problems.append(
            Problem(
                shown,
                declared[0].line,
                f"'format' says {declared[0].value!r} but the "
                f"model is a {summary.format}: use '{summary.doc_format}'",
            )
        )
    if problems:
        lines = [str(problem) for problem in problems]
        raise errors.DocValidationError(
            f"The doc of {handle} has {len(lines)} problem(s):\n" + "\n".join(lines),
            problems=lines,
        )


def publisher_doc_text(text: str | None, root: str | os.PathLike[str], handle: DocHandle) -> str:
    """The publisher doc a publisher's first model gets: `text` (mirror: the source hub's doc
    of that publisher) if it is a valid `# Publisher <publisher>` doc, else a starter doc (with
    a warning naming the problems of `text`: publish never leaves a hub that fails validate)."""
    publisher = handle.publisher
    starter_text = starter.starter_publisher_doc(publisher)
    if text is None:
        return starter_text
    path = fmt.doc_path(root, handle, DocKind.PUBLISHER)
    rel = path.relative_to(docs_layout.docs_dir(root)).as_posix()
    try:
        doc = fmt.parse_text(text, path=path, rel_path=rel)
        problems = [str(p) for p in doc_rules.validate_doc(doc, tag_values=None)]
        if doc.kind is not DocKind.PUBLISHER or doc.handle.publisher != publisher:
            problems.insert(0, f"{rel}:1: the doc must start with '# Publisher {publisher}'")
    except errors.DocFormatError as err:
        problems = [str(err)]
    if not problems:
        return text.replace("\r\n", "\n")
    logger.warning(
        "The source's doc of the publisher %s is not written (%s): writing a starter publisher "
        "doc instead; edit it.",
        publisher,
        "; ".join(problems),
    )
    return starter_text

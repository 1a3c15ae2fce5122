"""tfhub.dev's publishing format: parse documentation files and lay out a hub folder (ROOT).

A hub folder keeps tfhub.dev's layout (the tensorflow/tfhub.dev repository)::

    ROOT/assets/docs/<publisher>/<publisher>.md                        # Publisher
    ROOT/assets/docs/<publisher>/models/<model path>/<version>.md      # Module, Placeholder
    ROOT/assets/docs/<publisher>/collections/<name>/<version>.md       # Collection
    ROOT/assets/docs/<publisher>/models/<model path>/lite/<v>.md   # Lite, Tfjs, Coral: anywhere
    ROOT/assets/docs/<publisher>/models/<model path>/<v>/default/tfjs/<v>.md  # under the publisher

and tfhub adds the model files BESIDE a Module doc ``.../<version>.md``: ``<version>.tar.gz`` (an
archive) or a folder ``<version>/`` (a model), and the signature summary
``<version>.signatures.json``. The model path may contain ``/``
(``google/imagenet/mobilenet_v2_100_224/feature_vector/5``).

A documentation file starts with ``# <Kind> <handle>``, a short description, then metadata lines
``<!-- key: value -->`` and the Markdown body from the first heading on. Parsing is lenient: only a
first line that names no kind raises; other departures from the format are kept in
``DocFile.problems`` (with their line) for the validator, and the rest of the file is still read.
The parsed doc's types (`DocFile`, `DocKind`, `MetadataValue`, `Problem`) and the bounds of a
description and a value live in `doc_file`, and are importable from here as before.
Pure Python: no TensorFlow.
"""

from __future__ import annotations

import logging
import os
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from .. import errors
from ..utils.printable import short_repr
from .doc_file import MAX_DESCRIPTION_CHARS as MAX_DESCRIPTION_CHARS  # Re-exported: as before.
from .doc_file import MAX_VALUE_CHARS as MAX_VALUE_CHARS
from .doc_file import DocFile as DocFile
from .doc_file import DocKind as DocKind
from .doc_file import MetadataValue as MetadataValue
from .doc_file import Problem as Problem
from .doc_handles import (
    COLLECTION_PATTERN,
    HANDLE_GRAMMAR,
    MODEL_PATTERN,
    PART_RULE,
    PUBLISHER_PATTERN,
    VERSION_PATTERN,
    DocHandle,
    handle_problem,
    unsafe_part,
    version_number,
)
from .docs_layout import archive_path as archive_path  # Documented here (docs/hub.md).
from .docs_layout import docs_dir, find_doc_files, inside_docs, relative_paths
from .docs_layout import signatures_path as signatures_path  # Documented here (docs/hub.md).
from .docs_text import read_doc_text
from .served_doc import without_long_values

logger = logging.getLogger(__name__)

_METADATA_LINE = re.compile(r"^<!--(?P<key>[\w\s-]+):(?P<value>.+)-->$")
_ICON_LINE_PREFIX = "[![Icon URL]]"
# tfhub.dev's Colab and Demo buttons, which its validator let stand among the metadata lines.
_BUTTON_LINE_PREFIXES = ("[![Open Colab notebook]]", "[![Open Demo]]")


def _first_line_pattern(kind: DocKind) -> re.Pattern[str]:
    if kind is DocKind.PUBLISHER:
        return re.compile(rf"# Publisher (?P<publisher>{PUBLISHER_PATTERN})")
    name = COLLECTION_PATTERN if kind is DocKind.COLLECTION else MODEL_PATTERN
    return re.compile(
        rf"# {kind.value} (?P<publisher>{PUBLISHER_PATTERN})/(?P<model>{name})/"
        rf"(?P<version>{VERSION_PATTERN})"
    )


_FIRST_LINE = {kind: _first_line_pattern(kind) for kind in DocKind}


def url_parts(value: str) -> urllib.parse.SplitResult | None:
    """A metadata value (asset-path, colab, demo) split as a URL; None if it cannot be (an
    unclosed IPv6 host `http://[::1`, a NUL character): people write these values by hand."""
    if "\0" in value:
        return None
    try:
        return urllib.parse.urlsplit(value)
    except ValueError:
        return None


def doc_path(
    root: str | os.PathLike[str], handle: DocHandle, kind: DocKind = DocKind.MODULE
) -> Path:
    """Where the doc of a handle lives (Module/Placeholder, Collection, Publisher).

    Args:
        root: the hub folder.
        handle: the handle (for a Publisher, only `publisher` is used).
        kind: the doc kind; Lite, Tfjs and Coral have no fixed place and raise ValueError.

    Returns:
        The path, e.g. ROOT/assets/docs/google/models/imagenet/x/5.md for google/imagenet/x/5.
    """
    base = docs_dir(root) / handle.publisher
    if kind is DocKind.PUBLISHER:
        path = base / f"{handle.publisher}.md"
    elif kind in (DocKind.MODULE, DocKind.PLACEHOLDER):
        path = base / "models" / handle.model / f"{handle.version}.md"
    elif kind is DocKind.COLLECTION:
        path = base / "collections" / handle.model / f"{handle.version}.md"
    else:
        raise ValueError(
            f"{kind.value} docs have no fixed path in tfhub.dev's layout. Received: {kind=}"
        )
    return inside_docs(docs_dir(root), path, handle)


def parse_first_line(line: str) -> tuple[DocKind, DocHandle] | None:
    """The kind and handle of a first line like `# Module google/x/1`, or None.

    Args:
        line: the doc's first line.

    Returns:
        (kind, handle), or None if the line names no kind.

    Raises:
        InvalidHandleError: if the version is too long (see `version_number`).
    """
    # Blanks after the handle are none of it (an editor does not show them): tfhub.dev's
    # validator matched the line's start only, and metadata lines' trailing blanks are ignored.
    line = line.replace("&zwnj;", "").rstrip()
    for kind, pattern in _FIRST_LINE.items():
        match = pattern.fullmatch(line)
        if match:
            groups = match.groupdict()
            version = version_number(groups["version"]) if "version" in groups else None
            return kind, DocHandle(groups["publisher"], groups.get("model") or "", version)
    return None


def parse_text(text: str, *, path: Path, rel_path: str, display_path: str = "") -> DocFile:
    """Parses the text of a documentation file (see `parse_doc`).

    Args:
        text: the file's text.
        path: where the file is (or will be).
        rel_path: its path relative to ROOT/assets/docs.
        display_path: how problems name the file (default: `rel_path`).

    Returns:
        The parsed doc.

    Raises:
        DocFormatError: if the first line names no kind, or a version too long to be one.
    """
    shown = display_path or rel_path
    lines = text.replace("\r\n", "\n").split("\n")
    kind, handle = _first_line(lines[0], shown, path)
    problems: list[Problem] = []
    refused = handle_problem(handle)  # Not ASCII, or a reserved publisher.
    if refused is not None:
        problems.append(Problem(shown, 1, f"the handle {short_repr(str(handle))} {refused}"))
    description, description_line, index = _read_description(lines, shown, problems)
    entries, index, cut = _read_metadata(lines, index, shown, problems)
    body = "\n".join(lines[index:]).strip("\n")
    return DocFile(
        kind=kind,
        handle=handle,
        description=description,
        entries=tuple(entries),
        body=body,
        body_line=index + 1 if body else 0,
        path=path,
        rel_path=rel_path,
        display_path=shown,
        problems=tuple(problems),
        description_line=description_line,
        metadata_cut=cut,
    )


def _why_refused(line: str) -> str:
    """Why a first line is refused, where it can be told ("" if not): a file whose lines end
    with a lone CR (its first line is the whole file), or a line naming a kind
    (`# Publisher ACME`) whose handle does not follow the grammar."""
    if "\r" in line:
        return (
            "; the file's lines end with a lone CR (classic Mac OS line ends), so its first "
            "line is all of it: save it with LF (or CRLF) line ends"
        )
    for kind in DocKind:
        prefix = f"# {kind.value} "
        if line.startswith(prefix):
            handle = short_repr(line[len(prefix) :].strip())
            return f"; the handle {handle} after '# {kind.value}' is refused ({HANDLE_GRAMMAR})"
    return ""


def _first_line(line: str, shown: str, path: Path) -> tuple[DocKind, DocHandle]:
    """The kind and handle the first line `line` of the doc `shown` (at `path`) names.

    Raises:
        DocFormatError: if it names no kind, a handle that is refused (a version too long to be
            one), or a handle with a part that is no safe path part.
    """
    try:
        first = parse_first_line(line)
    except errors.InvalidHandleError as err:
        raise errors.DocFormatError(
            f"{shown}:1: the handle on the first line is refused: {err}", path=str(path), line=1
        ) from err
    if first is None:
        raise errors.DocFormatError(
            f"{shown}:1: the first line must be '# <Kind> publisher/model/version' with Kind "
            "one of Module, Placeholder, Lite, Tfjs, Coral, Collection (or '# Publisher "
            "<publisher>'), e.g. '# Module google/text-embedding/1'. Received: "
            + short_repr(line)
            + _why_refused(line),
            path=str(path),
            line=1,
        )
    kind, handle = first
    unsafe = unsafe_part(handle)
    if unsafe is not None:
        raise errors.DocFormatError(
            f"{shown}:1: the handle {short_repr(str(handle))} on the first line has the part "
            f"{short_repr(unsafe)}: {PART_RULE}; rename that part. Received: " + short_repr(line),
            path=str(path),
            line=1,
        )
    return kind, handle


def _read_description(
    lines: list[str], rel_path: str, problems: list[Problem]
) -> tuple[str, int, int]:
    """The description after the first line (one empty line may precede it), its 1-based first
    line (0 if there is none) and the index of the line after it."""
    index = 1
    if index < len(lines) and not lines[index].strip():
        index += 1
    start = index
    found: list[str] = []
    while index < len(lines) and lines[index].strip() and not lines[index].startswith("<!--"):
        found.append(lines[index].strip())
        index += 1
    if not found:
        problems.append(
            Problem(
                rel_path,
                start + 1 if start < len(lines) else len(lines),
                "the second line must be a short description, e.g. 'Word2vec text embedding.'",
            )
        )
    return " ".join(found), start + 1 if found else 0, index


def _read_metadata(
    lines: list[str], index: int, rel_path: str, problems: list[Problem]
) -> tuple[list[tuple[str, MetadataValue]], int, Problem | None]:
    """Metadata lines up to the first heading; returns them, where the body starts (at the
    first heading, or at tfhub.dev's first Colab or Demo button line among the metadata, so
    the page shows the button; the metadata lines after it are comments, never shown) and the
    problem of the unexpected line that stopped the reading if a metadata line is left unread
    by it (None: none is).

    The reading stops at an unexpected line, as tfhub.dev's validator did (it refused the
    doc there): the lines after it are the body, none read as metadata."""
    entries: list[tuple[str, MetadataValue]] = []
    first_button: int | None = None
    cut: Problem | None = None
    while index < len(lines) and not lines[index].startswith("#"):
        line = lines[index].rstrip()
        match = _METADATA_LINE.match(line)
        if match:
            value = MetadataValue(match["value"].strip(), index + 1)
            entries.append((match["key"].strip(), value))
        elif line.startswith(_BUTTON_LINE_PREFIXES):
            first_button = index if first_button is None else first_button
        elif line and not line.startswith(_ICON_LINE_PREFIX):
            problem = Problem(rel_path, index + 1, _unexpected(line))
            problems.append(problem)
            cut = problem if _hides_metadata(lines, index) else None
            break
        index += 1
    return entries, index if first_button is None else first_button, cut


def _hides_metadata(lines: list[str], index: int) -> bool:
    """True if a metadata line, indented or not, is among the lines from `index` (where the
    reading stopped) to the first heading: the doc's metadata is then read only partly."""
    for line in lines[index:]:
        if line.startswith("#"):
            return False
        if _METADATA_LINE.match(line.strip()):
            return True
    return False


def _unexpected(line: str) -> str:
    """The problem of an unexpected line among the metadata lines (how to fix an indented
    metadata line: tfhub.dev's validator read one only from the line's start)."""
    indented = "; a metadata line begins at its line's start: remove the blanks before '<!--'"
    return (
        "unexpected line between the description and the first heading (only "
        "'<!-- key: value -->' metadata and empty lines go there"
        + (indented if _METADATA_LINE.match(line.strip()) else "")
        + "). Received: "
        + short_repr(line)
    )


def parse_doc(
    path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None
) -> DocFile:
    """Reads and parses one documentation file.

    Args:
        path: the Markdown file.
        root: the hub folder; `rel_path` is then relative to ROOT/assets/docs (else: the name).

    Returns:
        The parsed doc; format problems other than the first line are in `.problems`.

    Raises:
        DocFormatError: if the file cannot be read, is not UTF-8 (the error names the line and
            the byte offset) or its first line names no kind.
    """
    file = Path(path).absolute()
    rel_path, shown = relative_paths(file, root)
    try:
        text = read_doc_text(file, shown=shown)
    except OSError as err:
        raise errors.DocFormatError(
            f"{shown}:0: cannot read the documentation file: {err}",
            path=str(file),
            line=0,
        ) from err
    return parse_text(text, path=file, rel_path=rel_path, display_path=shown)


def list_docs(
    root: str | os.PathLike[str],
    *,
    on_unreadable: Callable[[Path, errors.DocFormatError], None] | None = None,
) -> list[DocFile]:
    """Every parseable documentation file of a hub folder, sorted by path.

    Files whose first line names no kind are skipped, with a warning unless `on_unreadable`
    is given (`tfhub validate` reports them); other format problems are kept in each doc's
    `.problems`. A metadata value longer than `MAX_VALUE_CHARS` (a doc written by hand, never
    validated) is left out, with a warning naming the doc, its line and key: pages, the JSON API
    and search facets would show it whole.

    Args:
        root: the hub folder.
        on_unreadable: called with each skipped file and its error instead of the warning.

    Returns:
        The parsed docs.
    """
    docs: list[DocFile] = []
    for file in find_doc_files(root):
        try:
            docs.append(without_long_values(parse_doc(file, root=root)))
        except errors.DocFormatError as err:
            if on_unreadable is None:
                logger.warning("Skipping a doc (not served): %s", err)
            else:
                on_unreadable(file, err)
    return docs

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
Pure Python: no TensorFlow.
"""

from __future__ import annotations

import codecs
import enum
import logging
import os
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import errors
from .doc_handles import (
    COLLECTION_PATTERN,
    MODEL_PATTERN,
    PART_RULE,
    PUBLISHER_PATTERN,
    VERSION_PATTERN,
    DocHandle,
    handle_problem,
    unsafe_part,
    version_number,
)

logger = logging.getLogger(__name__)

DOCS_DIR = os.path.join("assets", "docs")
DOCS_DIR_POSIX = "assets/docs"
ARCHIVE_SUFFIX = ".tar.gz"
SIGNATURES_SUFFIX = ".signatures.json"
# Files that make a folder a model (its .md files are model assets, not docs).
MODEL_MARKERS = ("saved_model.pb", "saved_model.pbtxt", "tfhub_module.pb")

_METADATA_LINE = re.compile(r"^<!--(?P<key>[\w\s-]+):(?P<value>.+)-->$")
_ICON_LINE_PREFIX = "[![Icon URL]]"


class DocKind(enum.Enum):
    """The kind a documentation file declares on its first line (`# Module ...`)."""

    MODULE = "Module"
    PLACEHOLDER = "Placeholder"
    LITE = "Lite"
    TFJS = "Tfjs"
    CORAL = "Coral"
    PUBLISHER = "Publisher"
    COLLECTION = "Collection"

    @property
    def has_version(self) -> bool:
        """True for every kind but Publisher (whose handle is just the publisher)."""
        return self is not DocKind.PUBLISHER


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


@dataclass(frozen=True)
class MetadataValue:
    """One `<!-- key: value -->` line: its value (stripped) and 1-based line number."""

    value: str
    line: int


@dataclass(frozen=True)
class Problem:
    """A departure from the format: `file:line: message` (line 0: the file as a whole).

    `path` is the file as shown to people: relative to ROOT when the doc was read from a hub
    folder (`assets/docs/google/google.md`), else as given.
    """

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class DocFile:
    """A parsed documentation file.

    Attributes:
        kind: what the first line declares.
        handle: the handle on the first line.
        description: the short description after the first line, joined into one line.
        entries: every metadata line as (key, value) in file order.
        body: the Markdown from the first heading after the metadata on ("" if none).
        body_line: the 1-based line where the body starts (0 if there is no body).
        path: the file's absolute path.
        rel_path: the path relative to ROOT/assets/docs, with `/` separators.
        display_path: the path shown in problems (relative to ROOT, or as given).
        problems: format problems found while parsing (see the validator for the rest).
    """

    kind: DocKind
    handle: DocHandle
    description: str
    entries: tuple[tuple[str, MetadataValue], ...]
    body: str
    body_line: int
    path: Path
    rel_path: str
    display_path: str = ""
    problems: tuple[Problem, ...] = ()

    @property
    def metadata(self) -> dict[str, list[MetadataValue]]:
        """Key -> its values in file order (repeated keys such as `task` have several)."""
        result: dict[str, list[MetadataValue]] = {}
        for key, value in self.entries:
            result.setdefault(key, []).append(value)
        return result

    def values(self, key: str) -> list[str]:
        """The values of one metadata key, in file order ([] if absent)."""
        return [value.value for name, value in self.entries if name == key]

    def first(self, key: str) -> str | None:
        """The first value of a metadata key, or None."""
        found = self.values(key)
        return found[0] if found else None


def docs_dir(root: str | os.PathLike[str]) -> Path:
    """ROOT/assets/docs."""
    return Path(root) / DOCS_DIR


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
    return _inside(docs_dir(root), path, handle)


def _inside(base: Path, path: Path, handle: DocHandle) -> Path:
    """The path, if it lies below `base` with no hidden part; else InvalidHandleError (a check
    of its own: callers may build a DocHandle without `parse_handle`)."""
    rel = os.path.relpath(os.path.normpath(path), os.path.normpath(base))
    parts = Path(rel).parts
    unsafe = unsafe_part(handle)
    if unsafe is not None or rel.startswith(os.pardir) or any(p.startswith(".") for p in parts):
        raise errors.InvalidHandleError(
            f"The hub handle {str(handle)!r} names a path outside the hub's docs folder or in a "
            f"hidden folder ({path}): {PART_RULE}; rename that part. "
            f"Received: handle={str(handle)!r}"
        )
    return path


def _beside(doc: Path, suffix: str) -> Path:
    return doc.with_name(doc.name[: -len(".md")] + suffix)


def archive_path(doc: Path) -> Path:
    """`<version>.tar.gz` beside the doc `<version>.md`."""
    return _beside(doc, ARCHIVE_SUFFIX)


def model_dir_path(doc: Path) -> Path:
    """The model folder `<version>/` beside the doc `<version>.md`."""
    return _beside(doc, "")


def signatures_path(doc: Path) -> Path:
    """`<version>.signatures.json` beside the doc `<version>.md`."""
    return _beside(doc, SIGNATURES_SUFFIX)


def is_model_dir(path: Path) -> bool:
    """True if the folder holds a saved_model.pb(txt) or tfhub_module.pb."""
    return any((path / marker).is_file() for marker in MODEL_MARKERS)


def parse_first_line(line: str) -> tuple[DocKind, DocHandle] | None:
    """The kind and handle of a first line like `# Module google/x/1`, or None.

    Args:
        line: the doc's first line.

    Returns:
        (kind, handle), or None if the line names no kind.

    Raises:
        InvalidHandleError: if the version is too long (see `version_number`).
    """
    line = line.replace("&zwnj;", "").rstrip("\r")
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
    try:
        first = parse_first_line(lines[0])
    except errors.InvalidHandleError as err:
        raise errors.DocFormatError(
            f"{shown}:1: the handle on the first line is refused: {err}", path=str(path), line=1
        ) from err
    if first is None:
        raise errors.DocFormatError(
            f"{shown}:1: the first line must be '# <Kind> publisher/model/version' with Kind "
            "one of Module, Placeholder, Lite, Tfjs, Coral, Collection (or '# Publisher "
            f"<publisher>'), e.g. '# Module google/text-embedding/1'. Received: {lines[0]!r}",
            path=str(path),
            line=1,
        )
    kind, handle = first
    unsafe = unsafe_part(handle)
    if unsafe is not None:
        raise errors.DocFormatError(
            f"{shown}:1: the handle {str(handle)!r} on the first line has the part {unsafe!r}: "
            f"{PART_RULE}; rename that part. Received: " + repr(lines[0]),
            path=str(path),
            line=1,
        )
    problems: list[Problem] = []
    refused = handle_problem(handle)  # Not ASCII, or a reserved publisher.
    if refused is not None:
        problems.append(Problem(shown, 1, f"the handle {str(handle)!r} {refused}"))
    description, index = _read_description(lines, shown, problems)
    entries, index = _read_metadata(lines, index, shown, problems)
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
    )


def _read_description(lines: list[str], rel_path: str, problems: list[Problem]) -> tuple[str, int]:
    """The description after the first line (one empty line may precede it) and where it ends."""
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
    return " ".join(found), index


def _read_metadata(
    lines: list[str], index: int, rel_path: str, problems: list[Problem]
) -> tuple[list[tuple[str, MetadataValue]], int]:
    """Metadata lines up to the first heading; returns them and where the body starts."""
    entries: list[tuple[str, MetadataValue]] = []
    while index < len(lines) and not lines[index].startswith("#"):
        line = lines[index].rstrip()
        match = _METADATA_LINE.match(line)
        if match:
            value = MetadataValue(match["value"].strip(), index + 1)
            entries.append((match["key"].strip(), value))
        elif line and not line.startswith(_ICON_LINE_PREFIX):
            problems.append(
                Problem(
                    rel_path,
                    index + 1,
                    "unexpected line between the description and the first heading (only "
                    f"'<!-- key: value -->' metadata and empty lines go there). Received: {line!r}",
                )
            )
            break
        index += 1
    return entries, index


def read_doc_text(path: str | os.PathLike[str], *, shown: str | None = None) -> str:
    """The text of a documentation file, read as UTF-8 without its byte-order mark.

    Windows editors save UTF-8 with a BOM (U+FEFF before `# Module ...`); it is not part
    of the doc, so its first line still names its kind. Every doc is read through here.

    Args:
        path: the Markdown file.
        shown: the path to name in an error (default: `path` as given).

    Returns:
        Its text (a BOM, if any, removed).

    Raises:
        OSError: the file cannot be read.
        DocFormatError: the file is not UTF-8 (`.line` and `.offset`, a byte offset in the file,
            say where; a ValueError, as UnicodeDecodeError is).
    """
    data = Path(path).read_bytes()
    return decode_doc(data, path=os.fspath(path), shown=os.fspath(path) if shown is None else shown)


def decode_doc(data: bytes, *, path: str, shown: str) -> str:
    """The text of a doc's bytes (UTF-8, a leading BOM dropped), see `read_doc_text`.

    Args:
        data: the file's bytes.
        path: the file, for the error's `.path`.
        shown: the path to name in the error's message.

    Returns:
        The text.

    Raises:
        DocFormatError: naming the line and the byte offset (in the file, BOM included) of the
            first byte that is not UTF-8.
    """
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = skip + err.start
        line = data.count(b"\n", 0, offset) + 1
        raise errors.DocFormatError(
            f"{shown}:{line}: not UTF-8 text: the byte 0x{data[offset]:02x} at byte offset "
            f"{offset} ({err.reason}); docs are UTF-8 Markdown: save the file as UTF-8 (e.g. "
            "'iconv -f latin1 -t utf-8'), it is left out until then",
            path=path,
            line=line,
            offset=offset,
        ) from err


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


def relative_paths(file: Path, root: str | os.PathLike[str] | None) -> tuple[str, str]:
    """(path relative to ROOT/assets/docs, path shown to people)."""
    if root is None:
        return file.name, os.fspath(path_as_given(file))
    try:
        rel = file.relative_to(docs_dir(root).absolute()).as_posix()
    except ValueError:
        return file.as_posix(), file.as_posix()
    return rel, f"{DOCS_DIR_POSIX}/{rel}"


def path_as_given(file: Path) -> Path:
    """The path relative to the working directory if it is below it, else absolute."""
    try:
        return file.relative_to(Path.cwd())
    except ValueError:
        return file


def find_doc_files(root: str | os.PathLike[str]) -> list[Path]:
    """Every `.md` file under ROOT/assets/docs, sorted, skipping the insides of model folders.

    Args:
        root: the hub folder.

    Returns:
        Absolute paths ([] if ROOT/assets/docs does not exist). Folders holding a model
        (saved_model.pb, saved_model.pbtxt or tfhub_module.pb) and hidden entries are skipped.
    """
    base = docs_dir(root).absolute()
    found: list[Path] = []
    for folder, subdirs, files in os.walk(base):
        current = Path(folder)
        if current != base and is_model_dir(current):
            subdirs[:] = []
            continue
        subdirs[:] = sorted(name for name in subdirs if not name.startswith("."))
        found.extend(current / name for name in files if name.endswith(".md") and name[0] != ".")
    return sorted(found)


def list_docs(
    root: str | os.PathLike[str],
    *,
    on_unreadable: Callable[[Path, errors.DocFormatError], None] | None = None,
) -> list[DocFile]:
    """Every parseable documentation file of a hub folder, sorted by path.

    Files whose first line names no kind are skipped, with a warning unless `on_unreadable`
    is given (`tfhub validate` reports them); other format problems are kept in each doc's
    `.problems`.

    Args:
        root: the hub folder.
        on_unreadable: called with each skipped file and its error instead of the warning.

    Returns:
        The parsed docs.
    """
    docs: list[DocFile] = []
    for file in find_doc_files(root):
        try:
            docs.append(parse_doc(file, root=root))
        except errors.DocFormatError as err:
            if on_unreadable is None:
                logger.warning("Skipping a doc (not served): %s", err)
            else:
                on_unreadable(file, err)
    return docs

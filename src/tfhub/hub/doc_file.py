"""A parsed documentation file of a hub folder: its kind (`DocKind`), metadata lines
(`MetadataValue`), format problems (`Problem`) and the doc itself (`DocFile`), with the bounds
the hub puts on a description and a metadata value and key, and the metadata keys (which of
them repeat) with the rules every reader of a doc follows for them.

`docs_format` parses docs into these (and re-exports them: `docs_format.DocFile` is this one).
Pure Python: no TensorFlow.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from .. import errors
from .doc_handles import DocHandle

# The most characters of a description that pages, search results and the JSON API show (and
# search indexes): tfhub.dev's are a sentence or two. Without a bound, a 40 KB description went
# whole into every index page, publisher page and `/api/models` answer that listed its model.
MAX_DESCRIPTION_CHARS = 1_000
# The longest metadata value: pages show values whole (each index page's filters offer every
# value of the hub), so a 2 MB `dataset` made every index page 6 MB; tfhub.dev's are ids and URLs.
# `tfhub validate` and `publish` refuse a longer one; the server leaves it out
# (`docs_format.list_docs`).
MAX_VALUE_CHARS = 1_000
# The longest metadata key served: tfhub.dev's keys are 22 characters at most
# ('interactive-visualizer'); a longer one is no key the hub knows, and pages and the JSON API
# would show it whole (a 200 KB key went into both). The server leaves such a line out
# (`served_doc.without_long_values`); `tfhub validate` reports it as unsupported.
MAX_KEY_CHARS = 100
# The metadata keys, named here once; `doc_rules` (which says which kind allows which) and the
# server (which serves one value of a single-valued key) take them from here.
# `asset-path` says where a version's files are (a URL, `legacy`, or the archive beside the doc).
ASSET_PATH = "asset-path"
ARCHITECTURE, COLAB, DATASET = "network-architecture", "colab", "dataset"
DEMO, FINE_TUNABLE, FORMAT, LANGUAGE = "demo", "fine-tunable", "format", "language"
LICENSE, PARENT_MODEL, TASK, VISUALIZER = (
    "license",
    "parent-model",
    "task",
    "interactive-visualizer",
)
MODULE_TYPE = "module-type"  # What tfhub.dev's validator called `task` before renaming it.
# The keys a doc may give on several lines (each line one value); `module-type` too, as `task`.
REPEATED_KEYS = frozenset({DATASET, LANGUAGE, TASK, ARCHITECTURE})
# The keys a doc gives once: tfhub.dev's validator refused two values of its single-valued keys
# (asset-path, format, fine-tunable, parent-model); tfhub adds the other known keys that are
# not in REPEATED_KEYS. `tfhub validate` reports a second line; the server serves the first
# (asset-path: none of them, `repeated_asset_path`).
SINGLE_VALUED_KEYS = frozenset(
    {ASSET_PATH, COLAB, DEMO, FINE_TUNABLE, FORMAT, LICENSE, PARENT_MODEL, VISUALIZER}
)


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
        body: the Markdown from the first heading after the metadata on ("" if none), or
            from tfhub.dev's first Colab or Demo button line among the metadata.
        body_line: the 1-based line where the body starts (0 if there is no body).
        path: the file's absolute path.
        rel_path: the path relative to ROOT/assets/docs, with `/` separators.
        display_path: the path shown in problems (relative to ROOT, or as given).
        problems: format problems found while parsing (see the validator for the rest).
        description_line: the 1-based line where the description starts (0 if it has none).
        metadata_cut: the problem of the unexpected line where reading the metadata stopped
            (also in `problems`) when a metadata line (indented or not) follows it before the
            first heading, else None: the lines from there on are the body, none of them read
            as metadata.
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
    description_line: int = 0
    metadata_cut: Problem | None = None

    @property
    def shown_description(self) -> str:
        """The description as pages and the JSON API show it: its first `MAX_DESCRIPTION_CHARS`
        characters, then `…` if it is longer (`tfhub validate` reports such a description)."""
        if len(self.description) <= MAX_DESCRIPTION_CHARS:
            return self.description
        return self.description[:MAX_DESCRIPTION_CHARS].rstrip() + "…"

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


def repeated_asset_path(doc: DocFile) -> Problem | None:
    """The problem of a doc that gives `asset-path` on two lines or more (None if on one at
    most): the one rule of every reader of it. `tfhub validate` and `publish` report it,
    `tfhub mirror --from-docs` fails the doc with it, and `tfhub serve` uses none of the lines
    (`served_doc.without_long_values`): none of them picks one line while another picks
    another (the server took the second line where the first was too long to serve).
    Here, below `docs_format`, as the server reads docs through that module."""
    lines = [value.line for key, value in doc.entries if key == ASSET_PATH]
    if len(lines) < 2:
        return None
    listed = ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"
    return Problem(
        doc.display_path or doc.path.as_posix(),
        lines[1],
        f"'{ASSET_PATH}' is given on lines {listed}: a doc names one place for its version's "
        "files; keep the right line and remove the others (until then, tfhub serve and "
        "`tfhub mirror --from-docs` use none of them)",
    )


def single_valued(key: str) -> bool:
    """True if a doc gives `key` once at most (`SINGLE_VALUED_KEYS`): the one answer of
    `tfhub validate` (`doc_rules`) and the server (`served_doc.without_long_values`)."""
    return key in SINGLE_VALUED_KEYS


def repeated_values(doc: DocFile) -> list[tuple[int, Problem]]:
    """Each line that gives a single-valued key (`single_valued`) again, but `asset-path`
    (`repeated_asset_path`): (its index in `doc.entries`, the problem naming it and the line
    that gave the key first), in file order. The server serves the first line's value."""
    first: dict[str, int] = {}
    found = []
    for index, (key, value) in enumerate(doc.entries):
        if not single_valued(key) or key == ASSET_PATH:
            continue
        if key not in first:
            first[key] = value.line
            continue
        message = (
            f"metadata {key!r} may be given only once (tfhub.dev allowed one value; it is first "
            f"given on line {first[key]}): keep the right line and remove the others"
        )
        found.append((index, Problem(doc.display_path or doc.path.as_posix(), value.line, message)))
    return found


def asset_path(doc: DocFile) -> MetadataValue | None:
    """The doc's one `asset-path` line, None if it has none.

    Raises:
        tfhub.errors.DocValidationError: it is given on two lines or more
            (`repeated_asset_path`, the one problem in `.problems`).
    """
    problem = repeated_asset_path(doc)
    if problem is not None:
        raise errors.DocValidationError(str(problem), problems=[str(problem)])
    values = doc.metadata.get(ASSET_PATH)
    return values[0] if values else None

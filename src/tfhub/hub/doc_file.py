"""A parsed documentation file of a hub folder: its kind (`DocKind`), metadata lines
(`MetadataValue`), format problems (`Problem`) and the doc itself (`DocFile`), with the bounds
the hub puts on a description and a metadata value.

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
# The metadata key that says where a version's files are (a URL, `legacy`, or the archive beside
# the doc); `doc_rules` re-exports it.
ASSET_PATH = "asset-path"


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
    (`docs_format.without_long_values`): none of them picks one line while another picks
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

"""Validate documentation files as tfhub.dev's validator (tools/validator.py) did.

Every problem comes with its file and line (`file:line: message`); nothing stops at the first
one. The rules, per kind (first line `# <Kind> ...`):

- the file is a `.md` file under its publisher's folder; a Publisher doc is
  `<publisher>/<publisher>.md`; tfhub adds that a Module/Placeholder doc is at
  `<publisher>/models/<model>/<version>.md` and a Collection at
  `<publisher>/collections/<name>/<version>.md` (so the served URL matches the handle);
- a short description follows the first line, then only metadata lines up to the first heading;
- the required metadata is present, no metadata outside the kind's allowed keys, no repeated
  key except task, dataset, language and network-architecture;
- `module-type`, tfhub.dev's name of `task` before it was renamed, is accepted in its place
  (forks from before the rename), but not beside `task`;
- `task` values start with image-, text-, audio- or video-; a Module's `format` is hub,
  saved_model or saved_model_2; `fine-tunable` is true or false; `parent-model` is a handle;
- `asset-path` ends with .tar.gz (Module, Tfjs) or .tflite (Lite, Coral), is not a GitHub release
  download; a relative asset-path names a file beside the doc that exists;
- if ROOT/tags/<tag>.yaml files exist (tfhub.dev's tag definitions), enumerable tag values
  must be ids listed there, and URL tags must point to their required domain;
- the publisher's doc exists; no two docs declare the same kind and handle; a signature summary
  beside a Module doc agrees with its `format`;
- the archive (or model folder) beside a Module doc holds only files a SavedModel uses, safe to
  extract, with a root saved_model.pb that parses (`model_files`), as tfhub.dev's CI checked.

Warnings (logged, `file:line: warning: ...`; they do not fail validation): a body's images on
outside hosts (a hub without internet access shows them broken), images without alt text and
links without text (`doc_warnings.content_warnings`, also importable from here).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import errors
from . import asset_paths, catalog, doc_handles, docs_layout, model_files
from . import docs_format as fmt
from . import tags as tags_lib
from .doc_warnings import content_warnings
from .docs_format import DocFile, DocKind, Problem
from .docs_layout import DOCS_DIR_POSIX

if TYPE_CHECKING:
    from .signatures import SignatureSummary

logger = logging.getLogger(__name__)

ARCHITECTURE, ASSET_PATH, COLAB, DATASET = "network-architecture", "asset-path", "colab", "dataset"
DEMO, FINE_TUNABLE, FORMAT, LANGUAGE = "demo", "fine-tunable", "format", "language"
LICENSE, PARENT_MODEL, TASK, VISUALIZER = (
    "license",
    "parent-model",
    "task",
    "interactive-visualizer",
)
MODULE_TYPE = "module-type"  # What tfhub.dev's validator called `task` before renaming it.
REPEATED_KEYS = frozenset({DATASET, LANGUAGE, TASK, ARCHITECTURE})
SAVED_MODEL_FORMATS = ("hub", "saved_model", "saved_model_2")
TASK_PREFIXES = ("image-", "text-", "audio-", "video-")
_PARENT_MODEL = re.compile(
    rf"{doc_handles.PUBLISHER_PATTERN}/{doc_handles.MODEL_PATTERN}/{doc_handles.VERSION_PATTERN}"
)


@dataclass(frozen=True)
class KindRules:
    """The metadata a kind requires and allows, and the suffix of its asset-path."""

    required: frozenset[str]
    optional: frozenset[str]
    asset_suffix: str | None = None

    @property
    def allowed(self) -> frozenset[str]:
        """Required and optional keys."""
        return self.required | self.optional


RULES: dict[DocKind, KindRules] = {
    DocKind.MODULE: KindRules(
        frozenset({ASSET_PATH, FINE_TUNABLE, FORMAT, TASK}),
        frozenset({ARCHITECTURE, COLAB, DATASET, LANGUAGE, LICENSE, VISUALIZER}),
        ".tar.gz",
    ),
    DocKind.PLACEHOLDER: KindRules(
        frozenset({TASK}),
        frozenset({DATASET, FINE_TUNABLE, VISUALIZER, LANGUAGE, LICENSE, ARCHITECTURE}),
    ),
    DocKind.TFJS: KindRules(
        frozenset({ASSET_PATH, PARENT_MODEL}), frozenset({COLAB, DEMO, VISUALIZER}), ".tar.gz"
    ),
    DocKind.LITE: KindRules(
        frozenset({ASSET_PATH, PARENT_MODEL}), frozenset({COLAB, VISUALIZER}), ".tflite"
    ),
    DocKind.CORAL: KindRules(
        frozenset({ASSET_PATH, PARENT_MODEL}), frozenset({COLAB, VISUALIZER}), ".tflite"
    ),
    DocKind.PUBLISHER: KindRules(frozenset(), frozenset()),
    DocKind.COLLECTION: KindRules(frozenset({TASK}), frozenset({DATASET, LANGUAGE, ARCHITECTURE})),
}


def validate_doc(
    doc: DocFile, *, tag_values: tags_lib.TagDefinitions | None = None
) -> list[Problem]:
    """The problems of one parsed doc, on its own (no look at other docs of the tree).

    Args:
        doc: the parsed doc (its `rel_path` is where it is, or will be, under ROOT/assets/docs).
        tag_values: tfhub.dev's tag definitions (ROOT/tags), or None to skip those checks.

    Returns:
        The problems (parse problems first), in line order per check.
    """
    problems = list(doc.problems)
    problems += _path_problems(doc)
    problems += _metadata_key_problems(doc)
    problems += _value_problems(doc)
    assets = doc.metadata.get(ASSET_PATH, [])
    problems += asset_paths.problems(doc, assets, RULES[doc.kind].asset_suffix)
    problems += _size_problems(doc)
    if tag_values is not None:
        problems += [
            Problem(doc.display_path, value.line, message)
            for key, value in doc.entries
            for message in tag_values.check(key, value.value)
        ]
    return problems


def _at(doc: DocFile, line: int, message: str) -> Problem:
    return Problem(doc.display_path, line, message)


def _size_problems(doc: DocFile) -> list[Problem]:
    """A description longer than pages show (they cut it), a body too long for the server to
    render (its page shows it as plain text)."""
    from . import render  # nh3 and markdown-it are not needed for this.

    problems = []
    if len(doc.description) > fmt.MAX_DESCRIPTION_CHARS:
        problems.append(
            _at(
                doc,
                doc.description_line,
                f"the description is {len(doc.description):,} characters long, more than the "
                f"{fmt.MAX_DESCRIPTION_CHARS:,} tfhub serve shows (pages, search and the API "
                "cut it there); keep it to a sentence or two and move the rest into the body, "
                "e.g. under '## Overview'",
            )
        )
    if not render.too_large(doc.body):
        return problems
    return [
        *problems,
        _at(
            doc,
            doc.body_line,
            f"the doc's body is {len(doc.body):,} characters long, more than the "
            f"{render.MAX_RENDERED_CHARS:,} tfhub serve renders (its page would show it as "
            "plain text); shorten it, e.g. move long tables or examples to a linked page",
        ),
    ]


def _path_problems(doc: DocFile) -> list[Problem]:
    publisher, rel = doc.handle.publisher, doc.rel_path
    if not rel.endswith(".md"):
        return [_at(doc, 1, f"a documentation file must end with '.md'. Received: {rel!r}")]
    if doc.kind in (DocKind.MODULE, DocKind.PLACEHOLDER, DocKind.PUBLISHER, DocKind.COLLECTION):
        expected = fmt.doc_path(".", doc.handle, doc.kind).relative_to(docs_layout.docs_dir("."))
        if rel != expected.as_posix():
            return [
                _at(
                    doc,
                    1,
                    f"the {doc.kind.value} doc of {doc.handle} must be at "
                    f"{DOCS_DIR_POSIX}/{expected.as_posix()} (its path gives its URL); move "
                    f"it or fix the first line. Received: {DOCS_DIR_POSIX}/{rel}",
                )
            ]
        return []
    if not rel.startswith(f"{publisher}/models/"):
        return [
            _at(
                doc,
                1,
                f"a {doc.kind.value} doc of publisher {publisher!r} must be under "
                f"{DOCS_DIR_POSIX}/{publisher}/models/. Received: {DOCS_DIR_POSIX}/{rel}",
            )
        ]
    return []


def _metadata_key_problems(doc: DocFile) -> list[Problem]:
    rules = RULES[doc.kind]
    metadata = doc.metadata
    problems = []
    legacy = MODULE_TYPE in metadata and TASK in rules.allowed  # tfhub.dev's old name of task.
    missing = sorted(rules.required - metadata.keys() - ({TASK} if legacy else set()))
    if missing:
        problems.append(
            _at(
                doc,
                1,
                f"{doc.kind.value} docs require the metadata {missing} (as "
                "'<!-- key: value -->' lines after the description)",
            )
        )
    seen: set[str] = set()
    for key, value in doc.entries:
        if legacy and key == MODULE_TYPE and TASK in metadata:
            problems.append(
                _at(
                    doc,
                    value.line,
                    "'module-type' is tfhub.dev's old name of 'task': give 'task' only",
                )
            )
        elif legacy and key == MODULE_TYPE:
            continue  # Accepted as 'task' (docs of tfhub.dev forks from before the rename).
        elif key not in rules.allowed:
            allowed = sorted(rules.allowed) or "none"
            problems.append(
                _at(
                    doc,
                    value.line,
                    f"unsupported metadata {key!r} for a {doc.kind.value} doc (allowed: {allowed})",
                )
            )
        elif key in seen and key not in REPEATED_KEYS:
            problems.append(
                _at(
                    doc,
                    value.line,
                    f"metadata {key!r} may be given only once (only "
                    f"{sorted(REPEATED_KEYS)} repeat)",
                )
            )
        seen.add(key)
    return problems


def _value_problems(doc: DocFile) -> list[Problem]:
    problems = []
    for key, value in doc.entries:
        text = value.value
        if not text:  # `<!-- language: -->`: an empty filter value on pages and in the API.
            message = f"metadata {key!r} has no value: give one, or leave the line out"
            problems.append(_at(doc, value.line, message))
        elif key in (TASK, MODULE_TYPE) and not text.startswith(TASK_PREFIXES):
            problems.append(
                _at(
                    doc,
                    value.line,
                    f"'task' must start with one of {list(TASK_PREFIXES)}. Received: {text!r}",
                )
            )
        elif key == FORMAT and doc.kind is DocKind.MODULE and text not in SAVED_MODEL_FORMATS:
            problems.append(
                _at(
                    doc,
                    value.line,
                    f"'format' must be one of {list(SAVED_MODEL_FORMATS)}. Received: {text!r}",
                )
            )
        elif key == FINE_TUNABLE and text not in ("true", "false"):
            problems.append(
                _at(doc, value.line, f"'fine-tunable' must be true or false. Received: {text!r}")
            )
        elif key == PARENT_MODEL and not _PARENT_MODEL.fullmatch(text):
            problems.append(
                _at(
                    doc,
                    value.line,
                    f"'parent-model' must be a handle publisher/model/version. Received: {text!r}",
                )
            )
    return problems


def validate_file(path: str | os.PathLike[str], *, root: str | os.PathLike[str]) -> list[Problem]:
    """The problems of one documentation file of a hub folder, including its publisher's doc.

    Args:
        path: the Markdown file, under ROOT/assets/docs.
        root: the hub folder.

    Returns:
        The problems ([] if the file is valid).
    """
    return _check_file(Path(path), root, tags_lib.load_tag_definitions(root))[1]


def _check_file(
    path: Path, root: str | os.PathLike[str], tag_values: tags_lib.TagDefinitions | None
) -> tuple[DocFile | None, list[Problem]]:
    try:
        doc = fmt.parse_doc(path, root=root)
    except errors.DocFormatError as err:
        return None, [Problem(_shown(path, root), err.line, _message_of(err))]
    problems = validate_doc(doc, tag_values=tag_values)
    problems += _publisher_problems(doc, root) + _summary_problems(doc)
    for warning in content_warnings(doc):
        logger.warning(
            "%s:%d: warning: %s", os.path.join(root, warning.path), warning.line, warning.message
        )
    return doc, problems + _model_file_problems(doc)


def _model_file_problems(doc: DocFile) -> list[Problem]:
    """The problems of the archive or model folder beside a Module doc (see `model_files`)."""
    if doc.kind is not DocKind.MODULE:
        return []
    archive, folder = docs_layout.archive_path(doc.path), docs_layout.model_dir_path(doc.path)
    if archive.is_file():
        name, found = archive.name, model_files.archive_problems(archive)
    elif docs_layout.is_model_dir(folder):
        name, found = f"{folder.name}/", model_files.folder_problems(folder)
    else:
        return []
    if archive.is_file() and docs_layout.is_model_dir(folder):  # Made by hand: publish never.
        found = [
            *found,
            f"the model folder {folder.name}/ is beside it too, and tfhub serve sends "
            f"{archive.name} only; remove the one that is not this version",
        ]
    asset = doc.metadata.get(ASSET_PATH)
    line = asset[0].line if asset else 1
    return [_at(doc, line, f"{name}: {message}") for message in found]


def _shown(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    file = Path(path).absolute()
    try:
        return file.relative_to(Path(root).absolute()).as_posix()
    except ValueError:
        return file.as_posix()


def _message_of(err: errors.DocFormatError) -> str:
    """The message of a DocFormatError without its leading `file:line: `."""
    text = str(err)
    prefix, sep, rest = text.partition(": ")
    return rest if sep and prefix.endswith(f":{err.line}") else text


def _publisher_problems(doc: DocFile, root: str | os.PathLike[str]) -> list[Problem]:
    if doc.kind is DocKind.PUBLISHER:
        return []
    expected = fmt.doc_path(root, doc_handles.DocHandle(doc.handle.publisher), DocKind.PUBLISHER)
    if expected.is_file():
        return []
    rel = expected.relative_to(Path(root)).as_posix()
    return [
        _at(
            doc,
            1,
            f"the publisher {doc.handle.publisher!r} has no documentation; add it at "
            f"{rel} (first line '# Publisher {doc.handle.publisher}', then a description)",
        )
    ]


def _summary_problems(doc: DocFile) -> list[Problem]:
    if doc.kind is not DocKind.MODULE or doc.first(FORMAT) is None:
        return []
    summary_file = docs_layout.signatures_path(doc.path)
    if not summary_file.is_file():
        return []
    from . import signatures

    try:
        summary = signatures.read_summary(summary_file)
    except errors.SignatureSummaryError as err:
        return [_at(doc, 0, str(err))]
    problems = []
    if summary.refused_op_libraries:
        problems.append(_at(doc, 0, _refused_message(summary_file.name, summary)))
    declared = doc.metadata[FORMAT][0]
    if summary.doc_format != declared.value:
        problems.append(
            _at(
                doc,
                declared.line,
                f"'format' says {declared.value!r} but the model is a "
                f"{summary.format} (format {summary.doc_format!r}, from {summary_file.name})",
            )
        )
    return problems


def _refused_message(file_name: str, summary: SignatureSummary) -> str:
    refused = ", ".join(map(repr, summary.refused_op_libraries))
    return (
        f"{file_name}: 'op_libraries' names {refused}, which is not a module name (a dotted "
        "Python identifier such as tensorflow_text); the server leaves it out of the model "
        "page's snippet. Write the summary again with `tfhub publish --force` or `tfhub mirror`"
    )


def validate_tree(root: str | os.PathLike[str]) -> list[Problem]:
    """The problems of every documentation file under ROOT/assets/docs.

    Args:
        root: the hub folder.

    Returns:
        The problems of all files, sorted by file and line ([] if all are valid).

    Raises:
        ModelNotFoundError: if ROOT/assets/docs does not exist.
    """
    base = docs_layout.docs_dir(root)
    if not base.is_dir():
        raise errors.ModelNotFoundError(
            f"{base} does not exist: a hub folder keeps its docs in ROOT/{DOCS_DIR_POSIX} "
            f"(tfhub.dev's layout); publish a model there with `tfhub publish`. Received: {root=}"
        )
    tag_values = tags_lib.load_tag_definitions(root)
    problems = (
        [Problem(path, 0, message) for path, message in tag_values.errors] if tag_values else []
    )
    claimed: dict[str, DocFile] = {}
    for file in docs_layout.find_doc_files(root):
        doc, found = _check_file(file, root, tag_values)
        problems += found
        if doc is not None:
            problems += _duplicate_problems(doc, claimed)
    return sorted(problems, key=lambda p: (p.path, p.line))


def _duplicate_problems(doc: DocFile, claimed: dict[str, DocFile]) -> list[Problem]:
    """A problem if another doc already claimed the URL `tfhub serve` answers this doc at.

    Two docs of one handle, but also a Module `p/lite-model/spice/1` and the Lite doc
    `p/spice/1` (served at `/p/lite-model/spice/1`, as tfhub.dev did): the server keeps the
    first it reads and ignores the other.
    """
    if doc.kind is DocKind.PUBLISHER:
        url = str(doc.handle)
    elif doc.kind is DocKind.COLLECTION:
        url = f"{doc.handle.publisher}/collections/{doc.handle.model}/{doc.handle.version}"
    else:
        url = f"{doc.handle.publisher}/{catalog.url_model_name(doc)}/{doc.handle.version}"
    other = claimed.setdefault(url, doc)
    if other is doc:
        return []
    path = other.display_path
    if (other.kind, other.handle) == (doc.kind, doc.handle):
        message = (
            f"{doc.kind.value} {doc.handle} is also declared by {path}; each handle has one doc"
        )
    else:
        message = (
            f"{doc.kind.value} {doc.handle} is served at /{url}, as is {other.kind.value} "
            f"{other.handle} ({path}): the server answers one of them only; rename one"
        )
    return [_at(doc, 1, message)]

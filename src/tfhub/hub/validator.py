"""Validate a hub folder's documentation files as tfhub.dev's validator (tools/validator.py) did.

Every problem comes with its file and line (`file:line: message`); nothing stops at the first
one. Each doc is checked on its own by `doc_rules.validate_doc` (its path, metadata, values,
asset-path, sizes and tag values); this module adds what needs the rest of the hub folder:

- the publisher's doc exists; no two docs declare the same kind and handle (nor share the URL
  the server answers them at), nor lie in folders whose names differ only by case (`acme/Emb`
  beside `acme/emb`: one folder on macOS and Windows); a signature summary beside a Module doc
  agrees with its `format`;
- no folder below ROOT/assets/docs is a symlink (the server never looks for docs below one, so
  they are never served), but a model folder `<version>/`;
- the archive (or model folder) beside a Module doc holds only files a SavedModel uses, safe to
  extract, with a root saved_model.pb that parses (`model_files`), as tfhub.dev's CI checked.

Warnings (logged, `file:line: warning: ...`; they do not fail validation): a body's images on
outside hosts (a hub without internet access shows them broken), images without alt text,
links without text, and relative URLs naming a file of the docs folder the hub does not serve
or a doc file that is not there (`doc_warnings.content_warnings`, also importable from here).
"""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from .. import errors
from . import catalog, doc_handles, docs_layout, model_files, url_clashes
from . import docs_format as fmt
from . import tags as tags_lib
from .doc_rules import (
    ARCHITECTURE,
    ASSET_PATH,
    COLAB,
    DATASET,
    DEMO,
    FINE_TUNABLE,
    FORMAT,
    LANGUAGE,
    LICENSE,
    MODULE_TYPE,
    PARENT_MODEL,
    REPEATED_KEYS,
    RULES,
    SAVED_MODEL_FORMATS,
    TASK,
    TASK_PREFIXES,
    VISUALIZER,
    KindRules,
    at,
    validate_doc,
)
from .doc_warnings import content_warnings
from .docs_format import DocFile, DocKind, Problem
from .docs_layout import DOCS_DIR_POSIX

if TYPE_CHECKING:
    from .signatures import SignatureSummary

__all__ = [
    "ARCHITECTURE",
    "ASSET_PATH",
    "COLAB",
    "DATASET",
    "DEMO",
    "FINE_TUNABLE",
    "FORMAT",
    "LANGUAGE",
    "LICENSE",
    "MODULE_TYPE",
    "PARENT_MODEL",
    "REPEATED_KEYS",
    "RULES",
    "SAVED_MODEL_FORMATS",
    "TASK",
    "TASK_PREFIXES",
    "VISUALIZER",
    "KindRules",
    "content_warnings",
    "validate_doc",
    "validate_file",
    "validate_tree",
]

logger = logging.getLogger(__name__)


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
    return [at(doc, line, f"{name}: {message}") for message in found]


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
        at(
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
        return [at(doc, 0, str(err))]
    problems = []
    if summary.refused_op_libraries:
        problems.append(at(doc, 0, _refused_message(summary_file.name, summary)))
    declared = doc.metadata[FORMAT][0]
    if summary.doc_format != declared.value:
        problems.append(
            at(
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


def validate_tree(
    root: str | os.PathLike[str], *, checked: list[Path] | None = None
) -> list[Problem]:
    """The problems of every documentation file under ROOT/assets/docs.

    Args:
        root: the hub folder.
        checked: if given, each doc file checked is appended to it (`tfhub validate` says
            how many).

    Returns:
        The problems of all files, sorted by file and line ([] if all are valid).

    Raises:
        ModelNotFoundError: if ROOT/assets/docs does not exist.
    """
    _check_docs_dir(root)
    tag_values = tags_lib.load_tag_definitions(root)
    problems = (
        [Problem(path, 0, message) for path, message in tag_values.errors] if tag_values else []
    )
    claimed: dict[str, DocFile] = {}
    folders: dict[str, tuple[str, DocFile]] = {}
    symlinks: list[Path] = []
    unlisted: list[OSError] = []
    files = docs_layout.find_doc_files(root, symlinks=symlinks, unlisted=unlisted)
    if checked is not None:
        checked.extend(files)
    problems += [_symlink_problem(link, root) for link in symlinks]
    problems += [_unlisted_problem(err, root) for err in unlisted]
    for file in files:
        doc, found = _check_file(file, root, tag_values)
        problems += found
        if doc is not None:
            problems += _duplicate_problems(doc, claimed) + _case_twin_problems(doc, folders)
    problems += url_clashes.latest_url_problems(claimed)
    return sorted(problems, key=lambda p: (p.path, p.line))


def _check_docs_dir(root: str | os.PathLike[str]) -> None:
    """Refuses a ROOT without assets/docs, saying which hub folder to validate when ROOT is a
    folder inside one.

    Raises:
        ModelNotFoundError: if ROOT/assets/docs does not exist.
    """
    base = docs_layout.docs_dir(root)
    hub = None if base.is_dir() else docs_layout.enclosing_hub(root)
    if hub is not None:
        raise errors.ModelNotFoundError(
            f"{base} does not exist: {os.fspath(root)} is a folder inside the hub folder {hub} "
            f"(below its assets/ folder); validate the hub folder itself: tfhub validate "
            f"{shlex.quote(str(hub))}. Received: {root=}"
        )
    if not base.is_dir():
        raise errors.ModelNotFoundError(
            f"{base} does not exist: a hub folder keeps its docs in ROOT/{DOCS_DIR_POSIX} "
            f"(tfhub.dev's layout); publish a model there with `tfhub publish`. Received: {root=}"
        )


def _unlisted_problem(err: OSError, root: str | os.PathLike[str]) -> Problem:
    """The problem of a folder below ROOT/assets/docs that could not be listed: its docs were
    not validated, and the server leaves them out (a warning when it scans)."""
    message = (
        "the docs below this folder were not validated (the server leaves them out): "
        f"{docs_layout.unlisted_why(err)}"
    )
    return Problem(_shown(err.filename, root), 0, message)


def _symlink_problem(link: Path, root: str | os.PathLike[str]) -> Problem:
    """The problem of a symlinked folder below ROOT/assets/docs: the server (and this
    validation) never look for docs below one, so its docs are never served."""
    try:
        target = f" (to {os.readlink(link)})"
    except OSError:  # Replaced meanwhile: name the link alone.
        target = ""
    return Problem(
        _shown(link, root),
        0,
        f"this folder is a symlink{target}: tfhub serve and tfhub validate do not look for docs "
        "below a symlinked folder, so no doc in it is served or checked (and tfhub publish "
        "refuses to publish into it); make it a real folder (move what it points to into its "
        "place), or remove the link",
    )


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
    return [at(doc, 1, message)]


def _case_twin_problems(doc: DocFile, folders: dict[str, tuple[str, DocFile]]) -> list[Problem]:
    """A problem if a folder of the doc's path differs only by case from one of an earlier doc
    (`acme/models/Emb/` and `acme/models/emb/`): a case-insensitive file system (macOS, Windows
    shares) holds them as one folder, and the hub lists both models side by side. `folders`
    maps each folder seen (case-folded) to its spelling and first doc."""
    parts = doc.rel_path.split("/")[:-1]
    for end in range(1, len(parts) + 1):
        spelled = "/".join(parts[:end])
        first, other = folders.setdefault(spelled.casefold(), (spelled, doc))
        if first != spelled:
            message = (
                f"its folder {spelled}/ differs only by case from {first}/ ({other.kind.value} "
                f"{other.handle}, {other.display_path}): a case-insensitive file system (macOS, "
                "Windows shares) holds them as one folder, and the hub lists both side by side, "
                "so users pick the wrong one; rename one (`tfhub publish` refuses such a name)"
            )
            return [at(doc, 1, message)]
    return []

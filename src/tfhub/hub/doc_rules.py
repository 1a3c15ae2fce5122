"""One doc's rules, as tfhub.dev's validator (tools/validator.py) checked a doc on its own.

`validate_doc` gives every problem of one parsed doc with its line, the parse problems first;
the per-kind rules (first line `# <Kind> ...`) are:

- the file is a `.md` file under its publisher's folder; a Publisher doc is
  `<publisher>/<publisher>.md`; tfhub adds that a Module/Placeholder doc is at
  `<publisher>/models/<model>/<version>.md` and a Collection at
  `<publisher>/collections/<name>/<version>.md` (so the served URL matches the handle);
- the required metadata is present, no metadata outside the kind's allowed keys, no repeated
  key except task, dataset, language and network-architecture;
- `module-type`, tfhub.dev's name of `task` before it was renamed, is accepted in its place
  (forks from before the rename), but not beside `task`;
- `task` values start with image-, text-, audio- or video-; a Module's `format` is hub,
  saved_model or saved_model_2; `fine-tunable` is true or false; `parent-model` is a handle;
- a short description follows the first line, then only metadata lines up to the first heading
  (found by `docs_format` as the doc is parsed);
- `asset-path` is given once (`doc_file.repeated_asset_path`, the rule mirror and the server
  follow too), ends with .tar.gz (Module, Tfjs) or .tflite (Lite, Coral), is not a GitHub release
  download; a relative asset-path names a file beside the doc that exists (`asset_paths`);
- the description is not longer than pages show, the body not longer than the server renders,
  a metadata value not longer than `MAX_VALUE_CHARS` (every index page lists each filter value);
- if ROOT/tags/<tag>.yaml files exist (tfhub.dev's tag definitions), enumerable tag values
  must be ids listed there, and URL tags must point to their required domain.

What needs the other files of the hub folder (the publisher's doc, duplicates, the model files
beside the doc) is `validator`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..utils.printable import short_repr
from . import asset_paths, doc_handles, docs_layout
from . import docs_format as fmt
from . import tags as tags_lib
from .doc_file import (  # The keys' one home; importable from here as before.
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
    TASK,
    VISUALIZER,
    repeated_asset_path,
    single_valued,
)
from .docs_format import DocFile, DocKind, Problem
from .docs_layout import DOCS_DIR_POSIX

SAVED_MODEL_FORMATS = ("hub", "saved_model", "saved_model_2")
TASK_PREFIXES = ("image-", "text-", "audio-", "video-")
MAX_VALUE_CHARS = fmt.MAX_VALUE_CHARS  # The longest metadata value (see docs_format).
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
    suffix = RULES[doc.kind].asset_suffix
    repeated = repeated_asset_path(doc) if suffix else None  # Else: not allowed at all.
    if repeated is not None:  # Which line to check? The writer says (one rule: doc_file).
        problems.append(repeated)
    else:
        problems += asset_paths.problems(doc, doc.metadata.get(ASSET_PATH, []), suffix)
    problems += _size_problems(doc)
    if tag_values is not None:
        problems += [
            Problem(doc.display_path, value.line, message)
            for key, value in doc.entries
            for message in tag_values.check(key, value.value)
        ]
    return problems


def at(doc: DocFile, line: int, message: str) -> Problem:
    """A problem of `doc` at `line`."""
    return Problem(doc.display_path, line, message)


def _size_problems(doc: DocFile) -> list[Problem]:
    """A description longer than pages show (they cut it), a body too long for the server to
    render (its page shows it as plain text)."""
    from . import render  # nh3 and markdown-it are not needed for this.

    problems = []
    if len(doc.description) > fmt.MAX_DESCRIPTION_CHARS:
        problems.append(
            at(
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
        at(
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
        return [at(doc, 1, f"a documentation file must end with '.md'. Received: {rel!r}")]
    if doc.kind in (DocKind.MODULE, DocKind.PLACEHOLDER, DocKind.PUBLISHER, DocKind.COLLECTION):
        expected = fmt.doc_path(".", doc.handle, doc.kind).relative_to(docs_layout.docs_dir("."))
        if rel != expected.as_posix():
            stem = rel.rsplit("/", 1)[-1].removesuffix(".md")
            zeros = stem.isdigit() and len(stem) > 1 and stem.startswith("0")  # `01.md`.
            why = "; a version is written without leading zeros" if zeros else ""
            return [
                at(
                    doc,
                    1,
                    f"the {doc.kind.value} doc of {doc.handle} must be at "
                    f"{DOCS_DIR_POSIX}/{expected.as_posix()} (its path gives its URL{why}); "
                    f"move it or fix the first line. Received: {DOCS_DIR_POSIX}/{rel}",
                )
            ]
        return []
    if not rel.startswith(f"{publisher}/models/"):
        return [
            at(
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
            at(
                doc,
                1,
                f"{doc.kind.value} docs require the metadata {missing} (as "
                "'<!-- key: value -->' lines after the description)",
            )
        )
    seen: set[str] = set()
    for key, value in doc.entries:
        message = _key_problem(doc.kind, key, seen, legacy=legacy, has_task=TASK in metadata)
        if message is not None:
            problems.append(at(doc, value.line, message))
        seen.add(key)
    return problems


def _key_problem(
    kind: DocKind, key: str, seen: set[str], *, legacy: bool, has_task: bool
) -> str | None:
    """What is wrong with the metadata key `key` of a `kind` doc, after the keys `seen` (None:
    nothing). With `legacy` (the doc gives 'module-type', tfhub.dev's old name of 'task'),
    'module-type' is taken as 'task', unless the doc gives 'task' too (`has_task`)."""
    rules = RULES[kind]
    if legacy and key == MODULE_TYPE:
        if has_task:
            return "'module-type' is tfhub.dev's old name of 'task': give 'task' only"
        return None  # Accepted as 'task' (docs of tfhub.dev forks from before the rename).
    if key not in rules.allowed:
        cased = (
            f": keys are lower case, write {key.lower()!r}" if key.lower() in rules.allowed else ""
        )
        return (
            f"unsupported metadata {short_repr(key)} for a {kind.value} doc{cased} (allowed: "
            f"{_allowed_text(rules)})"
        )
    if key in seen and single_valued(key) and key != ASSET_PATH:
        return f"metadata {key!r} may be given only once (only {sorted(REPEATED_KEYS)} repeat)"
    return None


def _allowed_text(rules: KindRules) -> str:
    """The keys a kind allows, as a list; `task` with its old name, which is taken in its
    place: "['asset-path', ..., 'task' (or 'module-type', its old name)]"."""
    if not rules.allowed:
        return "none"
    names = [
        f"{key!r} (or {MODULE_TYPE!r}, its old name)" if key == TASK else repr(key)
        for key in sorted(rules.allowed)
    ]
    return f"[{', '.join(names)}]"


def _value_problems(doc: DocFile) -> list[Problem]:
    problems = []
    for key, value in doc.entries:
        text = value.value
        if len(text) > MAX_VALUE_CHARS:
            problems.append(at(doc, value.line, _too_long(key, text)))
        elif not text:  # `<!-- language: -->`: an empty filter value on pages and in the API.
            message = f"metadata {key!r} has no value: give one, or leave the line out"
            problems.append(at(doc, value.line, message))
        elif key in (TASK, MODULE_TYPE) and not text.startswith(TASK_PREFIXES):
            given = " (given as 'module-type', its old name)" if key == MODULE_TYPE else ""
            problems.append(
                at(
                    doc,
                    value.line,
                    f"'task' must start with one of {list(TASK_PREFIXES)}{given}. "
                    f"Received: {text!r}",
                )
            )
        elif key == FORMAT and doc.kind is DocKind.MODULE and text not in SAVED_MODEL_FORMATS:
            problems.append(
                at(
                    doc,
                    value.line,
                    f"'format' must be one of {list(SAVED_MODEL_FORMATS)}. Received: {text!r}",
                )
            )
        elif key == FINE_TUNABLE and text not in ("true", "false"):
            problems.append(
                at(doc, value.line, f"'fine-tunable' must be true or false. Received: {text!r}")
            )
        elif key == PARENT_MODEL and not _PARENT_MODEL.fullmatch(text):
            problems.append(
                at(
                    doc,
                    value.line,
                    f"'parent-model' must be a handle publisher/model/version. Received: {text!r}",
                )
            )
    return problems


def _too_long(key: str, text: str) -> str:
    """The problem of a metadata value longer than `MAX_VALUE_CHARS` (only its start shown)."""
    return (
        f"metadata {key!r} is {len(text):,} characters long, more than the {MAX_VALUE_CHARS:,} "
        "a value may have (pages show values whole, and every index page offers each filter "
        f"value of the hub): give an id or a URL. Received: {text[:40]!r}..."
    )

"""Libraries that register TensorFlow ops when imported, and the ops a model needs from them.

A model saved with `import tensorflow_text` (BERT preprocessors, multilingual sentence encoders)
names ops such as `WordpieceTokenizeWithOffsets` or `SentencepieceOp` that TensorFlow itself
does not have: a process must import the library before loading the model. `library_of(op)`
says which library an op comes from; `loaded_with_op_libraries(load)` runs a load and, if it
fails for an op of a library that is installed but not imported, imports that library and loads
once more, so `hub.load` of such a model works without the `import tensorflow_text` line.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar

from . import errors

logger = logging.getLogger(__name__)
T = TypeVar("T")


class OpLibrary(NamedTuple):
    """A library whose import registers ops: its module, its pip package, whether its releases
    follow TensorFlow's minor version (then it must match TensorFlow's), whether it still
    installs on current TensorFlow, and what to use instead if not."""

    module: str
    package: str
    versioned_with_tensorflow: bool
    maintained: bool = True
    instead: str = ""


TENSORFLOW_TEXT = OpLibrary("tensorflow_text", "tensorflow-text", True)
# The ops tensorflow_text 2.21 registers (the TF ops of `import tensorflow_text`; the newer ones
# are named "TFText>...").
_TENSORFLOW_TEXT_OPS = frozenset(
    {
        "CaseFoldUTF8",
        "ConstrainedSequence",
        "FastBertNormalize",
        "FastWordpieceTokenizeWithOffsets",
        "FindSourceOffsets",
        "MaxSpanningTree",
        "NormalizeUTF8",
        "NormalizeUTF8WithOffsetsMap",
        "PhraseTokenize",
        "RegexSplitWithOffsets",
        "RougeL",
        "SentenceFragments",
        "SentenceFragmentsV2",
        "SentencepieceDetokenizeOp",
        "SentencepieceIdToStringOp",
        "SentencepieceOp",
        "SentencepieceStringToIdOp",
        "SentencepieceTokenizeOp",
        "SentencepieceTokenizeWithOffsetsOp",
        "SentencepieceVocabSizeOp",
        "SplitMergeTokenizeWithOffsets",
        "TokenizerFromLogits",
        "UnicodeScriptTokenizeWithOffsets",
        "WhitespaceTokenizeWithOffsets",
        "WordpieceTokenizeWithOffsets",
    }
)
# Other libraries, by the prefix of their ops' names.
_BY_PREFIX: tuple[tuple[str, OpLibrary], ...] = (
    ("TFText>", TENSORFLOW_TEXT),
    ("SimpleML", OpLibrary("tensorflow_decision_forests", "tensorflow-decision-forests", True)),
    ("IO>", OpLibrary("tensorflow_io", "tensorflow-io", False)),
    ("Addons>", OpLibrary("tensorflow_addons", "tensorflow-addons", False, maintained=False)),
    ("Scann>", OpLibrary("scann", "scann", False)),
    # SentencepieceEncodeSparse, SentencepieceDecode, ... (multilingual encoders before v3).
    (
        "Sentencepiece",
        OpLibrary(
            "tf_sentencepiece",
            "tf-sentencepiece",
            False,
            maintained=False,
            instead="multilingual sentence encoders since version 3 use tensorflow_text's ops",
        ),
    ),
)


def library_of(op: str) -> OpLibrary | None:
    """Returns the library that registers the op named `op`, if it is a known one."""
    if op in _TENSORFLOW_TEXT_OPS:
        return TENSORFLOW_TEXT
    for prefix, library in _BY_PREFIX:
        if op.startswith(prefix):
            return library
    return None


def libraries_of(ops: Iterable[str]) -> list[OpLibrary]:
    """Returns the known libraries the ops named `ops` come from, each once."""
    found = (library_of(op) for op in ops)
    return list(dict.fromkeys(library for library in found if library is not None))


# Why an installed library did not import, by module (e.g. built for another TensorFlow).
_import_failures: dict[str, str] = {}


def import_if_installed(library: OpLibrary) -> bool:
    """Imports the library if it is installed and not imported yet; returns True if it was
    imported now. A library that fails to import (built for another TensorFlow) is left alone,
    and why is kept for the `MissingOpError` the load then raises (`failure_note`)."""
    if library.module in sys.modules or importlib.util.find_spec(library.module) is None:
        return False
    try:
        importlib.import_module(library.module)
    except Exception as err:  # An ImportError, or TensorFlow's NotFoundError for the .so.
        first_line = (str(err).strip().splitlines() or [""])[0][:300]
        _import_failures[library.module] = f"{type(err).__name__}: {first_line}"
        return False
    logger.info("Imported %s: the model uses its ops.", library.module)
    return True


def failure_note(library: OpLibrary) -> str:
    """The sentence a `MissingOpError` ends with when importing `library` failed: that it is
    installed but did not import, why, and what to do; "" if it did not fail."""
    reason = _import_failures.get(library.module)
    if reason is None:
        return ""
    return (
        f" {library.module} is installed but did not import ({reason}): install the release "
        "built for this TensorFlow."
    )


def graph_ops(graph_def: Any) -> list[str]:
    """The names of the ops a GraphDef and its library's functions use, sorted, each once."""
    ops = {node.op for node in graph_def.node}
    ops.update(node.op for function in graph_def.library.function for node in function.node_def)
    return sorted(ops)


def import_for_graph(graph_def: Any) -> None:
    """Imports the installed libraries whose ops a GraphDef (or its functions) uses, before a
    graph import that cannot be retried cleanly (a TF1 module built into the user's graph)."""
    for library in libraries_of(graph_ops(graph_def)):
        import_if_installed(library)


def loaded_with_op_libraries(load: Callable[[], T]) -> T:
    """Returns `load()`; if it raised `MissingOpError` for an op of a library that is installed
    but not imported, imports that library and returns `load()` once more.

    Raises:
        tfhub.errors.MissingOpError: if the op's library is unknown, missing, imported already
            or fails to import.
    """
    try:
        return load()
    except errors.MissingOpError as err:
        library = library_of(err.op)
        if library is None:
            raise
        if not import_if_installed(library):
            note = failure_note(library)
            if not note or note in str(err):
                raise
            raise errors.MissingOpError(
                f"{err}{note}", path=err.path, op=err.op, library=err.library
            ) from err.__cause__
    return load()

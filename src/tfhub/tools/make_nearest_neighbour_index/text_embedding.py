"""A text-embedding module as a function from strings to float32 vectors, checked on load.

TF2 SavedModels are called as `obj(sentences)`; TF1 Hub modules (and SavedModels without
`__call__`) through their `default` (or `serving_default`) signature, whose one input takes the
sentences and whose `default` (or only) output is the embedding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import errors
from ...loaded_model import traced_functions
from ...saved_model import load
from ...utils.lazy import import_tensorflow
from ...utils.printable import not_utf8
from ..image_modules import call_errors, module_reason
from ..module_handles import loading, resolve_model_folder

logger = logging.getLogger(__name__)

_EXPECTED = "a batch of strings [batch] to float vectors [batch, dim]"


def _not_text_embedding(handle: str, problem: str) -> errors.NotATextEmbeddingError:
    return errors.NotATextEmbeddingError(
        f"{handle} is not a text embedding: {problem}. Use a module that maps {_EXPECTED} "
        f"(e.g. a tfhub.dev .../text-embedding model). Received: module_url={handle!r}",
        handle=handle,
        problem=problem,
    )


def _signature_fn(obj: Any, handle: str) -> Callable[[Any], Any]:
    """The `default` (else `serving_default`) signature, called with its only input."""
    signatures = getattr(obj, "signatures", {})
    name = next((n for n in ("default", "serving_default") if n in signatures), None)
    if name is None:
        raise _not_text_embedding(
            handle, f"it is not callable and has no 'default' signature ({sorted(signatures)})"
        )
    signature = signatures[name]
    inputs = signature.structured_input_signature[1]
    if len(inputs) != 1:
        raise _not_text_embedding(handle, f"its {name!r} signature takes {sorted(inputs)}")
    input_name = next(iter(inputs))
    return lambda sentences: signature(**{input_name: sentences})


def _only_output(output: Any, handle: str) -> Any:
    if isinstance(output, dict):
        if "default" in output:
            return output["default"]
        if len(output) != 1:
            raise _not_text_embedding(handle, f"it returns several outputs {sorted(output)}")
        return next(iter(output.values()))
    return output


def _first_inputs(fn: Any) -> str:
    """What the first input of a restored function takes, e.g. "float32 [None, 32, 32, 3]"
    (several forms joined by " or "); "" if TensorFlow does not say."""
    forms = []
    for concrete in traced_functions(fn):
        args = concrete.structured_input_signature[0]
        spec: Any = args[0] if args else None
        if hasattr(spec, "dtype") and hasattr(spec, "shape"):
            dims = spec.shape.as_list() if spec.shape.rank is not None else "[...]"
            form = f"{spec.dtype.name} {dims}"
            if form not in forms:
                forms.append(form)
    return " or ".join(forms)


class TextEmbedder:
    """Embeds sentences with a text-embedding module, loaded once.

    Attributes:
        handle: the module's handle.
        folder: the folder it resolved to (local, or a remote path as resolved).
        dim: the size of its embedding vectors.
    """

    def __init__(self, handle: str) -> None:
        """Loads the module and checks it embeds strings.

        Raises:
            tfhub.errors.NotATextEmbeddingError: it does not map strings to [batch, dim] floats.
            tfhub.errors.ModuleUnavailableError: the handle leads to no model folder, or its
                files cannot be loaded.
            tfhub.errors.TFHubError: it cannot be resolved or loaded.
        """
        self.handle = handle
        self.folder = resolve_model_folder(handle, flag="module_url")
        self._tf = import_tensorflow("make_nearest_neighbour_index")
        with loading(handle, flag="module_url"):
            self._obj = load(handle)
        is_tf1 = getattr(self._obj, "_is_hub_module_v1", False)
        self._fn = (
            self._obj if callable(self._obj) and not is_tf1 else _signature_fn(self._obj, handle)
        )
        self.dim = self._check()

    def _check(self) -> int:
        tf = self._tf
        try:
            output = _only_output(self._fn(tf.constant(["", "hello world"])), self.handle)
        except errors.NotATextEmbeddingError:
            raise  # A ValueError too, but about its outputs: said already.
        except call_errors() as err:
            takes = _first_inputs(self._fn)
            if takes:
                raise _not_text_embedding(self.handle, f"it takes {takes}, not strings") from err
            first_line = (
                str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            )
            raise _not_text_embedding(self.handle, f"it fails on strings: {first_line}") from err
        shape = _checked_output(output, 2, self.handle)
        if shape[1] == 0:
            raise _not_text_embedding(
                self.handle, f"its output for 2 strings has shape {shape}: vectors of 0 floats"
            )
        return shape[1]

    def __call__(self, sentences: Sequence[str | bytes]) -> np.ndarray:
        """Returns the float32 embeddings [len(sentences), dim] ([0, dim] for no sentences,
        the module not called).

        Raises:
            tfhub.errors.NotATextEmbeddingError: the output is not [len(sentences), dim] floats
                (a module made for a fixed batch, or whose size varies), or the module fails
                on these sentences (a length limit it asserts, say: `_failure`).
            tfhub.errors.ArgumentTypeError: (a TypeError) an item is not a str or bytes.
            tfhub.errors.ArgumentError: (a ValueError) an item is not UTF-8 text.
        """
        if len(sentences) == 0:
            return np.zeros([0, self.dim], np.float32)
        strings = _strings(self._tf, sentences)  # The caller's items: no fault of the module.
        try:
            output = _only_output(self._fn(strings), self.handle)
        except errors.NotATextEmbeddingError:
            raise  # A ValueError too, but about its outputs: said already.
        except call_errors() as err:
            raise _failure(self.handle, sentences, err) from err
        shape = _checked_output(output, len(sentences), self.handle)
        if shape[1] != self.dim:
            raise _not_text_embedding(
                self.handle,
                f"its output for {len(sentences)} strings has shape {shape}, where it gave "
                f"{self.dim} floats per string before",
            )
        vectors = np.asarray(output.numpy(), np.float32)
        _check_finite(vectors, sentences, self.handle)
        return vectors


def _strings(tf: Any, sentences: Sequence[str | bytes]) -> Any:
    """`sentences` as a string tensor [len(sentences)].

    Raises:
        tfhub.errors.ArgumentTypeError: naming the first item that is not a str or bytes.
        tfhub.errors.ArgumentError: naming the first str that is not UTF-8 text (a lone
            surrogate, e.g. from a file read with surrogateescape).
    """
    items = list(sentences)
    try:
        return tf.constant(items, tf.string)
    except (TypeError, ValueError):  # Which item, TensorFlow does not say.
        for index, item in enumerate(items):
            _check_item(index, item)
        raise


def _check_item(index: int, item: Any) -> None:
    """Checks that item `index` of the sentences is a str of UTF-8 text, or bytes.

    Raises:
        tfhub.errors.ArgumentTypeError, ArgumentError: as `_strings` says.
    """
    received = f"Received: sentences[{index}]={item!r:.200}"
    if not isinstance(item, (str, bytes)):
        raise errors.ArgumentTypeError(
            f"sentences[{index}] is {item!r:.200} (a {type(item).__name__}), not a string: "
            f"pass str (or bytes) items to embed. {received}"
        )
    data = not_utf8(item) if isinstance(item, str) else None
    if data is not None:
        raise errors.ArgumentError(
            f"sentences[{index}] is not UTF-8 text, so the module cannot read it: pass it in "
            f"UTF-8. Received: sentences[{index}]={data!r:.200}"
        )


def _failure(
    handle: str, sentences: Sequence[str | bytes], err: BaseException
) -> errors.NotATextEmbeddingError:
    """The error for a module that passed the check on load but failed on `sentences` with
    `err` (TensorFlow's error, in which the module's own reason was buried), naming the first
    sentence and the module's reason in one line."""
    first = sentences[0][:200] if sentences else ""
    problem = f"it fails on {len(sentences)} string(s) (the first {first!r}): {module_reason(err)}"
    return _not_text_embedding(handle, problem)


def _check_finite(vectors: np.ndarray, sentences: Sequence[str | bytes], handle: str) -> None:
    """Refuses embeddings holding NaN or infinity (no index can place them, and `build` would
    only find them after the whole pipeline ran), naming the first such string.

    Raises:
        tfhub.errors.NotATextEmbeddingError: saying for how many strings, and which first.
    """
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if bad.size:
        first = sentences[int(bad[0])]
        raise _not_text_embedding(
            handle,
            f"its vectors of {bad.size} of {len(sentences)} strings hold NaN or infinity "
            f"(the first for {first[:200]!r})",
        )


def _checked_output(output: Any, count: int, handle: str) -> tuple[int, int]:
    """The shape of a module's output for `count` strings, checked to be [count, dim] floats.

    Raises:
        tfhub.errors.NotATextEmbeddingError: it is not a float tensor of that shape.
    """
    dtype = getattr(output, "dtype", None)
    if dtype is None or not hasattr(output, "shape"):
        raise _not_text_embedding(handle, f"it returns a {type(output).__name__}, not a tensor")
    if not dtype.is_floating:
        shape = tuple(output.shape)
        raise _not_text_embedding(handle, f"it returns {dtype.name} values {shape}, not floats")
    shape = tuple(output.shape)
    if len(shape) != 2 or shape[0] != count:
        raise _not_text_embedding(handle, f"its output for {count} strings has shape {shape}")
    return int(shape[0]), int(shape[1])


def project(vectors: np.ndarray, matrix: np.ndarray | None) -> np.ndarray:
    """Applies the random projection (if any) to embeddings, as float32."""
    if matrix is None:
        return vectors
    return np.asarray(vectors.astype(np.float64) @ matrix, np.float32)

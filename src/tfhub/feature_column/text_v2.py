"""`hub.text_embedding_column_v2` over a TF2 SavedModel text embedding."""

from __future__ import annotations

from typing import Any

from .. import errors, saved_model
from .._tf_private import register_feature_column
from ..model_calls import call_with_training, saved_training_values, takes_training
from ._base import HubDenseColumn, LoadedModule, TensorFn, tf
from ._checks import as_handle, checked_key, text_batch
from ._signatures import read_tf1_signature, read_tf2_call_inputs, read_tf2_call_outputs
from ._source import folder_or_resolved_again
from .text import check_text_embedding


def _output_spec(module_path: str, handle: str, output_key: str | None) -> Any:
    """Returns the TensorSpec of the embedding `__call__` returns (after `output_key`).

    Raises:
        tfhub.errors.UnknownOutputKeyError: if `output_key` is missing from a dict result.
        tfhub.errors.ArgumentError: (a ValueError) if the result is a dict and no
            `output_key` is given, or the reverse.
    """
    outputs = read_tf2_call_outputs(module_path)
    if isinstance(outputs, dict):
        if output_key is None:
            raise errors.ArgumentError(
                f"The SavedModel {handle!r} returns a dict with keys {sorted(outputs)} on "
                "__call__; pass output_key to pick one. Received: output_key=None"
            )
        if output_key not in outputs:
            raise errors.UnknownOutputKeyError(
                f"The SavedModel {handle!r} has no output {output_key!r}; its outputs are "
                f"{sorted(outputs)}. Received: output_key={output_key!r}",
                available=sorted(outputs),
            )
        return outputs[output_key]
    if output_key is not None:
        raise errors.UnknownOutputKeyError(
            f"The SavedModel {handle!r} returns a single {outputs} on __call__, not a dict, "
            f"so output_key must be None. Received: output_key={output_key!r}",
            available=[],
        )
    return outputs


def _embedding_shape(spec: Any, handle: str, output_key: str | None) -> Any:
    """The shape of one example's embedding: `spec`'s shape without the batch dimension.

    As with tensorflow_hub 0.10.0's column, it may have more than one dimension (`[batch, 1,
    K]`): DenseFeatures flattens each example to as many numbers as it holds.

    Raises:
        tfhub.errors.ModuleSpecError: the output is not float32, has no batch dimension, or a
            dimension after it is unknown (a sequence of any length) or 0.
    """
    shape = spec.shape
    if spec.dtype != tf.float32 or shape.rank is None or shape.rank < 2 or not all(shape[1:]):
        raise errors.ModuleSpecError(
            "A text embedding must return Tensor(shape=(None, K), dtype=float32) with a "
            "known, non-zero K (or more dimensions, all known and non-zero past the batch), "
            f"but {handle!r} returns {spec}. Received: output_key={output_key!r}"
        )
    return shape[1:]


@register_feature_column
class _TextEmbeddingColumnV2(HubDenseColumn):
    """Returned by `hub.text_embedding_column_v2`. Do not use directly."""

    _fields = ("key", "module_path", "output_key", "trainable")
    _column = "text_embedding_column_v2"
    _takes = "a tensor of strings, one per example: shape (batch,) or (batch, 1)"

    def __init__(
        self, key: Any, module_path: str, output_key: str | None = None, trainable: bool = False
    ) -> None:
        self.key = key
        self.module_path = module_path
        self.output_key = output_key
        self.trainable = bool(trainable)
        self._local_path = saved_model.resolve(module_path)
        if saved_model.is_tf1_hub_module(self._local_path):
            raise errors.TFHubLoadError(_tf1_module_message(self._local_path, module_path))
        _check_string_batch_input(self._local_path, module_path)
        spec = _output_spec(self._local_path, module_path, output_key)
        self._embedding_shape = _embedding_shape(spec, module_path, output_key)

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        return {self.key: tf.io.FixedLenFeature([1], tf.string)}

    @property
    def _resource_name(self) -> str:
        """Upstream's (feature_column_v2.py `_resource_name`): checkpoints written with either
        library key the module's weights by `_resources/<name>/hub_text_column_<key>`."""
        return f"hub_text_column_{self.key}"

    @property
    def variable_shape(self) -> Any:
        return self._embedding_shape

    def load(self) -> LoadedModule:
        model = saved_model.load_model(self._model_folder())
        obj, output_key = model.obj, self.output_key
        with_training = takes_training(obj)
        # A model saved with `training` left out runs without it in inference (as obj(x)).
        saved_training = saved_training_values(obj) if with_training else None

        def fn(text_batch: Any, training: Any = False) -> Any:
            # `training` reaches the model as a Python bool, if it takes one.
            result = call_with_training(
                training,
                obj,
                (text_batch,),
                {},
                pass_training=with_training,
                saved_training=saved_training,
            )
            return result[output_key] if output_key is not None else result

        return LoadedModule.of_model(model, fn)

    def embed(self, inputs: Any, fn: TensorFn) -> Any:
        return fn(text_batch(inputs, self))

    def _model_folder(self) -> str:
        """The model's folder: where the handle was resolved when the column was made, or
        where it is resolved again if that is gone (`folder_or_resolved_again`)."""
        self._local_path = folder_or_resolved_again(self.module_path, self._local_path)
        return self._local_path


def _tf1_module_message(local_path: str, handle: str) -> str:
    """Says that the TF1 Hub module at `local_path` is not for this column, and which column
    takes it: hub.text_embedding_column for a text embedding, none of the text columns else."""
    try:
        check_text_embedding(read_tf1_signature(local_path), handle)
    except (errors.ModuleSpecError, errors.TFHubLoadError):
        remedy = (
            "it is not a text embedding either (its 'default' signature does not map strings "
            "[None] to float32 [None, K]), so no text column takes it: for an image module "
            "use hub.image_embedding_column; else hub.KerasLayer(handle, signature=...)"
        )
    else:
        remedy = "use hub.text_embedding_column for it"
    return (
        f"{handle!r} is a module in the TF1 Hub format; {remedy}. Received: module_path={handle!r}"
    )


def _check_string_batch_input(module_path: str, handle: str) -> None:
    """Raises ModuleSpecError unless some traced `__call__` takes only a string batch `[None]`.

    Raises:
        tfhub.errors.ModuleSpecError: if no traced `__call__` takes Tensor(shape=(None,), string)
            as its only tensor input.
    """
    wanted = tf.TensorSpec([None], tf.string)
    traces = read_tf2_call_inputs(module_path)
    for first, others in traces:
        if isinstance(first, tf.TensorSpec) and first.is_compatible_with(wanted) and not others:
            return
    first, others = traces[0]
    takes = f"{first}" + (f" and also {', '.join(map(str, others))}" if others else "")
    raise errors.ModuleSpecError(
        f"Module is not a text embedding: {handle!r}'s __call__ takes {takes}. A text "
        "embedding's __call__ must take a batch of strings, Tensor(shape=(None,), "
        "dtype=string), and no other tensor, and return Tensor(shape=(None, K), dtype=float32). "
        f"Received: module_path={handle!r}"
    )


def text_embedding_column_v2(
    key: str, module_path: str, output_key: str | None = None, trainable: bool = False
) -> Any:
    """Uses a TF2 SavedModel text embedding (string `[N]` -> float32 `[N, K]`) as a column.

    Args:
        key: the feature's key.
        module_path: a handle (local path or URL) of a TF2 SavedModel whose `__call__` embeds a
            batch of strings.
        output_key: the key to pick when `__call__` returns a dict.
        trainable: whether the SavedModel's trainable variables are trained with the model.

    Returns:
        A dense feature column.

    Raises:
        tfhub.errors.UnknownOutputKeyError: if `output_key` is not one of the outputs (listed).
        ValueError: if `__call__` returns a dict and `output_key` is None.
        tfhub.errors.TFHubLoadError: if the handle is a TF1 Hub module or has no `__call__`.
        tfhub.errors.HandleTypeError: if `module_path` is not a string (e.g. a loaded model).
    """
    return _TextEmbeddingColumnV2(
        checked_key(key, "text_embedding_column_v2"),
        _checked_module_path(as_handle(module_path)),
        output_key,
        trainable,
    )


def _checked_module_path(module_path: Any) -> Any:
    """Returns `module_path` if it is a handle string.

    Raises:
        tfhub.errors.HandleTypeError: (a ValueError and a TypeError) for anything else, e.g. the
            object `hub.load` returned; the resolver's "A handle must be a non-empty string"
            named neither the column nor what to pass.
    """
    if isinstance(module_path, str):
        return module_path
    raise errors.HandleTypeError(
        "hub.text_embedding_column_v2 takes the model's handle or path (a string, which its "
        "config keeps), not a loaded model: for an object returned by hub.load(handle), pass "
        f"that handle. Received: module_path of type {type(module_path).__name__}"
    )

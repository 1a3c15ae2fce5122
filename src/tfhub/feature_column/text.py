"""`hub.text_embedding_column` and `hub.sparse_text_embedding_column` over TF1 text modules."""

from __future__ import annotations

from typing import Any

from .. import errors, saved_model
from .._tf_private import register_feature_column
from ..model_calls import call_with_training
from ._base import LoadedModule, TensorFn, tf
from ._checks import as_handle, checked_key, checked_strings, module_name, text_batch
from ._signatures import Signature, default_embedding_output_issue, describe
from ._source import TF1ModuleColumn

_COMBINERS = ("mean", "sqrtn", "sum")
_TEXT_SIGNATURE_RULE = (
    "A text-embedding module's 'default' signature must take exactly one input "
    "Tensor(shape=(None,), dtype=string) and return an output 'default' "
    "Tensor(shape=(None, K), dtype=float32) with a known K (and any batch size)."
)


def check_text_embedding(signature: Signature, module_spec: Any) -> None:
    """Raises ModuleSpecError if the signature is not string `[None]` -> float32 `[None, K]`.

    The message starts as upstream's ("Module is not a text-embedding: [<upstream's issues>]"),
    then says what the module has instead, and names it (a spec by the folder it was loaded from).
    """
    upstream, issues = [], []
    if len(signature.inputs) != 1:
        upstream.append("Module default signature must require only one input")
        issues.append(f"it has {len(signature.inputs)} inputs {sorted(signature.inputs)}")
    else:
        (info,) = signature.inputs.values()
        shape = info.get_shape()  # Of unknown rank, too: upstream refused that as well.
        if info.is_sparse or info.dtype != tf.string or shape.rank != 1 or shape[0] is not None:
            upstream.append(
                "Module default signature must have only one input "
                "tf.Tensor(shape=(?,), dtype=string)"
            )
            issues.append(f"its input is {describe(info)}")
    output_issue = default_embedding_output_issue(signature, any_batch=True)
    if output_issue:
        upstream.append(
            "Module default signature must have a 'default' output of "
            "tf.Tensor(shape=(?,K), dtype=float32)."
            if "default" in signature.outputs
            else "Module default signature must have a 'default' output."
        )
        issues.append(output_issue)
    if issues:
        raise errors.ModuleSpecError(
            f"Module is not a text-embedding: {upstream!r}: {'; '.join(issues)}. "
            f"{_TEXT_SIGNATURE_RULE} Received: module_spec={module_name(module_spec)}"
        )


class _TF1TextColumn(TF1ModuleColumn):
    """What both TF1 text columns share: the module's check and loading."""

    def _open(self, module_spec: Any) -> None:
        super()._open(module_spec)
        check_text_embedding(self._signature, module_spec)

    def load(self) -> LoadedModule:
        """Loads the TF1 text module; its function maps a string batch `[N]` to `[N, K]`.

        With `training=True` the function also runs the default graph's UPDATE_OPS, if any.
        """
        model = saved_model.load_model(self._source.local_path)
        function = model.obj.signatures["default"]
        (input_name,) = self._signature.inputs
        train = model.training_function("default")

        def fn(text_batch: Any, training: Any = False) -> Any:
            inputs = {input_name: text_batch}
            outputs = call_with_training(
                training, function, (), inputs, train_fn=train, signature="default"
            )
            return outputs["default"]

        return LoadedModule.of_model(model, fn)


@register_feature_column
class _TextEmbeddingColumn(_TF1TextColumn):
    """Returned by `hub.text_embedding_column`. Do not use directly."""

    _fields = ("key", "module_spec_path", "trainable")
    _column = "text_embedding_column"
    _takes = "a tensor of strings, one per example: shape (batch,) or (batch, 1)"

    def __init__(self, key: Any, module_spec_path: Any, trainable: bool = False) -> None:
        self.key = key
        self.module_spec_path = module_spec_path
        self.trainable = bool(trainable)
        self._open(module_spec_path)

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        return {self.key: tf.io.FixedLenFeature([1], tf.string)}

    def embed(self, inputs: Any, fn: TensorFn) -> Any:
        return fn(text_batch(inputs, self))


@register_feature_column
class _SparseTextEmbeddingColumn(_TF1TextColumn):
    """Returned by `hub.sparse_text_embedding_column`. Do not use directly."""

    _fields = ("key", "combiner", "module_spec_path", "default_value", "trainable")
    _column = "sparse_text_embedding_column"
    _makes_graph_module_at_call = True  # As upstream's, so its hub.Module's name is upstream's.
    _takes = (
        "a tf.SparseTensor of string tokens of shape (batch, tokens) (for a tf.RaggedTensor, "
        "e.g. from tf.strings.split, pass tokens.to_sparse())"
    )

    def __init__(
        self,
        key: Any,
        combiner: str,
        module_spec: Any,
        default_value: str | None,
        trainable: bool = False,
    ) -> None:
        if combiner not in _COMBINERS:
            raise errors.ArgumentError(  # Upstream's words first.
                f"combiner must be 'mean', 'sqrtn' or 'sum': {combiner!r}. "
                f"Received: combiner={combiner!r}"
            )
        if default_value is not None and not isinstance(default_value, str | bytes):
            raise errors.ArgumentTypeError(
                "default_value is the token that fills an example without tokens: a string, or "
                f"None to embed such examples as zeros. Received: default_value={default_value!r}"
            )
        self.key = key
        self.combiner = combiner
        self.module_spec_path = module_spec  # The handle or spec given, as the config holds it.
        self.default_value = default_value
        self.trainable = bool(trainable)
        self._open(module_spec)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments: `module_spec` is the handle (or spec) given."""
        config = super().get_config()
        config["module_spec"] = config.pop("module_spec_path")
        return config

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        return {self.key: tf.io.VarLenFeature(tf.string)}

    def embed(self, inputs: Any, fn: TensorFn) -> Any:
        """Embeds every token, then bags the tokens of each example with the combiner.

        Raises:
            tfhub.errors.NotASparseTensorError: (an AttributeError, as upstream's, and an
                InputSpecError) if `inputs` is not a tf.SparseTensor.
            tfhub.errors.InputSpecError: (a ValueError) if `inputs` is not a tf.SparseTensor of
                strings of rank 2.
        """
        if not isinstance(inputs, tf.SparseTensor):
            raise errors.NotASparseTensorError(
                f"hub.sparse_text_embedding_column({self.key!r}) needs a tf.SparseTensor of "
                "tokens (a dense tensor of tokens becomes one with tf.sparse.from_dense(tokens), "
                "which drops empty strings; for one string per example use "
                f"hub.text_embedding_column). Received: inputs={inputs!r}"
            )
        checked_strings(inputs.values, self)
        if inputs.shape.rank not in (None, 2):  # The lookup would give [batch, ..., K].
            raise errors.InputSpecError(
                f"hub.sparse_text_embedding_column({self.key!r}) takes a tf.SparseTensor of shape "
                "(batch, tokens), one row of tokens per example. "
                f"Received: tokens of shape {tuple(inputs.shape.as_list())}"
            )
        if self.default_value is not None:
            inputs = tf.sparse.fill_empty_rows(inputs, self.default_value)[0]
        # One zero row more: safe_embedding_lookup_sparse looks up id 0 for an example without
        # tokens (then zeroes it), which must exist even in a batch without any token.
        embedded_tokens = tf.pad(fn(inputs.values), [[0, 1], [0, 0]])
        token_ids = tf.SparseTensor(
            indices=inputs.indices,
            values=tf.range(tf.shape(inputs.indices, out_type=tf.int64)[0]),
            dense_shape=inputs.dense_shape,
        )
        return tf.nn.safe_embedding_lookup_sparse(
            embedded_tokens, token_ids, None, combiner=self.combiner
        )


def text_embedding_column(key: str, module_spec: Any, trainable: bool = False) -> Any:
    """Uses a TF1 Hub text module to embed a text feature (a string per example).

    The result is `m(text)` of the module's `default` signature: float32 `[batch_size, K]`.
    Works with `tf.compat.v1.feature_column.input_layer` in a graph and with tf_keras
    `DenseFeatures` in eager and graph mode.

    Args:
        key: the feature's key (or a feature column identifying it).
        module_spec: a handle string (path, URL) or a `hub.ModuleSpec`.
        trainable: whether the module's weights are trained along with the model.

    Returns:
        A dense feature column.

    Raises:
        tfhub.errors.ModuleSpecError: if the module is not a text embedding (the message says
            what the signature must look like).
        tfhub.errors.NotATF1ModuleError: if the handle is a TF2 SavedModel.
    """
    return _TextEmbeddingColumn(
        checked_key(key, "text_embedding_column"), as_handle(module_spec), trainable
    )


def sparse_text_embedding_column(
    key: str,
    module_spec: Any,
    combiner: str,
    default_value: str | None,
    trainable: bool = False,
) -> Any:
    """Embeds pre-tokenized text (a `tf.SparseTensor` of strings) token by token, then bags it.

    Args:
        key: the feature's key.
        module_spec: a handle string or a `hub.ModuleSpec` of a TF1 text module.
        combiner: how tokens of an example are reduced: "mean", "sqrtn" or "sum".
        default_value: the token used for examples without tokens; None leaves them empty,
            which gives zeros.
        trainable: whether the module's weights are trained.

    Returns:
        A dense feature column giving `[batch_size, K]`.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) if `combiner` is not one of the three;
            `tfhub.errors.ArgumentTypeError` (also a TypeError) if `default_value` is neither a
            string nor None.
        tfhub.errors.ModuleSpecError: if the module is not a text embedding.
    """
    return _SparseTextEmbeddingColumn(
        checked_key(key, "sparse_text_embedding_column"),
        combiner,
        as_handle(module_spec),
        default_value,
        trainable,
    )

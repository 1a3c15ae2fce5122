"""Builders of tiny, real SavedModels for tests (shared: other test areas may import these).

Every builder writes a SavedModel to `path` with `tf.saved_model.save` and returns `path` as a
string. Weights are fixed constants, so outputs are deterministic (except dropout with
training=True). TensorFlow is imported inside the functions: importing this module is cheap.

Builders:
    save_tf2_module: variables (one non-trainable), a `training` argument, regularization
        losses, signatures `serving_default` and `features` (dict outputs).
    save_text_embedding: string sentences -> [batch, 4] through a vocab-file lookup table.
    save_dropout_model: dense layer then dropout(0.5) when training=True.
    save_batch_norm_model: batch normalization with moving statistics updated in training.
    save_dict_io_model: `__call__` takes a dict {"a", "b"} and returns a dict {"sum", "prod"}.
    save_scaled_model: `__call__(x, scale)` -> x * 2 * scale (for `arguments=`).
    save_mlp: a float MLP of configurable size (benchmarks).
    save_tf1_ref_variable_model: a TF1 SavedModel (tf.compat.v1 Builder, tag "serve") whose `w`
        is a reference variable (VariableV2); returns a Path.
    make_tarball: packs a model folder as a .tar.gz whose root is the model root.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

TF2_KERNEL = [[0.1, -0.2, 0.3, 0.4], [0.5, 0.6, -0.7, 0.8], [-0.9, 1.0, 0.5, -1.2]]
TF2_LOGITS = [[1.0, -1.0], [0.5, 0.25], [-0.5, 1.5], [0.75, -0.25]]
VOCAB = ["<pad>", "hello", "world", "the", "cat", "sat", "mat"]


def _tf() -> Any:
    import tensorflow as tf

    return tf


def _save(model: Any, path: str, call: Any, *, signatures: Any = None) -> str:
    """Saves `model` behind a root object with the TF Hub conventions for reusable SavedModels:
    `__call__`, `variables`, `trainable_variables` and `regularization_losses` attributes."""
    tf = _tf()
    root = tf.train.Checkpoint()
    root.model = model
    root.__call__ = call
    root.variables = list(model.variables)
    root.trainable_variables = list(model.trainable_variables)
    root.regularization_losses = list(getattr(model, "regularization_losses", []))
    tf.saved_model.save(root, path, signatures=signatures)
    return str(path)


def save_tf2_module(path: str) -> str:
    """A tf.Module with variables, `training`, regularization losses and named signatures.

    `__call__(x[None,3], training)`: hidden = relu(x @ K + b) (minus moving_mean when
    training=False), logits = hidden @ L + c, times 0.5 when training=True. Regularization
    losses: 0.01 * sum(K^2) and 0.01 * sum(L^2).
    """
    tf = _tf()

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernel = tf.Variable(TF2_KERNEL, name="hidden/kernel")
            self.bias = tf.Variable([0.0, 0.1, -0.1, 0.0], name="hidden/bias")
            self.logits_kernel = tf.Variable(TF2_LOGITS, name="logits/kernel")
            self.logits_bias = tf.Variable([0.5, -0.5], name="logits/bias")
            self.moving_mean = tf.Variable(
                [0.25, 0.0, 0.5, 0.125], trainable=False, name="moving_mean"
            )
            self.regularization_losses = [
                tf.function(lambda: 0.01 * tf.reduce_sum(tf.square(self.kernel)), [])
            ]
            self.regularization_losses.append(
                tf.function(lambda: 0.01 * tf.reduce_sum(tf.square(self.logits_kernel)), [])
            )

        def _forward(self, x: Any, training: bool) -> dict[str, Any]:
            hidden = tf.nn.relu(tf.matmul(x, self.kernel) + self.bias)
            if not training:
                hidden = hidden - self.moving_mean
            logits = tf.matmul(hidden, self.logits_kernel) + self.logits_bias
            if training:
                logits = logits * 0.5
            return {"hidden": hidden, "logits": logits}

        def __call__(self, x: Any, training: bool = False) -> Any:
            return self._forward(x, training)["logits"]

    model = Model()
    call = tf.function(model.__call__)
    call.get_concrete_function(tf.TensorSpec([None, 3], tf.float32), False)
    call.get_concrete_function(tf.TensorSpec([None, 3], tf.float32), True)
    features = tf.function(
        lambda x: model._forward(x, False), input_signature=[tf.TensorSpec([None, 3], tf.float32)]
    )
    serving = tf.function(
        lambda x: {"output_0": model._forward(x, False)["logits"]},
        input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")],
    )
    signatures = {"serving_default": serving, "features": features}
    return _save(model, path, call, signatures=signatures)


def tf2_module_expected(x: np.ndarray, training: bool = False) -> dict[str, np.ndarray]:
    """NumPy reference of `save_tf2_module`'s outputs and regularization losses."""
    kernel, logits_kernel = np.array(TF2_KERNEL), np.array(TF2_LOGITS)
    hidden = np.maximum(x @ kernel + [0.0, 0.1, -0.1, 0.0], 0.0)
    if not training:
        hidden = hidden - [0.25, 0.0, 0.5, 0.125]
    logits = hidden @ logits_kernel + [0.5, -0.5]
    if training:
        logits = logits * 0.5
    losses = [0.01 * np.sum(kernel**2), 0.01 * np.sum(logits_kernel**2)]
    return {"hidden": hidden, "logits": logits, "losses": np.array(losses)}


def save_text_embedding(path: str, *, dim: int = 4) -> str:
    """String sentences [None] -> mean of token embeddings [None, dim] (vocab asset, 1 OOV bucket).

    Embedding row i is `i + 0.1 * column`; the OOV bucket is row len(VOCAB).
    """
    tf = _tf()
    os.makedirs(path, exist_ok=True)
    vocab_file = os.path.join(
        os.path.dirname(os.path.abspath(path)), "_vocab_" + os.path.basename(path)
    )
    with open(vocab_file, "w", encoding="utf-8") as handle:
        handle.write("\n".join(VOCAB) + "\n")

    class TextEmbedding(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.vocab = tf.saved_model.Asset(vocab_file)
            init = tf.lookup.TextFileInitializer(
                self.vocab,
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            self.table = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=1)
            rows = np.arange(len(VOCAB) + 1, dtype=np.float32)[:, None]
            self.embeddings = tf.Variable(
                rows + 0.1 * np.arange(dim, dtype=np.float32), name="embeddings"
            )

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, sentences: Any) -> Any:
            tokens = tf.strings.split(tf.strings.lower(sentences))
            ids = tf.ragged.map_flat_values(self.table.lookup, tokens)
            vectors = tf.ragged.map_flat_values(tf.nn.embedding_lookup, self.embeddings, ids)
            counts = tf.cast(tf.expand_dims(tokens.row_lengths(), 1), tf.float32)
            return tf.math.divide_no_nan(tf.reduce_sum(vectors, axis=1), counts)

    model = TextEmbedding()
    return _save(model, path, model.__call__)


def text_embedding_expected(sentences: list[str], *, dim: int = 4) -> np.ndarray:
    """NumPy reference of `save_text_embedding`."""
    out = np.zeros((len(sentences), dim), np.float32)
    for i, sentence in enumerate(sentences):
        ids = [VOCAB.index(t) if t in VOCAB else len(VOCAB) for t in sentence.lower().split()]
        if ids:
            out[i] = np.mean([[j + 0.1 * c for c in range(dim)] for j in ids], axis=0)
    return out


def save_bert_style_preprocessor(path: str) -> str:
    """A preprocessor shaped like tfhub.dev's BERT ones, in core TensorFlow ops.

    `tokenize(sentences)` -> RaggedTensor [batch, words, pieces] of ids (a piece is a
    character: `ord(c) % 50 + 3`); `bert_pack_inputs([segments...], seq_length)` -> the dict of
    int32 `input_word_ids` ([CLS]=1, pieces, [SEP]=2 after each segment, 0 padding),
    `input_mask` and `input_type_ids`, each [batch, seq_length] (truncated to fit).
    """
    tf = _tf()

    class Preprocessor(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def tokenize(self, sentences: Any) -> Any:
            words = tf.strings.split(sentences)
            pieces = tf.strings.unicode_decode(words, "UTF-8")
            return tf.ragged.map_flat_values(lambda c: tf.math.floormod(c, 50) + 3, pieces)

        @tf.function  # Traced for one and for two segments below, as the real ones are.
        def bert_pack_inputs(self, segments: Any, seq_length: Any) -> Any:
            rows = segments[0].nrows(out_type=tf.int32)

            def column(value: int) -> Any:
                return tf.RaggedTensor.from_tensor(tf.fill([rows, 1], value))

            ids, types = [column(1)], [column(0)]
            for index, segment in enumerate(segments):
                flat = segment.merge_dims(-2, -1)
                ids += [flat, column(2)]
                types += [flat * 0 + index, column(index)]
            ids, types = tf.concat(ids, axis=1), tf.concat(types, axis=1)
            shape = tf.stack([rows, seq_length])
            return {
                "input_word_ids": ids[:, :seq_length].to_tensor(0, shape=shape),
                "input_mask": tf.ones_like(ids)[:, :seq_length].to_tensor(0, shape=shape),
                "input_type_ids": types[:, :seq_length].to_tensor(0, shape=shape),
            }

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, sentences: Any) -> Any:
            return self.bert_pack_inputs([self.tokenize(sentences)], tf.constant(16))

    model = Preprocessor()
    segment = tf.RaggedTensorSpec([None, None, None], tf.int32, ragged_rank=2)
    for count in (1, 2):
        model.bert_pack_inputs.get_concrete_function([segment] * count, tf.TensorSpec([], tf.int32))
    tf.saved_model.save(model, path)
    return path


def save_dropout_model(path: str) -> str:
    """x[None,4] -> (x @ W) with dropout(rate=0.5) applied only when training=True. W = I*2."""
    tf = _tf()

    class Dropout(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0 * np.eye(4, dtype=np.float32), name="w")

        def __call__(self, x: Any, training: bool = False) -> Any:
            y = tf.matmul(x, self.w)
            return tf.nn.dropout(y, rate=0.5) if training else y

    model = Dropout()
    call = tf.function(model.__call__)
    for training in (False, True):
        call.get_concrete_function(tf.TensorSpec([None, 4], tf.float32), training)
    return _save(model, path, call)


def save_batch_norm_model(path: str, *, momentum: float = 0.5) -> str:
    """x[None,2] -> batch norm (gamma=1, beta=0). training=True: batch statistics, and the
    moving mean/variance move toward them by `momentum`; training=False: moving statistics
    (initially mean 0, variance 1)."""
    tf = _tf()

    class BatchNorm(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gamma = tf.Variable([1.0, 1.0], name="gamma")
            self.beta = tf.Variable([0.0, 0.0], name="beta")
            self.moving_mean = tf.Variable([0.0, 0.0], trainable=False, name="moving_mean")
            self.moving_var = tf.Variable([1.0, 1.0], trainable=False, name="moving_variance")

        def __call__(self, x: Any, training: bool = False) -> Any:
            if training:
                mean, var = tf.nn.moments(x, axes=[0])
                self.moving_mean.assign(momentum * self.moving_mean + (1 - momentum) * mean)
                self.moving_var.assign(momentum * self.moving_var + (1 - momentum) * var)
            else:
                mean, var = self.moving_mean, self.moving_var
            return tf.nn.batch_normalization(x, mean, var, self.beta, self.gamma, 1e-3)

    model = BatchNorm()
    call = tf.function(model.__call__)
    for training in (False, True):
        call.get_concrete_function(tf.TensorSpec([None, 2], tf.float32), training)
    return _save(model, path, call)


def save_dict_io_model(path: str) -> str:
    """`__call__({"a": [None,2], "b": [None,2]})` -> {"sum": a + s*b, "prod": a * b}, s=2."""
    tf = _tf()

    class DictIO(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = tf.Variable(2.0, name="scale")

        @tf.function(
            input_signature=[
                {
                    "a": tf.TensorSpec([None, 2], tf.float32),
                    "b": tf.TensorSpec([None, 2], tf.float32),
                }
            ]
        )
        def __call__(self, inputs: Any) -> Any:
            return {
                "sum": inputs["a"] + self.scale * inputs["b"],
                "prod": inputs["a"] * inputs["b"],
            }

    model = DictIO()
    return _save(model, path, model.__call__)


def save_scaled_model(path: str) -> str:
    """`__call__(x[None,2], scale[])` -> x * w * scale with w = 2 (exercises `arguments=`)."""
    tf = _tf()

    class Scaled(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0, name="w")

        @tf.function(
            input_signature=[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([], tf.float32)]
        )
        def __call__(self, x: Any, scale: Any) -> Any:
            return x * self.w * scale

    model = Scaled()
    return _save(model, path, model.__call__)


def save_affine_with_defaults(path: str) -> str:
    """`__call__(x[None,1], a[]=1.0, b[]=0.0)` -> a * x + b: hyperparameters with defaults, as
    upstream's keras_layer_test saved them (`arguments=` may give some of them)."""
    tf = _tf()

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 1], tf.float32),
            tf.TensorSpec([], tf.float32),
            tf.TensorSpec([], tf.float32),
        ]
    )
    def call(x: Any, a: Any = 1.0, b: Any = 0.0) -> Any:
        return a * x + b

    return _save(tf.Module(), path, call)


def save_mlp(
    path: str, *, inputs: int = 64, hidden: int = 256, outputs: int = 16, seed: int = 0
) -> str:
    """A float MLP `relu(x @ W1 + b1) @ W2 + b2` with a `training` argument (ignored)."""
    tf = _tf()
    rng = np.random.default_rng(seed)

    class MLP(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w1 = tf.Variable(
                rng.normal(0, 0.1, (inputs, hidden)).astype(np.float32), name="w1"
            )
            self.b1 = tf.Variable(np.zeros(hidden, np.float32), name="b1")
            self.w2 = tf.Variable(
                rng.normal(0, 0.1, (hidden, outputs)).astype(np.float32), name="w2"
            )
            self.b2 = tf.Variable(np.zeros(outputs, np.float32), name="b2")

        def __call__(self, x: Any, training: bool = False) -> Any:
            return tf.matmul(tf.nn.relu(tf.matmul(x, self.w1) + self.b1), self.w2) + self.b2

    model = MLP()
    call = tf.function(model.__call__)
    for training in (False, True):
        call.get_concrete_function(tf.TensorSpec([None, inputs], tf.float32), training)
    return _save(model, path, call)


def save_tf1_ref_variable_model(path: Path, size: int) -> Path:
    """A TF1 SavedModel at `path` (tag "serve", signature "serving_default": y = x * w) whose
    `w` is a reference variable (VariableV2) of shape [size], ones."""
    tf = _tf()
    tf1 = tf.compat.v1
    with tf.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None, size])
        w = tf1.get_variable("w", initializer=tf.ones([size]), use_resource=False)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            builder = tf1.saved_model.Builder(str(path))
            signature = tf1.saved_model.predict_signature_def({"x": x}, {"y": x * w})
            builder.add_meta_graph_and_variables(
                session, ["serve"], signature_def_map={"serving_default": signature}
            )
            builder.save()
    return path


def make_tarball(model_dir: str, tarball: str) -> str:
    """Packs `model_dir` into `tarball` (.tar.gz) with the model root as the archive root."""
    with tarfile.open(tarball, "w:gz") as archive:
        for name in sorted(os.listdir(model_dir)):
            archive.add(os.path.join(model_dir, name), arcname=name)
    return str(tarball)

"""Modules built once per test session, shared by the TF1-format tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

W_HIDDEN = np.array(
    [[1.0, -1.0, 0.5, 0.0], [0.5, 2.0, -1.0, 1.0], [0.0, 1.0, 1.0, -2.0]], np.float32
)
B_HIDDEN = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
EMBEDDINGS = np.arange(12, dtype=np.float32).reshape(4, 3) / 4.0  # 3 tokens + 1 OOV bucket.
VOCAB = ["apple", "banana", "cherry"]
L2 = 0.01


def numpy_inputs(record: dict[str, Any]) -> dict[str, np.ndarray]:
    """Converts the `inputs` of an expected.json run to numpy arrays."""
    result = {}
    for key, spec in record.items():
        dtype = object if spec["dtype"] == "string" else spec["dtype"]
        value = spec["value"]
        if spec["dtype"] == "string":
            value = [v.encode() for v in value]
        result[key] = np.array(value, dtype=dtype)
    return result


def hidden_np(x: np.ndarray) -> np.ndarray:
    """What the rich module's `hidden` output computes."""
    return np.maximum(x @ W_HIDDEN + B_HIDDEN, 0.0)


def _batch_norm(tf: Any, h: Any, is_training: bool) -> Any:
    """Batch norm from raw ops (tf.compat.v1.layers is unavailable under Keras 3)."""
    gamma = tf.compat.v1.get_variable("bn/gamma", initializer=tf.ones([4]))
    beta = tf.compat.v1.get_variable("bn/beta", initializer=tf.zeros([4]))
    moving_mean = tf.compat.v1.get_variable(
        "bn/moving_mean", initializer=tf.zeros([4]), trainable=False
    )
    moving_var = tf.compat.v1.get_variable(
        "bn/moving_variance", initializer=tf.ones([4]), trainable=False
    )
    if not is_training:
        return tf.nn.batch_normalization(h, moving_mean, moving_var, beta, gamma, 1e-3)
    mean, var = tf.nn.moments(h, axes=[0])
    for moving, value in ((moving_mean, mean), (moving_var, var)):
        update = tf.compat.v1.assign(moving, 0.9 * moving + 0.1 * value)
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, update)
    return tf.nn.batch_normalization(h, mean, var, beta, gamma, 1e-3)


def make_module_fn(vocab_path: str) -> Any:
    """Returns the module_fn of the rich test module."""
    import tensorflow as tf

    import tfhub as hub

    def module_fn(is_training: bool = False) -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        regularizer = lambda w: L2 * tf.reduce_sum(tf.square(w))  # noqa: E731
        w = tf.compat.v1.get_variable("hidden/w", initializer=W_HIDDEN, regularizer=regularizer)
        b = tf.compat.v1.get_variable("hidden/b", initializer=B_HIDDEN)
        hidden = tf.nn.relu(tf.matmul(x, w) + b)
        normalized = _batch_norm(tf, hidden, is_training)
        hub.add_signature(inputs={"x": x}, outputs={"default": normalized, "hidden": hidden})
        a = tf.compat.v1.placeholder(tf.float32, [None], name="a")
        bb = tf.compat.v1.placeholder(tf.float32, [None], name="b")
        scale = tf.compat.v1.get_variable("pair/scale", initializer=2.0)
        hub.add_signature("pair", inputs={"a": a, "b": bb}, outputs=a + scale * bb)
        words = tf.compat.v1.sparse_placeholder(tf.string, [None, None], name="words")
        table = tf.compat.v1.lookup.StaticVocabularyTable(
            tf.compat.v1.lookup.TextFileInitializer(
                vocab_path, tf.string, -2, tf.int64, -1, delimiter=" "
            ),
            num_oov_buckets=1,
        )
        embeddings = tf.compat.v1.get_variable("embeddings", initializer=EMBEDDINGS)
        ids = tf.SparseTensor(words.indices, table.lookup(words.values), words.dense_shape)
        combined = tf.nn.safe_embedding_lookup_sparse(embeddings, ids, None, combiner="sum")
        hub.add_signature("embed", inputs={"words": words}, outputs=combined)
        hub.attach_message("numbers", tf.train.Int64List(value=[7, 8] if is_training else [1, 2]))

    return module_fn


@pytest.fixture(scope="session")
def vocab_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vocabulary file for the rich module's lookup table."""
    path = tmp_path_factory.mktemp("vocab") / "tokens.txt"
    path.write_text("\n".join(VOCAB) + "\n")
    return path


@pytest.fixture(scope="session")
def rich_spec(vocab_file: Path) -> Any:
    """A spec with 3 signatures, a vocab asset, `train` tags, reg. losses, sparse input."""
    import tfhub as hub

    return hub.create_module_spec(
        make_module_fn(str(vocab_file)),
        tags_and_args=[(set(), {"is_training": False}), ({"train"}, {"is_training": True})],
    )


@pytest.fixture(scope="session")
def rich_export(rich_spec: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich module exported (initial values) and then moved to another folder."""
    import tensorflow as tf

    import tfhub as hub

    base = tmp_path_factory.mktemp("rich")
    with tf.Graph().as_default():
        module = hub.Module(rich_spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(str(base / "exported"), session)
    shutil.move(str(base / "exported"), str(base / "moved"))
    return base / "moved"

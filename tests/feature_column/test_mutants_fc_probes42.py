"""Tests that kill mutants of the feature columns that the other tests let live (session 42).

Each test names the line it guards: a change there (a dropped check, a swapped pair) made no
other test fail. Real modules only: the upstream fixtures, TF2 SavedModels saved here, TF1
modules made with hub.create_module_spec.
"""

from __future__ import annotations

import types

import pytest
from tests.feature_column._support import TEXT_V1

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def test_text_width_known_only_when_run_is_checked_when_run() -> None:
    """_checks.text_batch: a (batch, ?) input of two strings per example is refused when the
    graph runs (dropping the assertion's control dependency gave two embeddings per example)."""
    column = hub.text_embedding_column("text", TEXT_V1)
    with tf.Graph().as_default():
        text = tf.compat.v1.placeholder(tf.string, [None, None])
        output = tf.compat.v1.feature_column.input_layer({"text": text}, [column])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            one_each = session.run(output, {text: [["hello"], ["cat"]]})
            assert one_each.shape == (2, 4)
            with pytest.raises(tf.errors.InvalidArgumentError, match="one string per example"):
                session.run(output, {text: [["hello", "world"], ["cat", "the"]]})


def test_text_v2_over_a_tf1_module_points_to_the_tf1_column() -> None:
    """text_v2._TextEmbeddingColumnV2: a TF1 Hub module is named as one, with the column to use
    (dropping the check left only "has no callable __call__", which says neither)."""
    with pytest.raises(
        errors.TFHubLoadError, match=r"TF1 Hub format; use hub.text_embedding_column"
    ):
        hub.text_embedding_column_v2("text", TEXT_V1)


def test_a_key_whose_name_is_not_a_string_is_refused() -> None:
    """_checks.checked_key: a key stands for a feature column only if its `name` is a string
    (accepting any `name` took an object named 3 and failed later, far from the call)."""
    key = types.SimpleNamespace(name=3)
    with pytest.raises(errors.ArgumentTypeError, match=r"by a string key.*of type SimpleNamespace"):
        hub.text_embedding_column(key, TEXT_V1)

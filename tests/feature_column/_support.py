"""What the feature-column tests share: the upstream fixtures, their records, small helpers."""

from __future__ import annotations

import numpy as np
import pytest
from tests._helpers.upstream_records import record, upstream_path

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

TEXT_V1 = upstream_path("tf1_text_vocab")
TEXT_V2 = upstream_path("tf2_text_embedding")
IMAGE_V1 = upstream_path("tf1_image_info")
TEXT_RECORD = record("tf1_text_vocab")
(TEXT_FC,) = TEXT_RECORD["feature_columns"]
(IMAGE_FC,) = record("tf1_image_info")["feature_columns"]
SENTENCES = TEXT_FC["inputs"]["sentences"]["value"]
EXPECTED_TEXT = np.array(TEXT_FC["output"]["value"], np.float32)


def graph_input_layer(column, key, value, dtype):
    """Runs tf.compat.v1.feature_column.input_layer in a Graph, as upstream's record did."""
    with tf.Graph().as_default():
        inputs = tf.compat.v1.placeholder(dtype, np.shape(value))
        output = tf.compat.v1.feature_column.input_layer({key: inputs}, [column])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            return session.run(output, {inputs: value})


TOKENS = [["hello", "world"], ["cat"], [], ["zzz", "the", "cat"]]


def sparse_tokens():
    """TOKENS as the tf.SparseTensor of strings a sparse text column takes."""
    indices = [[row, i] for row, tokens in enumerate(TOKENS) for i in range(len(tokens))]
    values = [token for tokens in TOKENS for token in tokens]
    return tf.SparseTensor(indices, tf.constant(values, tf.string), [len(TOKENS), 3])


def expected_sparse(combiner, default_value):
    vocab, table = TEXT_RECORD["vocab"], np.array(TEXT_RECORD["embedding_table"], np.float32)
    rows = []
    for tokens in TOKENS:
        tokens = tokens or ([default_value] if default_value is not None else [])
        vectors = np.array([table[vocab.index(t) if t in vocab else len(vocab)] for t in tokens])
        if not tokens:
            rows.append(np.zeros(4, np.float32))
            continue
        scale = {"sum": 1.0, "mean": len(tokens), "sqrtn": np.sqrt(len(tokens))}[combiner]
        rows.append(vectors.sum(axis=0) / scale)
    return np.array(rows)


EMBEDDINGS = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)

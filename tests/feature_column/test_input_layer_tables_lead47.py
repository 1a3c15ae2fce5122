"""`input_layer` over a TF1 text column initializes its module's tables once, with the
user's `tables_initializer()`, as upstream's did: since c6358655 every `session.run` of its
output re-ran the table initializers (the vocabulary read again each time: 0.16 -> 5.7 ms a
run with a 400,000-word vocabulary, and a NotFoundError once the module's folder was gone;
review47d M1)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from tests.feature_column._support import EXPECTED_TEXT, SENTENCES, TEXT_V1

tf = pytest.importorskip("tensorflow")

import tfhub as hub  # noqa: E402


def test_the_tables_are_initialized_once_not_at_every_run(tmp_path):
    module = tmp_path / "module"
    shutil.copytree(TEXT_V1, module)
    column = hub.text_embedding_column("text", str(module))
    with tf.Graph().as_default():
        inputs = tf.compat.v1.placeholder(tf.string, [len(SENTENCES)])
        output = tf.compat.v1.feature_column.input_layer({"text": inputs}, [column])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            first = session.run(output, {inputs: SENTENCES})
            shutil.rmtree(module)  # Its vocabulary is in the table now, not read again.
            again = session.run(output, {inputs: SENTENCES})
    np.testing.assert_allclose(first, EXPECTED_TEXT, rtol=1e-6)
    np.testing.assert_array_equal(again, first)

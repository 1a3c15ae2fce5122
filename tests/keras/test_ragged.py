"""RaggedTensors between hub.KerasLayers: the BERT preprocessing pattern of tfhub.dev's pages.

    preprocessor = hub.load(".../bert_en_uncased_preprocess/3")
    tokenize = hub.KerasLayer(preprocessor.tokenize)
    bert_pack_inputs = hub.KerasLayer(preprocessor.bert_pack_inputs, arguments=dict(seq_length=128))
    encoder_inputs = bert_pack_inputs([tokenize(s) for s in text_inputs])

Keras 3 traced every layer on dense placeholders and called every output dense, so the second
layer failed at model construction ("Binding inputs to tf.function failed ... The two
structures don't have the same nested structure"); tf_keras kept them ragged.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests._helpers import models
from tests._helpers._across_workers import computed_once

import tfhub as hub

pytestmark = pytest.mark.tf

FIRST = np.array(["ab c", "d", "xyz w", "q r s"])
SECOND = np.array(["e", "ff g", "h", "ii"])


@pytest.fixture(scope="module")
def preprocessor(tmp_path_factory) -> str:
    """The folder of a BERT-style preprocessor SavedModel, built once per test run and shared
    by the xdist workers (`computed_once`): the tests only read it."""
    return computed_once(
        tmp_path_factory,
        f"{__name__}.preprocessor",
        lambda: models.save_bert_style_preprocessor(str(tmp_path_factory.mktemp("pre") / "pre")),
    )


def test_tokenize_then_pack_two_segments_and_train(flavour, preprocessor):
    import tensorflow as tf

    keras = flavour.keras
    loaded = hub.load(preprocessor)
    tokenize = flavour.layer(loaded.tokenize)
    pack = flavour.layer(loaded.bert_pack_inputs, arguments=dict(seq_length=8))
    inputs = [keras.Input(shape=(), dtype="string") for _ in range(2)]
    tokens = [tokenize(text) for text in inputs]
    if flavour.name == "keras3":
        assert all(t.ragged and t.ragged_rank == 2 for t in tokens)
    packed = pack(tokens)
    assert sorted(packed) == ["input_mask", "input_type_ids", "input_word_ids"]
    expected = loaded.bert_pack_inputs(
        [loaded.tokenize(tf.constant(FIRST)), loaded.tokenize(tf.constant(SECOND))],
        tf.constant(8),
    )
    got = keras.Model(inputs, packed)([tf.constant(FIRST), tf.constant(SECOND)])
    for key, value in expected.items():
        np.testing.assert_array_equal(got[key], value)
    embedded = keras.layers.Embedding(60, 4)(packed["input_word_ids"])
    score = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.GlobalAveragePooling1D()(embedded)
    )
    classifier = keras.Model(inputs, score)
    classifier.compile(optimizer="adam", loss="binary_crossentropy")
    labels = np.array([1, 0, 1, 0], np.float32)
    history = classifier.fit(
        [tf.constant(FIRST), tf.constant(SECOND)], labels, epochs=3, batch_size=2, verbose=0
    )
    assert np.isfinite(history.history["loss"]).all()
    assert classifier.predict([tf.constant(FIRST), tf.constant(SECOND)], verbose=0).shape == (4, 1)


def test_a_whole_preprocessor_layer_and_a_ragged_keras_input(flavour, preprocessor):
    """The handle form (the model's `__call__`) stays dense; a ragged `keras.Input` reaches a
    layer whose function takes RaggedTensors."""
    import tensorflow as tf

    keras = flavour.keras
    layer = flavour.layer(preprocessor)
    text = keras.Input(shape=(), dtype="string")
    ids = layer(text)["input_word_ids"]
    assert tuple(ids.shape) == (None, 16)
    loaded = hub.load(preprocessor)
    if flavour.name != "keras3":
        return  # tf_keras' ragged Input has its own long-standing form; Keras 3's is new.
    ragged = keras.Input(shape=(None, None), dtype="int32", ragged=True)
    pack = flavour.layer(loaded.bert_pack_inputs, arguments=dict(seq_length=5))
    model = keras.Model(ragged, pack([ragged])["input_word_ids"])
    tokens = loaded.tokenize(tf.constant(FIRST))
    np.testing.assert_array_equal(
        model(tokens), loaded.bert_pack_inputs([tokens], tf.constant(5))["input_word_ids"]
    )

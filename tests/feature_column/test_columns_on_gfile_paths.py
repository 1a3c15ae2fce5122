"""Every column takes a tf.io.gfile URL (ram://, like gs://) as its module (issue 11 item 1).

test_text_embedding_column_on_ram in tests/tf1/test_gfile_paths.py covers the text column.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR
from tests.feature_column._support import (
    EXPECTED_TEXT,
    IMAGE_FC,
    SENTENCES,
    TEXT_V1,
    TEXT_V2,
    expected_sparse,
    sparse_tokens,
)
from tests.tf1.test_gfile_paths import _copy_to_gfile

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def ram() -> dict[str, str]:
    base = f"ram://tfhub-fc-{uuid.uuid4().hex}"
    names = ["tf1_text_vocab", "tf2_text_embedding", "tf1_image_info"]
    return {name: _copy_to_gfile(UPSTREAM_DIR / name, f"{base}/{name}") for name in names}


def test_columns_on_ram(ram: dict[str, str]) -> None:
    assert TEXT_V1 != ram["tf1_text_vocab"] and TEXT_V2 != ram["tf2_text_embedding"]
    v2 = hub.text_embedding_column_v2("s", ram["tf2_text_embedding"], trainable=True)
    sparse = hub.sparse_text_embedding_column("t", ram["tf1_text_vocab"], "mean", None)
    image = hub.image_embedding_column("i", ram["tf1_image_info"])
    features = {
        "s": tf.constant(SENTENCES),
        "t": sparse_tokens(),
        "i": tf.constant(np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32)),
    }
    layer = tf_keras.layers.DenseFeatures([v2], name="v2")
    np.testing.assert_allclose(layer({"s": features["s"]}).numpy(), EXPECTED_TEXT, atol=1e-5)
    assert len(layer.trainable_weights) == 1
    got = tf_keras.layers.DenseFeatures([sparse])({"t": features["t"]}).numpy()
    np.testing.assert_allclose(got, expected_sparse("mean", None), atol=1e-5)
    got = tf_keras.layers.DenseFeatures([image])({"i": features["i"]}).numpy()
    np.testing.assert_allclose(got, IMAGE_FC["output"]["value"], atol=1e-5)
    with tf.Graph().as_default():
        images = tf.constant(np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32))
        output = tf.compat.v1.feature_column.input_layer({"i": images}, [image])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            np.testing.assert_allclose(session.run(output), IMAGE_FC["output"]["value"], atol=1e-5)

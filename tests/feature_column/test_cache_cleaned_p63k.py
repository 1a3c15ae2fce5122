"""A text_embedding_column_v2 of a URL whose cache folder is gone before first use (session 63).

tensorflow_hub's column kept the handle and resolved it when its state was created (its
`create_state` built `hub.KerasLayer(module_path)`), so a column made before the cache was
cleaned (`tfhub cache remove`, a tmp cleaner) or before TFHUB_CACHE_DIR was changed loaded the
model from the cache in use then. tfhub's resolved the handle once, when the column was made,
and loaded from that folder later: "ModelNotFoundError: /.../cacheA/<hash> does not exist.",
naming neither the column nor the URL. The column now resolves its handle again if its
folder is gone. So do hub.text_embedding_column and hub.image_embedding_column of a URL in an
eager DenseFeatures (in a graph's input_layer they made a hub.Module of a spec loaded again, and
worked; eagerly they failed the same way).
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from tests._helpers.http_server import serve_folder
from tests._helpers.upstream_records import UPSTREAM_DIR, record
from tests.feature_column._support import EXPECTED_TEXT, IMAGE_FC, SENTENCES

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf

(TEXT_V2_FC,) = record("tf2_text_embedding")["feature_columns"]


def test_a_v2_column_whose_cache_folder_was_removed_resolves_its_url_again(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first_cache", tmp_path / "second_cache"
    with serve_folder(os.fspath(UPSTREAM_DIR)) as server:
        url = server.url("tf2_text_embedding.tar.gz")
        monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(first))
        column = hub.text_embedding_column_v2("sentences", url)
        shutil.rmtree(first)
        monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(second))
        layer = tf_keras.layers.DenseFeatures([column])
        output = layer({"sentences": tf.constant(SENTENCES)})
    np.testing.assert_allclose(output.numpy(), TEXT_V2_FC["output"]["value"], atol=1e-5)
    assert not first.exists()
    assert any(entry.is_dir() and len(entry.name) == 40 for entry in second.iterdir())


def test_tf1_columns_whose_cache_folder_was_removed_resolve_their_urls_again_eagerly(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first_cache", tmp_path / "second_cache"
    images = np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32)
    with serve_folder(os.fspath(UPSTREAM_DIR)) as server:
        monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(first))
        text = hub.text_embedding_column("sentences", server.url("tf1_text_vocab.tar.gz"))
        image = hub.image_embedding_column("images", server.url("tf1_image_info.tar.gz"))
        shutil.rmtree(first)
        monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(second))
        texts = tf_keras.layers.DenseFeatures([text])({"sentences": tf.constant(SENTENCES)})
        embedded = tf_keras.layers.DenseFeatures([image])({"images": tf.constant(images)})
    np.testing.assert_allclose(texts.numpy(), EXPECTED_TEXT, atol=1e-5)
    np.testing.assert_allclose(embedded.numpy(), IMAGE_FC["output"]["value"], atol=1e-5)
    assert not first.exists()

"""Models published with `tfhub publish` and served by `tfhub serve` load in tfhub and upstream.

tensorflow_hub 0.16.1 (in a child process: it must not share absl flags with tfhub) and tfhub
resolve, `hub.load` and `hub.KerasLayer` a TF2 SavedModel and a TF1 Hub module through the
server, by version and latest; the model page shows the signature summary written at publish time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import requests
from tests._helpers.hub_server import serve_hub
from tests._helpers.models import save_tf2_module, tf2_module_expected
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

pytestmark = [pytest.mark.tf, pytest.mark.slow]

X = [[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]]
UPSTREAM = """
import json, sys
import numpy as np
import tensorflow as tf, tf_keras
import tensorflow_hub as hub
url = sys.argv[1]
x = tf.constant(json.loads(sys.argv[2]))
by_version = hub.load(url + "/1")(x).numpy().tolist()
latest = hub.load(url).signatures["serving_default"](x=x)["output_0"].numpy().tolist()
model = tf_keras.Sequential([tf_keras.Input(shape=(3,)), hub.KerasLayer(url + "/1")])
keras = model.predict(np.array(json.loads(sys.argv[2]), np.float32), verbose=0).tolist()
text = tf.constant(["hello world"])  # The TF1 Hub module lab/tf1-text, by version and latest.
tf1 = url.replace("classifier", "tf1-text")
tf1_version = hub.load(tf1 + "/1").signatures["default"](sentences=text)["default"]
tf1_latest = hub.load(tf1).signatures["default"](sentences=text)["default"]
tf1_layer = hub.KerasLayer(tf1, signature="default", output_key="default")(text)
print(json.dumps({"version": by_version, "latest": latest, "keras": keras,
                  "tf1_version": tf1_version.numpy().tolist(),
                  "tf1_latest": tf1_latest.numpy().tolist(),
                  "tf1_keras": tf1_layer.numpy().tolist()}))
"""
UPSTREAM_DIR = Path(__file__).parents[1] / "data" / "upstream"


def _tf1_expected() -> np.ndarray:
    """tf1_text_vocab on "hello world": sqrtn of the embeddings of "hello" and "world"."""
    recorded = json.loads((UPSTREAM_DIR / "tf1_text_vocab.expected.json").read_text())
    table = np.array(recorded["embedding_table"], np.float32)
    return ((table[0] + table[1]) / np.sqrt(2.0))[None, :]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    from tfhub.hub.publish import publish
    from tfhub.hub.starter import StarterInfo

    work = tmp_path_factory.mktemp("publish")
    root = work / "root"
    model_dir = save_tf2_module(str(work / "model"))
    info = StarterInfo(description="A small classifier.", task="text-classification")
    publish(model_dir, root, "lab/classifier/1", info=info)
    publish(UPSTREAM_DIR / "tf1_text_vocab", root, "lab/tf1-text/1")
    folder = root / "assets/docs/lab/models/classifier"
    for suffix in (".tar.gz", ".signatures.json"):  # Version 2: the same files (saves a load).
        shutil.copyfile(folder / f"1{suffix}", folder / f"2{suffix}")
    doc = (folder / "1.md").read_text().replace("lab/classifier/1", "lab/classifier/2")
    (folder / "2.md").write_text(doc.replace("asset-path: 1.tar.gz", "asset-path: 2.tar.gz"))
    with serve_hub(root, work / "serve.log") as server:
        yield server


def test_upstream_tensorflow_hub_loads_through_the_server(published, isolated_cache):
    """In a process forked from the worker's warm server (TensorFlow imported, nothing of
    tfhub's or tensorflow_hub's), not a fresh one: what is checked is what upstream loads."""
    url = published.url("lab/classifier")
    env = child_env(TFHUB_CACHE_DIR=str(isolated_cache))
    result = run_warm_python(UPSTREAM, url, json.dumps(X), env=env, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = json.loads(result.stdout.strip().splitlines()[-1])
    expected = tf2_module_expected(np.array(X, np.float32))["logits"]
    for name in ("version", "latest", "keras"):
        np.testing.assert_allclose(outputs[name], expected, rtol=1e-5, err_msg=name)
    for name in ("tf1_version", "tf1_latest", "tf1_keras"):
        np.testing.assert_allclose(outputs[name], _tf1_expected(), rtol=1e-5, err_msg=name)


def test_tfhub_loads_through_the_server_and_page_shows_signatures(published):
    import keras

    import tfhub as hub

    url = published.url("lab/classifier")
    expected = tf2_module_expected(np.array(X, np.float32))["logits"]
    np.testing.assert_allclose(hub.load(url + "/2")(np.array(X, np.float32)), expected, rtol=1e-5)
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, hub.KerasLayer(url)(inputs))
    np.testing.assert_allclose(model.predict(np.array(X), verbose=0), expected, rtol=1e-5)
    tf1 = published.url("lab/tf1-text")
    text = np.array(["hello world"])
    for loaded in (hub.load(tf1 + "/1"), hub.load(tf1)):
        embedded = loaded.signatures["default"](sentences=text)["default"]
        np.testing.assert_allclose(embedded, _tf1_expected(), rtol=1e-5)
    layer = hub.KerasLayer(tf1, signature="default", output_key="default")
    np.testing.assert_allclose(layer(text), _tf1_expected(), rtol=1e-5)
    page = requests.get(url + "/1", timeout=10).text
    assert "serving_default" in page and "output_0" in page and "float32" in page
    # The starter doc's usage snippet names this server, not its placeholder.
    assert "HUB_HOST" not in page and page.count(f'hub.load("{url}/1")') == 2

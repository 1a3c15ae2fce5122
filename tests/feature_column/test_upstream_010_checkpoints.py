"""TF1 graph code with feature columns: checkpoints move between tensorflow_hub 0.10.0 and tfhub.

Upstream's TF1 columns built a `hub.Module` in the variable scope `input_layer` gives each column,
so a checkpoint of a graph using them (an Estimator's, a `tf.compat.v1.train.Saver`'s) holds
`input_layer/<key>_hub_module_embedding/module/<variable>`. The same script runs with 0.10.0's
own feature columns (tests/_helpers/upstream_010.py) and with tfhub's: each fine-tunes a text
column and a sparse text column for one step and saves; the other library's graph restores the
checkpoint and must compute the same embeddings (the fine-tuned ones), with the same variables.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.python_process import child_env, run_python
from tests._helpers.upstream_010 import upstream_env, upstream_package
from tests._helpers.upstream_records import upstream_path

pytestmark = [pytest.mark.tf, pytest.mark.slow]

UPSTREAM_INIT = """\
from tensorflow_hub.module import Module, load_module_spec
from tensorflow_hub.feature_column import (
    image_embedding_column, sparse_text_embedding_column, text_embedding_column)
from tensorflow_hub.version import __version__
from tensorflow_hub.config import _run

_run()
"""

# argv: text module, image module, checkpoint folder, "train" or "restore".
SCRIPT = """
    import json, os, sys
    import numpy as np, tensorflow as tf
    import HUB as hub

    v1 = tf.compat.v1
    text_module, image_module, folder, mode = sys.argv[1:]
    columns = [
        hub.text_embedding_column("title", text_module, trainable=True),
        hub.sparse_text_embedding_column("tags", text_module, "sqrtn", None, trainable=True),
        hub.image_embedding_column("photo", image_module),
    ]
    pixels = np.linspace(0, 1, 2 * 8 * 6 * 3, dtype=np.float32).reshape(2, 8, 6, 3)
    with tf.Graph().as_default():
        features = {
            "title": tf.constant(["the cat sat", "a dog"]),
            "tags": tf.sparse.from_dense(tf.constant([["cat", "dog"], ["sat", ""]])),
            "photo": tf.constant(pixels),
        }
        output = v1.feature_column.input_layer(features, columns)
        loss = tf.reduce_sum(tf.square(output - 1.0))
        step = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        saver = v1.train.Saver()
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            before = session.run(output).tolist()
            if mode == "train":
                session.run(step)
                saver.save(session, os.path.join(folder, "model"))
            else:
                saver.restore(session, os.path.join(folder, "model"))
            seen = {
                "before": before,
                "output": session.run(output).tolist(),
                "variables": sorted(v.op.name for v in v1.global_variables()),
                "trainable": sorted(v.op.name for v in v1.trainable_variables()),
            }
    print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def upstream_010(tmp_path_factory) -> Path:
    """0.10.0's package with its TF1 feature columns, importable on TensorFlow 2.21."""
    return upstream_package(tmp_path_factory.mktemp("tensorflow_hub_010"), UPSTREAM_INIT)


def _run(hub_module: str, env: dict[str, str], folder: Path, mode: str) -> dict:
    modules = [os.fspath(upstream_path(name)) for name in ("tf1_text_vocab", "tf1_image_info")]
    code = SCRIPT.replace("HUB", hub_module)
    done = run_python(code, *modules, os.fspath(folder), mode, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_checkpoints_of_tf1_columns_restore_in_the_other_library(upstream_010, tmp_path) -> None:
    theirs_env, ours_env = upstream_env(upstream_010), child_env()
    for saver, restorer in [("upstream", "tfhub"), ("tfhub", "upstream")]:
        folder = tmp_path / f"saved_by_{saver}"
        folder.mkdir()
        envs = {"upstream": ("tensorflow_hub", theirs_env), "tfhub": ("tfhub", ours_env)}
        trained = _run(*envs[saver], folder, "train")
        restored = _run(*envs[restorer], folder, "restore")
        assert restored["variables"] == trained["variables"], saver
        assert restored["trainable"] == trained["trainable"], saver
        np.testing.assert_allclose(restored["output"], trained["output"], atol=1e-6)
        # The step changed the text embeddings: restoring them is what is checked.
        np.testing.assert_allclose(restored["before"], trained["before"], atol=1e-6)
        assert not np.allclose(restored["before"], restored["output"], atol=1e-3)
    assert "input_layer/title_hub_module_embedding/module/embeddings" in trained["trainable"]
    assert "input_layer/tags_hub_module_embedding/module/embeddings" in trained["trainable"]
    assert any(
        name.startswith("input_layer/photo_hub_module_embedding/module/")
        for name in trained["variables"]
    )

"""The TF1 graph of tests/feature_column/test_upstream_010_checkpoints.py, for either library.

It runs in the test's worker with tfhub and in a child with tensorflow_hub 0.10.0 (which imports
this module: it imports neither library itself).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any


def columns_seen(
    hub: ModuleType, text_module: str, image_module: str, folder: str, mode: str
) -> dict[str, Any]:
    """Builds a text, a sparse text and an image column of `hub` in a new graph, then either
    trains one step and saves a checkpoint in `folder` (`mode` "train") or restores the one
    there ("restore").

    Returns:
        {"before": the output before the step or restore, "output": after it, "variables" and
        "trainable": the sorted names of the graph's global and trainable variables}.
    """
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
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
            return {
                "before": before,
                "output": session.run(output).tolist(),
                "variables": sorted(v.op.name for v in v1.global_variables()),
                "trainable": sorted(v.op.name for v in v1.trainable_variables()),
            }

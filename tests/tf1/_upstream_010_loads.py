"""What tests/tf1/test_upstream_010_loads_tfhub_modules.py's loads see, for either library.

It runs in the test's worker with tfhub and in a child with tensorflow_hub 0.10.0 (which imports
this module: it imports neither library itself).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any


def modules_seen(hub: ModuleType, out: str) -> dict[str, Any]:
    """Loads each module exported in `out` twice per graph with `hub.Module` (trainable or
    not, with each tag set), applies the first one and reports what a user sees.

    Returns:
        {"<name> trainable=<bool> tags=<sorted tags>": outputs, regularization losses,
        variables, trainable variables, variable map, update ops, tables, asset paths
        (relative to `out`) and signatures (their input and output names)}.
    """
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    images = np.arange(2 * 8 * 8 * 3, dtype=np.float32).reshape(2, 8, 8, 3) / 100
    CALLS = {
        "multi": lambda m: {
            "default": m(tf.constant([[1.0, 2.0, 3.0]]), as_dict=True),
            "sum_pair": m({"a": tf.constant([1.0]), "b": tf.constant([2.0])}, signature="sum_pair"),
        },
        "vocab": lambda m: m(tf.constant(["a good film", "bad zzz", ""])),
        "partitioned": lambda m: m(tf.constant([0, 4, 9], tf.int64)),
        "control_flow": lambda m: m(tf.constant([1.0, -1.0])),
        "sparse": lambda m: m(tf.SparseTensor([[0, 1], [1, 3]], [1.0, 2.0], [2, 4])),
        "image": lambda m: {
            "features": m(tf.constant(images)),
            "size": tf.constant(hub.get_expected_image_size(m)),
        },
    }
    CALLS["multi_fine_tuned"] = CALLS["multi"]
    CALLS["re_exported"] = lambda m: m(tf.constant(["a good film", "the bad cat", ""]))
    CALLS["from_saved_model"] = lambda m: {
        "y": m({"x": tf.constant([[1.0, 2.0, 3.0]])}, signature="serving_default", as_dict=True),
        "ids": m({"keys": tf.constant(["a", "c", "b"])}, signature="lookup", as_dict=True),
    }
    TAG_SETS = {"image": [None, {"train"}], "from_saved_model": [{"serve"}]}

    def plain(value):
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return np.asarray(value).tolist()

    seen = {}
    for name, call in CALLS.items():
        for trainable in (False, True):
            for tags in TAG_SETS.get(name, [None]):
                with tf.Graph().as_default():
                    module = hub.Module(os.path.join(out, name), trainable=trainable, tags=tags)
                    hub.Module(os.path.join(out, name), trainable=trainable, tags=tags)  # Again.
                    outputs = call(module)
                    losses = v1.losses.get_regularization_losses()
                    with v1.Session() as sess:
                        sess.run([v1.global_variables_initializer(), v1.tables_initializer()])
                        values, loss_values = sess.run([outputs, losses])
                        asset_paths = sess.run(v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS))
                    signatures = sorted(module.get_signature_names())
                    seen[f"{name} trainable={trainable} tags={sorted(tags or [])}"] = {
                        "outputs": plain(values),
                        "losses": [float(loss) for loss in loss_values],
                        "variables": [[v.name, v.shape.as_list()] for v in v1.global_variables()],
                        "trainable": [v.name for v in v1.trainable_variables()],
                        "variable_map": sorted(module.variable_map),
                        "update_ops": len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)),
                        "tables": len(v1.get_collection(v1.GraphKeys.TABLE_INITIALIZERS)),
                        "assets": [os.path.relpath(path.decode(), out) for path in asset_paths],
                        "signatures": {
                            s: [
                                sorted(module.get_input_info_dict(s)),
                                sorted(module.get_output_info_dict(s)),
                            ]
                            for s in signatures
                        },
                    }
    return seen

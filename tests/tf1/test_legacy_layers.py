"""module_fn with tf.compat.v1.layers (needs Keras 2: TF_USE_LEGACY_KERAS=1, in a subprocess)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

pytestmark = [pytest.mark.tf, pytest.mark.slow]

_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    import tfhub as hub

    def module_fn(is_training):
        x = tf.compat.v1.placeholder(tf.float32, [None, 2])
        kernel = tf.compat.v1.constant_initializer([[1.0, 2.0], [3.0, 4.0]])
        dense = tf.compat.v1.layers.dense(x, 2, use_bias=False, kernel_initializer=kernel)
        out = tf.compat.v1.layers.batch_normalization(dense, training=is_training)
        hub.add_signature(inputs=x, outputs=out)

    variants = [(set(), {"is_training": False}), ({"train"}, {"is_training": True})]
    spec = hub.create_module_spec(module_fn, tags_and_args=variants)
    x = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    result = {}
    for tags in (set(), {"train"}):
        with tf.Graph().as_default():
            module = hub.Module(spec, tags=tags, trainable=True)
            y = module(x)
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                result[str(sorted(tags))] = {
                    "y": session.run(y).tolist(),
                    "update_ops": len(tf.compat.v1.get_collection("update_ops")),
                }
                if not tags:
                    module.export(sys.argv[1], session)
    print("RESULT" + json.dumps(result))
    """
)


def test_compat_v1_layers_under_legacy_keras(tmp_path: Path) -> None:
    env = child_env(TF_USE_LEGACY_KERAS="1")
    proc = run_warm_python(_SCRIPT, str(tmp_path / "exported"), env=env)
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT"))
    result = json.loads(line[len("RESULT") :])
    dense = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(result["[]"]["y"], dense / np.sqrt(1.0 + 1e-3), atol=1e-5)
    assert result["[]"]["update_ops"] == 0
    normalized = (dense - dense.mean(0)) / np.sqrt(dense.var(0) + 1e-3)
    np.testing.assert_allclose(result["['train']"]["y"], normalized, atol=1e-4)
    assert result["['train']"]["update_ops"] == 2
    assert (tmp_path / "exported" / "tfhub_module.pb").read_bytes() == b"\x08\x03"

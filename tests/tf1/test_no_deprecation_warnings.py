"""tfhub's own TF1 code logs no TensorFlow deprecation warning (issue 10, item 19).

TensorFlow logs each deprecated function once per process, so this runs in a process of its own
(forked from one that only imported TensorFlow: `run_warm_python`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tf

_SCRIPT = textwrap.dedent(
    """
    import sys
    import tensorflow as tf
    import tfhub as hub

    def module_fn():
        x = tf.compat.v1.placeholder(tf.float32, [None])
        words = tf.compat.v1.sparse_placeholder(tf.string)
        w = tf.compat.v1.get_variable("w", initializer=2.0)
        hub.add_signature(inputs=x, outputs=x * w)
        hub.add_signature("words", inputs=words, outputs=words)

    spec = hub.create_module_spec(module_fn)
    path = sys.argv[1] + "/module"
    with tf.Graph().as_default():
        module = hub.Module(spec)
        y = module([1.0])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    with hub.eval_function_for_module(path) as f:
        assert f([3.0]).tolist() == [6.0]
    print("done", file=sys.stderr)
    """
)


def test_create_module_spec_and_module_log_no_deprecation_warning(tmp_path: Path) -> None:
    result = run_warm_python(_SCRIPT, str(tmp_path), env=child_env(), timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "done" in result.stderr
    assert "deprecated" not in result.stderr, result.stderr[-3000:]

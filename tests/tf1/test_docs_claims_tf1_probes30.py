"""Claims of docs/tf1.md checked the way a reader would try them (session 30 probes).

An empty string as `tags` meant the default (empty-tag) graph variant in tensorflow_hub 0.10.0
(its `SavedModelHandler.get_meta_graph` compared against `set(tags or [])`), so code that passed
e.g. `tags=os.environ.get("HUB_TAGS", "")` read the default graph; tfhub took it as the one tag
`""` and raised UnknownGraphVariantError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
    w = tf.compat.v1.get_variable("w", initializer=np.array([[1.0], [2.0]], np.float32))
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))


@pytest.fixture(scope="module")
def spec() -> Any:
    """A one-signature module with the default graph variant only."""
    return hub.create_module_spec(_module_fn)


def test_an_empty_tags_string_reads_the_default_graph_variant_of_a_spec(spec: Any) -> None:
    assert spec.get_signature_names(tags="") == ["default"]
    assert spec.get_input_info_dict(tags="")["default"].get_shape().as_list() == [None, 2]


def test_an_empty_tags_string_instantiates_the_default_graph_variant(spec: Any) -> None:
    with tf.Graph().as_default():
        y = hub.Module(spec, tags="")(np.ones([1, 2], np.float32))
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            np.testing.assert_allclose(sess.run(y), [[3.0]])


def test_an_empty_tags_string_works_for_eval_function_and_an_exported_module(
    spec: Any, tmp_path: Path
) -> None:
    path = str(tmp_path / "module")
    spec.export(path, checkpoint_path=_checkpoint(spec, tmp_path))
    with hub.eval_function_for_module(path, tags="") as f:
        np.testing.assert_allclose(f(np.ones([1, 2], np.float32)), [[3.0]])
    assert hub.load_module_spec(path).get_signature_names(tags="") == ["default"]


def _checkpoint(spec: Any, tmp_path: Path) -> str:
    """Writes the module's initial variable values to a checkpoint; returns its prefix."""
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            prefix = str(tmp_path / "ckpt" / "model")
            return tf.compat.v1.train.Saver(module.variable_map).save(sess, prefix)


def test_a_validated_ragged_input_says_to_build_it_with_validate_false() -> None:
    """docs/tf1.md: inputs may be "ragged built from placeholders"; with the default
    validate=True the error spoke only of tf.colocate_with, which the reader never called."""

    def ragged_fn(validate: bool) -> None:
        values = tf.compat.v1.placeholder(tf.float32, [None])
        splits = tf.compat.v1.placeholder(tf.int64, [None])
        ragged = tf.RaggedTensor.from_row_splits(values, splits, validate=validate)
        hub.add_signature(inputs=ragged, outputs=tf.reduce_sum(ragged, 1))

    with pytest.raises(hub.errors.ModuleSpecError, match=r"(?s)^A tensor x .*validate=False"):
        hub.create_module_spec(ragged_fn, tags_and_args=[(set(), {"validate": True})])
    spec = hub.create_module_spec(ragged_fn, tags_and_args=[(set(), {"validate": False})])
    with tf.Graph().as_default():
        total = hub.Module(spec)(tf.ragged.constant([[1.0, 2.0], [3.0]]))
        with tf.compat.v1.Session() as sess:
            np.testing.assert_allclose(sess.run(total), [3.0, 3.0])

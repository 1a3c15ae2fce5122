"""TF1 Hub modules used the way TF1-style code used them: inputs that do not fit a signature,
modules in re-entered variable scopes, and `eval_function_for_module` fed the wrong values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
    w = tf.compat.v1.get_variable("w", initializer=np.array([[1.0], [2.0]], np.float32))
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))
    ids = tf.compat.v1.sparse_placeholder(tf.int64, [None, None], name="ids")
    hub.add_signature("count", inputs={"ids": ids}, outputs=tf.size(ids.values))
    a = tf.compat.v1.placeholder(tf.float32, [None], name="a")
    b = tf.compat.v1.placeholder(tf.int32, [None], name="b")
    hub.add_signature("scale", inputs={"a": a, "b": b}, outputs=a * tf.cast(b, tf.float32))


@pytest.fixture(scope="module")
def spec() -> Any:
    """A module with a dense, a sparse and a two-input signature."""
    return hub.create_module_spec(_module_fn)


@pytest.mark.parametrize(
    ("signature", "inputs", "says"),
    [
        ("scale", {"a": [1.0], "b": tf.constant([1.5])}, r"'b' of signature 'scale'"),
        ("scale", {"a": [1.0], "b": np.array(["x"])}, r"'b' of signature 'scale'"),
        ("default", [[1.0, 2.0, 3.0]], r"'default' of signature 'default'.*\(None, 2\)"),
        ("count", tf.constant([[1, 2]], tf.int64), r"'ids' of signature 'count'.*SparseTensor"),
    ],
)
def test_input_of_wrong_dtype_shape_or_kind_names_signature_and_input(
    spec: Any, signature: str, inputs: Any, says: str
) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(errors.SignatureInputError, match=says) as caught:
            module(inputs, signature=signature)
    assert isinstance(caught.value, TypeError)  # What upstream raised.
    assert "Received: " in str(caught.value)


def test_eager_module_input_of_wrong_shape_names_signature_and_input(spec: Any) -> None:
    module = hub.Module(spec)
    with pytest.raises(errors.SignatureInputError, match=r"'default' of signature 'default'"):
        module(np.ones([1, 5], np.float32))


@pytest.mark.parametrize(
    ("signature", "inputs", "says"),
    [
        ("default", np.ones([1, 5], np.float32), r"shape \(1, 5\)"),
        ("scale", {"a": ["x"], "b": [1]}, r"'a': 'float32 \(None,\)'"),
        ("count", [[1, 2]], r"'ids': 'SparseTensorValue of int64 \(None, None\)'"),
    ],
)
def test_eval_function_fed_a_wrong_value_names_the_signature(
    spec: Any, signature: str, inputs: Any, says: str
) -> None:
    with hub.eval_function_for_module(spec) as f:
        with pytest.raises(errors.SignatureInputError, match=says) as caught:
            f(inputs, signature=signature)
        assert f"signature {signature!r}" in str(caught.value)
        assert isinstance(caught.value, ValueError)  # What Session.run raised.
        np.testing.assert_allclose(f({"a": [2.0], "b": [3]}, signature="scale"), [6.0])


@pytest.mark.parametrize("reuse", [True, tf.compat.v1.AUTO_REUSE])
def test_module_in_a_reentered_variable_scope_says_how_to_share(spec: Any, reuse: Any) -> None:
    with tf.Graph().as_default():
        with tf.compat.v1.variable_scope("tower"):
            hub.Module(spec, name="encoder")
        with tf.compat.v1.variable_scope("tower", reuse=reuse):
            with pytest.raises(errors.ModuleGraphError, match=r"name=") as caught:
                hub.Module(spec, name="encoder")
    assert isinstance(caught.value, RuntimeError)  # As upstream.
    assert "Apply one hub.Module several times" in str(caught.value)
    assert "Received: name='encoder'" in str(caught.value)


def _dense_module_fn(dim: int = 3) -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, dim])
    w = tf.compat.v1.get_variable("dense/kernel", [dim, dim])
    b = tf.compat.v1.get_variable("dense/bias", [dim], initializer=tf.compat.v1.zeros_initializer())
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w) + b)


@pytest.fixture(scope="module")
def block_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A checkpoint of a model whose dense layer (3 units) is under the scope "block"."""
    prefix = str(tmp_path_factory.mktemp("ckpt") / "model")
    with tf.Graph().as_default():
        with tf.compat.v1.variable_scope("block"):
            _dense_module_fn()
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, prefix)
    return prefix


@pytest.mark.parametrize(
    ("dim", "scope", "says"),
    [
        (4, "block/", r"doesn't match with shape of"),  # Upstream's words, kept.
        (3, "other/", r"other/dense/(bias|kernel) is not found in"),
    ],
)
def test_spec_export_from_a_checkpoint_that_does_not_fit_is_an_export_error(
    block_checkpoint: str, tmp_path: Any, dim: int, scope: str, says: str
) -> None:
    spec = hub.create_module_spec(lambda: _dense_module_fn(dim))
    with pytest.raises(errors.ExportError, match=says) as caught:
        spec.export(
            str(tmp_path / "module"),
            checkpoint_path=block_checkpoint,
            name_transform_fn=lambda name: scope + name,
        )
    assert isinstance(caught.value, ValueError)  # What upstream raised.
    assert "name_transform_fn" in str(caught.value)
    assert not (tmp_path / "module").exists()
    hub.create_module_spec(_dense_module_fn).export(
        str(tmp_path / "fits"),
        checkpoint_path=block_checkpoint,
        name_transform_fn=lambda name: "block/" + name,
    )
    assert hub.load_module_spec(str(tmp_path / "fits")).get_signature_names() == ["default"]


def test_module_whose_variables_belong_to_another_module_is_a_damaged_model(
    tmp_path: Any,
) -> None:
    for name, dim in (("three", 3), ("four", 4)):
        with tf.Graph().as_default():
            module = hub.Module(hub.create_module_spec(lambda dim=dim: _dense_module_fn(dim)))
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                module.export(str(tmp_path / name), session)
    (tmp_path / "three" / "variables").rename(tmp_path / "old_variables")
    (tmp_path / "four" / "variables").rename(tmp_path / "three" / "variables")
    with tf.Graph().as_default():
        with pytest.raises(errors.DamagedModelError, match=r"doesn't match with shape") as caught:
            hub.Module(str(tmp_path / "three"))
    assert isinstance(caught.value, ValueError)  # What TensorFlow raised.
    assert caught.value.path == str(tmp_path / "three")
    assert "export it again" in str(caught.value)

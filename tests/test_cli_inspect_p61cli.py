"""`tfhub inspect` of a model that is not callable: the hub.KerasLayer call it suggests runs.

A TF2 SavedModel without `__call__` (a Keras 3 `model.export`, a tf.Module saved with
signatures) is used through a signature. inspect prints the call to make; these tests copy it
the way a user does and run it, for a serving signature with one output and with several.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from tfhub.cli.main import main

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tf

_PREFIX = "__call__: none (not callable): hub.KerasLayer(handle, "
_SUFFIX = ") calls a signature"


def _save(path: Path, outputs: int) -> str:
    """Saves a tf.Module with no `__call__` whose serving signature returns `outputs` outputs
    (x * 1, x * 2, ...) under the keys out0, out1, ..."""

    class Scaled(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {f"out{i}": x * float(i + 1) for i in range(outputs)}

    module = Scaled()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return str(path)


def _save_tf1(path: Path) -> str:
    """Saves a TF1 SavedModel (not the TF1 Hub format) whose serving signature returns x * w
    as "y" and x * w * 2 as "z"."""
    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as session:
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.get_variable("w", initializer=[1.0, 2.0])
        session.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(str(path))
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": x * w, "z": x * w * 2})
        builder.add_meta_graph_and_variables(
            session, ["serve"], signature_def_map={"serving_default": signature}
        )
        builder.save()
    return str(path)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[int | str, str]:
    """The saved models by their number of outputs; "tf1": a TF1 SavedModel."""
    root = tmp_path_factory.mktemp("not-callable")
    made: dict[int | str, str] = {
        outputs: _save(root / f"outputs{outputs}", outputs) for outputs in (1, 3)
    }
    made["tf1"] = _save_tf1(root / "tf1")
    return made


def _suggested_arguments(capsys: pytest.CaptureFixture[str], model: str) -> dict[str, object]:
    """The keyword arguments of the hub.KerasLayer call `tfhub inspect MODEL` suggests."""
    code = main(["inspect", model])
    out, err = capsys.readouterr()
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.startswith("__call__"))
    assert line.startswith(_PREFIX) and line.endswith(_SUFFIX), line
    call = ast.parse(f"f({line[len(_PREFIX) : -len(_SUFFIX)]})", mode="eval").body
    assert isinstance(call, ast.Call)
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}


@pytest.mark.parametrize("outputs", [1, 3])
def test_the_suggested_keras_layer_call_runs(
    capsys: pytest.CaptureFixture[str], models: dict[int | str, str], outputs: int
) -> None:
    """Several outputs: inspect suggested `signature='serving_default'` alone, and that
    hub.KerasLayer raised ArgumentError ("either output_key or signature_outputs_as_dict=True
    should be set"). Now it suggests signature_outputs_as_dict=True, which returns them all."""
    import tfhub as hub

    arguments = _suggested_arguments(capsys, models[outputs])
    layer = hub.KerasLayer(models[outputs], **arguments)
    result = layer(np.ones((1, 2), np.float32))
    if outputs == 1:
        np.testing.assert_allclose(result, [[1.0, 1.0]])
    else:
        assert sorted(result) == ["out0", "out1", "out2"]
        np.testing.assert_allclose(result["out2"], [[3.0, 3.0]])


def test_a_tf1_saved_model_gets_the_suggested_call_too(
    capsys: pytest.CaptureFixture[str], models: dict[int | str, str]
) -> None:
    """A TF1 SavedModel (not the TF1 Hub format) has no `__call__` either: hub.KerasLayer
    needs `signature=` for it. inspect printed no `__call__` line for it at all."""
    import tfhub as hub

    arguments = _suggested_arguments(capsys, models["tf1"])
    result = hub.KerasLayer(models["tf1"], **arguments)(np.ones((1, 2), np.float32))
    np.testing.assert_allclose(result["z"], [[2.0, 4.0]])

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


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    """The saved models by their number of outputs."""
    root = tmp_path_factory.mktemp("not-callable")
    return {outputs: _save(root / f"outputs{outputs}", outputs) for outputs in (1, 3)}


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
    capsys: pytest.CaptureFixture[str], models: dict[int, str], outputs: int
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

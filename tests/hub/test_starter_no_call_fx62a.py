"""The starter doc of a SavedModel without `__call__` (only signatures) says how to use it.

`tfhub publish` wrote `fine-tunable: true` (it had variables) and a usage snippet of
`hub.load` alone for a `tf.Module` saved with `signatures={...}` and no `__call__`: such a model
cannot be fine-tuned as tfhub.dev meant it (upstream's Reusable SavedModel API trains through
`__call__`; its hub.KerasLayer refuses `trainable=True` with `signature=`), and hub.KerasLayer
refuses it without `signature=`. The snippet written now is run as written against the model
served by `tfhub serve`; a model whose `__call__` trains no variable is not fine-tunable either.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.hub_server import serve_hub

pytestmark = [pytest.mark.tf, pytest.mark.slow]

X = [[1.0, 2.0, 3.0]]


def _save_signature_only(path: Path) -> str:
    """A tf.Module with a variable, saved with one two-output signature and no `__call__`."""
    import tensorflow as tf

    class Signed(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[1.0], [2.0], [3.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": x @ self.w, "z": x * 2.0}

    model = Signed()
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return str(path)


def _save_callable(path: Path, *, trainable: bool) -> str:
    """A callable tf.Module `x @ w` whose one variable is trainable or not."""
    import tensorflow as tf

    class Called(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[1.0], [2.0], [3.0]], trainable=trainable)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            return x @ self.w

    tf.saved_model.save(Called(), str(path))
    return str(path)


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tfhub.hub.publish import publish
    from tfhub.hub.starter import StarterInfo

    work = tmp_path_factory.mktemp("no_call")
    root = work / "root"
    info = StarterInfo(task="image-classification")
    publish(_save_signature_only(work / "signed"), root, "lab/signed/1", info=info)
    publish(_save_callable(work / "frozen", trainable=False), root, "lab/frozen/1", info=info)
    publish(_save_callable(work / "tuned", trainable=True), root, "lab/tuned/1", info=info)
    return root


def _doc(root: Path, model: str) -> str:
    return (root / f"assets/docs/lab/models/{model}/1.md").read_text()


def _metadata(doc: str, key: str) -> str:
    found = re.search(rf"<!-- {key}: (\S+) -->", doc)
    assert found, doc
    return found.group(1)


@pytest.mark.parametrize(
    ("model", "expected"), [("signed", "false"), ("frozen", "false"), ("tuned", "true")]
)
def test_fine_tunable_needs_a_call_and_a_trainable_variable(
    hub_root: Path, model: str, expected: str
) -> None:
    """signed: no `__call__` (it said true: it has a variable); frozen: `__call__` trains no
    variable (it said true); tuned: a trainable one (true, as before)."""
    assert _metadata(_doc(hub_root, model), "fine-tunable") == expected


def test_a_callable_models_snippet_is_hub_load_alone(hub_root: Path) -> None:
    snippet = _snippet(_doc(hub_root, "tuned"))
    assert snippet.strip().splitlines()[-1] == 'model = hub.load("https://HUB_HOST/lab/tuned/1")'
    assert "KerasLayer" not in snippet


def _snippet(doc: str) -> str:
    found = re.search(r"## Usage\n\n```python\n(.*?)```", doc, re.S)
    assert found, doc
    return found.group(1)


def test_the_snippet_of_a_model_without_call_runs_as_written_against_the_server(
    hub_root: Path, tmp_path: Path
) -> None:
    """The doc's snippet, its HUB_HOST the server's address (as its pages show it), runs:
    hub.load, then hub.KerasLayer with the signature and its outputs as a dict, which gives
    the model's outputs; hub.KerasLayer(handle) alone is refused (what the snippet avoids)."""
    import tfhub as hub

    snippet = _snippet(_doc(hub_root, "signed"))
    assert "signature_outputs_as_dict=True" in snippet, snippet
    with serve_hub(hub_root, tmp_path / "serve.log") as server:
        url = server.url("").rstrip("/")
        scope: dict = {}
        exec(snippet.replace("https://HUB_HOST", url), scope)  # The doc's code, as a user runs it.
        with pytest.raises(ValueError, match="signature"):
            hub.KerasLayer(f"{url}/lab/signed/1")
    outputs = scope["layer"](np.array(X, np.float32))
    assert sorted(outputs) == ["y", "z"]
    np.testing.assert_allclose(outputs["y"].numpy(), [[14.0]])
    np.testing.assert_allclose(outputs["z"].numpy(), [[2.0, 4.0, 6.0]])
    assert set(scope["model"].signatures) == {"serving_default"}

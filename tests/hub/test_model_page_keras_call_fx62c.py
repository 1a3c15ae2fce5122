"""The model page's `hub.KerasLayer(...)` line runs as written, as the starter doc's does.

The page showed `hub.KerasLayer("<url>", trainable=False)` for every Module, which hub.KerasLayer
refuses for a SavedModel without `__call__` (SignatureRequiredError) and for a TF1 Hub module
whose `default` signature has no `default` output (UnknownOutputKeyError), while the starter
doc's snippet (fx62a) said how to call the first. Both now show hub/keras_call.py's one choice.
Tiny models are published and served by `tfhub serve`; each page's snippet is fetched and run
as a user runs it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.hub_server import serve_hub
from tests.hub.test_starter_no_call_fx62a import _save_signature_only

pytestmark = [pytest.mark.tf, pytest.mark.slow]

X = [[1.0, 2.0, 3.0]]


def _save_callable(path: Path) -> None:
    """A `__call__` x @ [1, 2, 3]."""
    import tensorflow as tf

    class Called(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[1.0], [2.0], [3.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            return x @ self.w

    tf.saved_model.save(Called(), str(path))


def _save_bare(path: Path) -> None:
    """Neither `__call__` nor signatures."""
    import tensorflow as tf

    module = tf.Module()
    module.w = tf.Variable(1.0)
    tf.saved_model.save(module, str(path))


def _export_tf1(path: Path, *, outputs: str) -> None:
    """A TF1 Hub module whose `default` signature gives `default` (x @ 1) or `a` (x @ 1), `b`
    (2x)."""
    import tensorflow as tf

    import tfhub as hub

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        ones = tf.compat.v1.ones_initializer()
        y = tf.matmul(x, tf.compat.v1.get_variable("w", [3, 1], initializer=ones))
        named = {"default": y} if outputs == "default" else {"a": y, "b": x * 2.0}
        hub.add_signature(inputs={"x": x}, outputs=named)

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(str(path), session)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Each model's page `hub.KerasLayer` line ("keras"), starter doc ("doc") and what the
    line's layer gave on X while the hub was served ("result": outputs or the error)."""
    import tfhub as hub
    from tfhub.hub.publish import publish
    from tfhub.hub.starter import StarterInfo

    work = tmp_path_factory.mktemp("page_keras")
    root = work / "root"
    makers = {
        "signed": _save_signature_only,
        "called": _save_callable,
        "bare": _save_bare,
        "tf1-dict": lambda path: _export_tf1(path, outputs="dict"),
        "tf1-default": lambda path: _export_tf1(path, outputs="default"),
    }
    for name, make in makers.items():
        make(work / name)
        publish(work / name, root, f"lab/{name}/1", info=StarterInfo(task="image-classification"))
    found: dict[str, dict[str, str]] = {}
    with serve_hub(root, work / "serve.log") as server:
        url = server.url("").rstrip("/")
        for name in makers:
            found[name] = _page_parts(_fetch(server.url(f"lab/{name}/1")))
            found[name]["doc"] = (root / f"assets/docs/lab/models/{name}/1.md").read_text()
            found[name]["result"] = _run(hub, found[name]["keras"], url)
    return found


def _fetch(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as answer:
        return answer.read().decode()


def _page_parts(page: str) -> dict[str, str]:
    """The text of the page's `hub.KerasLayer` snippet, as a browser shows it."""
    found = re.search(r'<pre id="snippet-keras"><code>(.*?)</code></pre>', page, re.S)
    assert found, page
    return {"keras": html.unescape(found.group(1))}


def _run(hub: object, line: str, url: str) -> object:
    """Runs the page's line with `hub` = tfhub, then the layer on X; returns its output or the
    exception raised."""
    scope: dict = {"hub": hub}
    try:
        exec(line, scope)  # The page's code, as a user pastes it.
        layer = scope.get("layer")
        return None if layer is None else layer(np.array(X, np.float32))
    except Exception as error:  # What the user would see, kept for the asserts.
        return error


def test_a_model_without_call_gets_a_line_calling_its_signature(served: dict) -> None:
    """It said hub.KerasLayer(url, trainable=False): SignatureRequiredError."""
    signed = served["signed"]
    assert "signature='serving_default', signature_outputs_as_dict=True" in signed["keras"]
    outputs = signed["result"]
    assert isinstance(outputs, dict), outputs
    np.testing.assert_allclose(outputs["y"].numpy(), [[14.0]])
    np.testing.assert_allclose(outputs["z"].numpy(), [[2.0, 4.0, 6.0]])


def test_a_tf1_module_without_default_output_gets_its_signature_as_a_dict(served: dict) -> None:
    """It said hub.KerasLayer(url, trainable=False): UnknownOutputKeyError ('default')."""
    module = served["tf1-dict"]
    assert "signature='default', signature_outputs_as_dict=True" in module["keras"]
    outputs = module["result"]
    assert isinstance(outputs, dict), outputs
    np.testing.assert_allclose(outputs["a"].numpy(), [[6.0]])
    np.testing.assert_allclose(outputs["b"].numpy(), [[2.0, 4.0, 6.0]])


@pytest.mark.parametrize(("model", "expected"), [("called", 14.0), ("tf1-default", 6.0)])
def test_a_callable_model_and_a_tf1_default_output_keep_the_handle_alone(
    served: dict, model: str, expected: float
) -> None:
    assert served[model]["keras"].endswith(f'/lab/{model}/1", trainable=False)')
    np.testing.assert_allclose(np.asarray(served[model]["result"]), [[expected]])


def test_a_model_without_call_or_signatures_says_keras_layer_cannot_use_it(served: dict) -> None:
    bare = served["bare"]
    assert bare["keras"].startswith("# hub.KerasLayer cannot use this model"), bare["keras"]
    assert "hub.KerasLayer cannot use it" in bare["doc"]


@pytest.mark.parametrize("model", ["signed", "tf1-dict"])
def test_the_starter_doc_shows_the_same_call_as_the_page(served: dict, model: str) -> None:
    """One choice: the doc's hub.KerasLayer keywords are the page's (the TF1 module's doc
    said hub.load alone)."""
    keywords = re.findall(
        r"(signature='.*?'|output_key='.*?'|signature_outputs_as_dict=True)", served[model]["keras"]
    )
    doc = served[model]["doc"]
    assert keywords and all(f"    {word}," in doc for word in keywords), doc

"""`tfhub inspect --json` says whether the model has a `__call__`, and gives the text's hint.

The text output of a SavedModel without `__call__` (only signatures) names the hub.KerasLayer
call that uses a signature; its JSON had no such word, so a script reading it could not tell
that `hub.KerasLayer(handle)` would be refused. The JSON now ends with "callable" (a bool) and
"hints" (the lines the text adds), its other keys as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

pytestmark = pytest.mark.tf

DESCRIBED_KEYS = ["path", "op_libraries", "format", "files_bytes", "meta_graphs", "variables"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A tf.Module saved with a signature and no `__call__` ("signed"), and a callable one."""
    import tensorflow as tf

    spec = [tf.TensorSpec([None, 3], tf.float32)]
    work = tmp_path_factory.mktemp("call_fields")
    signed = tf.Module()
    signed.w = tf.Variable([[1.0], [2.0], [3.0]])
    serve = tf.function(lambda x: {"y": x @ signed.w, "z": x * 2.0}, input_signature=spec)
    tf.saved_model.save(signed, str(work / "signed"), signatures={"serving_default": serve})
    called = tf.Module()
    called.w = tf.Variable([[1.0], [2.0], [3.0]])
    called.__call__ = tf.function(lambda x: x @ called.w, input_signature=spec)
    tf.saved_model.save(called, str(work / "called"))
    return {"signed": str(work / "signed"), "called": str(work / "called")}


def _inspect(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run_tfhub(capsys, "inspect", *argv)
    assert code == 0, err
    return out


def test_json_of_a_model_without_call_says_so_and_gives_the_texts_hint(
    capsys: pytest.CaptureFixture[str], models: dict[str, str]
) -> None:
    info = json.loads(_inspect(capsys, "--json", models["signed"]))
    text = _inspect(capsys, models["signed"])
    assert info["callable"] is False
    assert len(info["hints"]) == 1
    hint = info["hints"][0]
    assert "signature='serving_default', signature_outputs_as_dict=True" in hint
    assert hint in text.splitlines()  # The very line the text output shows.


def test_json_of_a_callable_model_has_no_hint_and_keeps_its_keys(
    capsys: pytest.CaptureFixture[str], models: dict[str, str]
) -> None:
    """The keys before are unchanged and in their order; the two new ones come last."""
    info = json.loads(_inspect(capsys, "--json", models["called"]))
    assert info["callable"] is True and info["hints"] == []
    assert list(info) == [*DESCRIBED_KEYS, "reusable", "callable", "hints"]
    assert "call" in info["reusable"]


def test_json_of_a_tf1_hub_module_is_not_callable_and_needs_no_hint(
    capsys: pytest.CaptureFixture[str], upstream_dir: Path
) -> None:
    """hub.KerasLayer calls a TF1 Hub module's `default` signature without `signature=`: the
    text output adds no hint, nor does the JSON."""
    info = json.loads(_inspect(capsys, "--json", str(upstream_dir / "tf1_multi_sig")))
    assert info["callable"] is False and info["hints"] == []
    assert list(info) == [*DESCRIBED_KEYS, "callable", "hints"]

"""`hub.load` of a TF1-format SavedModel with tags it lacks is also a RuntimeError (review49c F1).

Upstream's `hub.load` passed `tags` to `tf.compat.v1.saved_model.load_v2`: a SavedModel without
one TF2 object graph goes to TensorFlow's TF1 loader, which raises RuntimeError for tags that match
none of its tag sets (the record tests/data/upstream/tf1_multi_sig.expected.json says so); a TF2
SavedModel raises ValueError. tfhub checks the tags first and raises UnknownTagsError (a
ValueError): for a TF1-format model it must be a RuntimeError too, so `except RuntimeError:`
around hub.load still catches it.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf
tf = pytest.importorskip("tensorflow")


def _recorded_error(upstream_dir: Path, name: str, call: str) -> dict[str, Any]:
    record = json.loads((upstream_dir / f"{name}.expected.json").read_text())
    return next(e for e in record["errors"] if e["call"] == call)


def _plain_tf1_saved_model(path: Path) -> str:
    """A TF1 SavedModel (no tfhub_module.pb) with one MetaGraph tagged 'serve'."""
    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as session:
        x = v1.placeholder(tf.float32, [None])
        builder = v1.saved_model.Builder(str(path))
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": x * 2.0})
        builder.add_meta_graph_and_variables(
            session, ["serve"], signature_def_map={"serving_default": signature}
        )
        builder.save()
    return str(path)


def test_a_tf1_hub_module_with_unknown_tags_raises_what_upstream_raised(upstream_dir) -> None:
    recorded = _recorded_error(upstream_dir, "tf1_multi_sig", "hub.load(path, tags={'train'})")
    with pytest.raises(errors.UnknownTagsError, match=r"Its tag sets are: \[\]\. ") as info:
        hub.load(str(upstream_dir / "tf1_multi_sig"), tags={"train"})
    assert recorded["raises"] == "RuntimeError" and isinstance(info.value, RuntimeError)
    assert isinstance(info.value, ValueError)  # tfhub's UnknownTagsError contract is kept.
    assert info.value.available == [[]]
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is type(info.value) and again.available == [[]]


def test_a_plain_tf1_saved_model_with_unknown_tags_is_a_runtime_error(tmp_path) -> None:
    path = _plain_tf1_saved_model(tmp_path / "tf1plain")
    with pytest.raises(RuntimeError, match=r"Its tag sets are: \['serve'\]") as info:
        hub.load(path, tags=["train"])
    assert isinstance(info.value, errors.UnknownTagsError)
    assert sorted(hub.load(path, tags=["serve"]).signatures) == ["serving_default"]


def test_a_tf2_saved_model_with_unknown_tags_stays_a_value_error_only(upstream_dir) -> None:
    recorded = _recorded_error(upstream_dir, "tf2_saved_model", "hub.load(path, tags={'train'})")
    with pytest.raises(errors.UnknownTagsError) as info:
        hub.load(str(upstream_dir / "tf2_saved_model"), tags={"train"})
    assert recorded["raises"] == "ValueError" and not isinstance(info.value, RuntimeError)


def test_no_tags_for_a_tf1_model_with_two_tag_sets_stays_a_value_error_only(tmp_path) -> None:
    """TensorFlow's TF1 loader raised ValueError for tags=None and several MetaGraphs."""
    path = tmp_path / "two"
    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as session:
        x = v1.placeholder(tf.float32, [None])
        builder = v1.saved_model.Builder(str(path))
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": x * 2.0})
        signatures = {"serving_default": signature}
        builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map=signatures)
        builder.add_meta_graph(["train"], signature_def_map=signatures)
        builder.save()
    with pytest.raises(errors.UnknownTagsError, match="has 2 MetaGraphs") as info:
        hub.load(str(path))
    assert not isinstance(info.value, RuntimeError)
    with pytest.raises(RuntimeError, match=r"\['serve'\], \['train'\]"):
        hub.load(str(path), tags=["eval"])

"""Every path-taking entry point works on a tf.io.gfile URL (ram://, file://), as in upstream.

Each kind of model (TF1 text module with a vocabulary asset, TF1 multi-signature module, TF2
SavedModel) is copied to TensorFlow's in-memory `ram://` filesystem, which behaves like gs://
for these code paths (no local file exists), and checked against upstream's recorded numbers.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR, assert_matches_record, record_array
from tests._helpers.upstream_records import record as expected_json
from tests.tf1.conftest import numpy_inputs

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _copy_to_gfile(source: Path, target: str) -> str:
    for root, _, files in os.walk(source):
        relative = os.path.relpath(root, source)
        folder = target if relative == "." else f"{target}/{relative}"
        tf.io.gfile.makedirs(folder)
        for name in files:
            tf.io.gfile.copy(os.path.join(root, name), f"{folder}/{name}", overwrite=True)
    return target


@pytest.fixture(scope="module")
def ram() -> dict[str, str]:
    """{fixture name: its ram:// copy}."""
    base = f"ram://tfhub-gfile-{uuid.uuid4().hex}"
    names = ["tf1_text_vocab", "tf1_multi_sig", "tf2_saved_model"]
    return {name: _copy_to_gfile(UPSTREAM_DIR / name, f"{base}/{name}") for name in names}


def _run(name: str, api: str) -> dict[str, Any]:
    return next(run for run in expected_json(name)["runs"] if run["api"] == api)


def _module_outputs(spec_or_path: Any, run: dict[str, Any], *, export_to: str | None = None) -> Any:
    """Runs hub.Module in a graph (tables initialized), optionally exporting it after."""
    with tf.Graph().as_default():
        module = hub.Module(spec_or_path)
        outputs = module(numpy_inputs(run["inputs"]), signature=run["signature"], as_dict=True)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())  # Reads the vocabulary asset.
            values = session.run(outputs)
            if export_to:
                module.export(export_to, session)
    return values


def test_module_with_vocab_asset_runs_and_exports_on_ram(ram: dict[str, str]) -> None:
    run = _run("tf1_text_vocab", "hub.Module")
    assert_matches_record(
        _module_outputs(ram["tf1_text_vocab"], run)["default"], run["outputs"]["default"]
    )
    exported = ram["tf1_text_vocab"] + "-exported"
    _module_outputs(ram["tf1_text_vocab"], run, export_to=exported)
    assert tf.io.gfile.listdir(exported + "/assets") == ["tokens.txt"]
    assert not tf.io.gfile.glob(exported + "/.tmp*")  # No temporary file left behind.
    spec = hub.load_module_spec(exported)  # The exported module runs from its new place.
    assert_matches_record(_module_outputs(spec, run)["default"], run["outputs"]["default"])
    with hub.eval_function_for_module(exported) as embed:
        assert_matches_record(embed(numpy_inputs(run["inputs"])), run["outputs"]["default"])


def test_asset_paths_of_a_url_are_not_made_local(ram: dict[str, str]) -> None:
    spec = hub.load_module_spec(ram["tf1_text_vocab"])
    strings = [
        value
        for node in spec.get_meta_graph().graph_def.node
        if node.op == "Const"
        for value in node.attr["value"].tensor.string_val
    ]
    assert ram["tf1_text_vocab"].encode() + b"/assets/tokens.txt" in strings


def test_multi_signature_module_on_ram(ram: dict[str, str]) -> None:
    for run in [r for r in expected_json("tf1_multi_sig")["runs"] if r["api"] == "hub.Module"]:
        if run["tags"] or run["trainable"]:
            continue
        got = _module_outputs(ram["tf1_multi_sig"], run)
        for key, value in run["outputs"].items():
            assert_matches_record(got[key], value)


def test_load_module_spec_on_ram_tells_tf2_apart(ram: dict[str, str]) -> None:
    assert hub.load_module_spec(ram["tf1_multi_sig"]).get_signature_names()
    with pytest.raises(errors.NotATF1ModuleError, match="it is a TF2 SavedModel"):
        hub.load_module_spec(ram["tf2_saved_model"])


def test_hub_load_on_ram_uses_tf1_default_tags(ram: dict[str, str]) -> None:
    loaded = hub.load(ram["tf1_text_vocab"])
    assert loaded._is_hub_module_v1 is True
    run = _run("tf1_text_vocab", "hub.load")
    got = loaded.signatures["default"](
        **{k: tf.constant(v) for k, v in numpy_inputs(run["inputs"]).items()}
    )
    assert_matches_record(got["default"], run["outputs"]["default"])
    assert hub.load(ram["tf2_saved_model"])._is_hub_module_v1 is False


def test_keras_layer_on_ram_recognises_tf1_and_tf2(ram: dict[str, str]) -> None:
    run = _run("tf1_text_vocab", "hub.KerasLayer")
    layer = hub.KerasLayer(ram["tf1_text_vocab"])  # Upstream: a TF1 module's default signature.
    got = layer(tf.constant(record_array(run["inputs"]["sentences"]).astype(str)))
    assert_matches_record(got, run["outputs"])
    run = _run("tf2_saved_model", "hub.KerasLayer")  # trainable=True, called with training=False.
    layer = hub.KerasLayer(ram["tf2_saved_model"], trainable=True)
    got = layer(numpy_inputs(run["inputs"])["x"], training=False)
    np.testing.assert_allclose(got.numpy(), record_array(run["outputs_training_false"]), atol=1e-5)


def test_text_embedding_column_on_ram(ram: dict[str, str]) -> None:
    record = expected_json("tf1_text_vocab")["feature_columns"][0]
    column = hub.text_embedding_column("sentences", ram["tf1_text_vocab"])
    with tf.Graph().as_default():
        inputs = numpy_inputs(record["inputs"])["sentences"]
        output = tf.compat.v1.feature_column.input_layer(
            {"sentences": tf.constant(inputs)}, [column]
        )
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            assert_matches_record(session.run(output), record["output"])


def test_module_from_file_url(tmp_path: Path) -> None:
    url = "file://" + str(UPSTREAM_DIR / "tf1_text_vocab")
    run = _run("tf1_text_vocab", "hub.Module")
    got = _module_outputs(url, run, export_to="file://" + str(tmp_path / "out"))
    assert_matches_record(got["default"], run["outputs"]["default"])
    assert (tmp_path / "out" / "assets" / "tokens.txt").is_file()


def test_eager_module_runs_and_exports_on_ram(ram: dict[str, str]) -> None:
    run = _run("tf1_text_vocab", "hub.Module")
    module = hub.Module(ram["tf1_text_vocab"])  # Eagerly (tfhub's extension).
    inputs = numpy_inputs(run["inputs"])
    assert_matches_record(module(inputs, as_dict=True)["default"], run["outputs"]["default"])
    exported = ram["tf1_text_vocab"] + "-eager-exported"
    module.export(exported)
    assert tf.io.gfile.listdir(exported + "/assets") == ["tokens.txt"]
    again = hub.Module(exported)
    assert_matches_record(again(inputs, as_dict=True)["default"], run["outputs"]["default"])

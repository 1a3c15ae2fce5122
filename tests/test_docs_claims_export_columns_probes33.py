"""Claims of docs/export.md that no other test checked, on real TF1 modules and checkpoints of a
real tf.compat.v1 graph.

Each test quotes the claim it checks in its docstring.
"""

from __future__ import annotations

import logging
import os
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

tf = pytest.importorskip("tensorflow")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

X = np.array([[1.0], [2.0], [-3.0]], np.float32)


def _scale_module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 1])
    s = tf.compat.v1.get_variable("s", [], initializer=tf.compat.v1.ones_initializer())
    hub.add_signature(inputs=x, outputs=x * s)


@pytest.fixture(scope="module")
def spec() -> Any:
    return hub.create_module_spec(_scale_module_fn)


def _serving_input_fn() -> Any:
    x = tf.compat.v1.placeholder(tf.float32, [None, 1], name="x")
    return types.SimpleNamespace(features={"x": x}, receiver_tensors={"x": x})


def _checkpoint(model_dir: Path, values: dict[str, float], *, step: bool = True) -> str:
    """Writes a checkpoint of scalar variables `values` (and the global step) into model_dir."""
    with tf.Graph().as_default():
        for name, value in values.items():
            tf.compat.v1.get_variable(
                name, [], initializer=tf.compat.v1.constant_initializer(value)
            )
        if step:
            tf.compat.v1.train.create_global_step()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver().save(session, os.fspath(model_dir / "model.ckpt"))


def _exported_scale(export_dir: bytes, name: str) -> np.ndarray:
    module = hub.load(os.fsdecode(os.path.join(export_dir, os.fsencode(name))))
    return module.signatures["default"](default=tf.constant(X))["default"].numpy()


def test_model_fn_gets_config_the_seed_and_the_global_step_it_asks_for(
    spec: Any, tmp_path: Path
) -> None:
    """The page says:

    "`estimator` may be any object with `model_fn` (called with the arguments it accepts among
    `features`, `labels`, `mode`, `params`, `config`), `config` (may be None; `tf_random_seed` is
    honoured)"; "the exporter creates the global step before calling `model_fn` (which may use
    it)"."""
    _checkpoint(tmp_path, {"scale/s": 3.0})
    seen: dict[str, Any] = {}

    def model_fn(features: Any, config: Any) -> Any:  # No labels, mode nor params.
        seen["config"] = config
        seen["seed"] = tf.compat.v1.get_default_graph().seed
        seen["step"] = tf.compat.v1.train.get_global_step()
        module = hub.Module(spec, name="scale")
        hub.register_module_for_export(module, "scale")
        return types.SimpleNamespace(predictions=module(features["x"]))

    config = types.SimpleNamespace(tf_random_seed=1234)
    estimator = types.SimpleNamespace(model_fn=model_fn, config=config, model_dir=str(tmp_path))
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    export_dir = exporter.export(estimator, os.fspath(tmp_path / "export"))
    assert seen["config"] is config and seen["seed"] == 1234
    assert seen["step"] is not None and seen["step"].name == "global_step:0"
    np.testing.assert_allclose(_exported_scale(export_dir, "scale"), X * 3.0)


def test_a_scaffold_saver_of_the_model_fn_is_used_as_it_is(spec: Any, tmp_path: Path) -> None:
    """The page says:

    "A `scaffold.saver` returned by `model_fn` is used as it is": here it restores the
    module's variable from a checkpoint that stores it under another name, which the exporter's
    own saver (the graph's names) could not find."""
    _checkpoint(tmp_path, {"stored_scale": 5.0}, step=False)

    def model_fn(features: Any, labels: Any, mode: Any) -> Any:
        module = hub.Module(spec, name="scale")
        hub.register_module_for_export(module, "scale")
        (variable,) = module.variables
        saver = tf.compat.v1.train.Saver({"stored_scale": variable})
        scaffold = types.SimpleNamespace(saver=saver)
        return types.SimpleNamespace(predictions=module(features["x"]), scaffold=scaffold)

    estimator = types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=str(tmp_path))
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    export_dir = exporter.export(estimator, os.fspath(tmp_path / "export"))
    np.testing.assert_allclose(_exported_scale(export_dir, "scale"), X * 5.0)


def test_no_registered_module_returns_none_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The page says:

    "It returns None, with a warning, if no module was registered"; nothing is written."""
    _checkpoint(tmp_path, {"v": 1.0})

    def model_fn(features: Any) -> Any:
        tf.compat.v1.get_variable("v", [])
        return types.SimpleNamespace(predictions=features["x"])

    estimator = types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=str(tmp_path))
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        assert exporter.export(estimator, os.fspath(tmp_path / "export")) is None
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("zero modules" in m and "register_module_for_export" in m for m in warned), warned
    assert not (tmp_path / "export").exists()


# --- docs/feature_columns.md ----------------------------------------------------------------------

ODD_STRINGS = [b"", "h\u00e9llo w\u00f6rld \u732b".encode(), b"\xff\xfe bad utf-8", b"cat"]


@pytest.mark.parametrize("flavour", ["tf1", "tf2"])
def test_odd_strings_embed_as_the_module_embeds_them_and_no_rows_give_zero_rows(
    flavour: str,
) -> None:
    """The page says:

    "**Odd batches**: empty strings, non-ASCII and invalid UTF-8 bytes embed as any other
    string (the module decides), a batch of 0 rows gives `[0, K]`" (DenseFeatures, eagerly)."""
    tf_keras = pytest.importorskip("tf_keras")
    from tests.feature_column._support import TEXT_V1, TEXT_V2

    if flavour == "tf1":
        column = hub.text_embedding_column("s", TEXT_V1)
        module = hub.load(TEXT_V1).signatures["default"]
        direct = module(sentences=tf.constant(ODD_STRINGS))["default"].numpy()
    else:
        column = hub.text_embedding_column_v2("s", TEXT_V2)
        direct = hub.load(TEXT_V2)(tf.constant(ODD_STRINGS)).numpy()
    layer = tf_keras.layers.DenseFeatures([column])
    embedded = layer({"s": tf.constant(ODD_STRINGS)}).numpy()
    np.testing.assert_allclose(embedded, direct, rtol=1e-6)
    assert np.isfinite(embedded).all()
    empty = layer({"s": tf.constant([], tf.string)}).numpy()
    assert empty.shape == (0, direct.shape[1])


_IN_MEMORY_SPEC_CHILD = """
import os
import tensorflow as tf
import tf_keras
import tfhub as hub

def module_fn():
    text = tf.compat.v1.placeholder(tf.string, [None])
    table = tf.compat.v1.get_variable("e", [3, 2], initializer=tf.compat.v1.ones_initializer())
    rows = tf.strings.to_hash_bucket_fast(text, 3)
    hub.add_signature(inputs=text, outputs=tf.gather(table, rows))

column = hub.text_embedding_column("a", hub.create_module_spec(module_fn))
layer = tf_keras.layers.DenseFeatures([column])
for words in (["x"], ["y", "z"]):
    print(layer({"a": tf.constant(words)}).numpy().tolist())
print(len([n for n in os.listdir(os.environ["TMPDIR"]) if n.startswith("tfhub_feature_column_")]))
"""


def test_an_in_memory_spec_is_exported_once_to_a_folder_removed_at_exit(tmp_path: Path) -> None:
    """The page says:

    "**In-memory specs** (`hub.create_module_spec(...)`) are instantiated once per column in
    a private graph and exported to a temporary folder (removed at exit)"."""
    env = child_env(TMPDIR=str(tmp_path))
    # A process of its own, forked after TensorFlow's import, ending (atexit) as `python -c`.
    lines = run_warm_python(_IN_MEMORY_SPEC_CHILD, env=env).stdout.splitlines()
    assert lines == ["[[1.0, 1.0]]", "[[1.0, 1.0], [1.0, 1.0]]", "1"]
    assert not [n for n in os.listdir(tmp_path) if n.startswith("tfhub_feature_column_")]


@pytest.fixture(scope="module")
def tf2_layer() -> Any:
    from tests._helpers.upstream_records import upstream_path

    return hub.KerasLayer(os.fspath(upstream_path("tf2_saved_model")))


def test_export_layer_below_a_file_or_onto_a_read_only_disk_names_the_folder(
    tf2_layer: Any, tmp_path: Path
) -> None:
    """The page says:

    "A full disk (or quota), a folder it may not write, or a file where a folder above it belongs
    raises `ExportWriteError` (an `ExportError` and an `OSError`) naming the export folder and
    what to do; the folder is left as it was" (a read-only tmpfs: root may write any folder)."""
    from tests._helpers import mounts

    (tmp_path / "file").write_text("kept")
    below_a_file = tmp_path / "file" / "exported"
    with pytest.raises(errors.ExportWriteError) as caught:
        hub.export_layer(tf2_layer, os.fspath(below_a_file))
    assert isinstance(caught.value, OSError) and isinstance(caught.value, errors.ExportError)
    assert str(caught.value).startswith(f"Cannot write the export to {below_a_file}: ")
    # A file in the way: what to do is to move it, not permissions (session 57, rev57d).
    assert "Remove or rename it, or choose another folder" in str(caught.value)
    assert os.listdir(tmp_path) == ["file"] and (tmp_path / "file").read_text() == "kept"
    with mounts.tmpfs(tmp_path / "ro", "size=64k,ro") as disk:
        with pytest.raises(errors.ExportWriteError) as caught:
            hub.export_layer(tf2_layer, os.fspath(disk / "exported"))
        assert isinstance(caught.value, OSError)
        assert str(caught.value).startswith(f"Cannot write the export to {disk / 'exported'}: ")
        assert os.listdir(disk) == []

"""Modules made by the real tensorflow_hub 0.15.0 load in tfhub and give the same numbers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers.upstream_records import record as expected_json
from tests.tf1.conftest import numpy_inputs

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

TF1_FIXTURES = ["tf1_multi_sig", "tf1_text_vocab", "tf1_train_tags", "tf1_image_info"]
ATOL = 1e-5


def _shape(tensor_shape: Any) -> list[int | None] | None:
    return None if tensor_shape.rank is None else tensor_shape.as_list()


def _info_json(info: Any) -> dict[str, Any]:
    return {
        "dtype": info.dtype.name,
        "shape": _shape(info.get_shape()),
        "is_sparse": info.is_sparse,
        "is_composite": info.is_composite,
    }


def _check_spec(spec: Any, expected: dict[str, Any]) -> None:
    assert sorted(sorted(t) for t in spec.get_tags()) == sorted(expected["tags"])
    for per_tags in expected["per_tags"]:
        tags = set(per_tags["tags"])
        names = per_tags["signature_names_in_reported_order"]
        assert sorted(spec.get_signature_names(tags=tags)) == sorted(names)
        for name, sig in per_tags["signatures"].items():
            got_in = {k: _info_json(v) for k, v in spec.get_input_info_dict(name, tags).items()}
            got_out = {k: _info_json(v) for k, v in spec.get_output_info_dict(name, tags).items()}
            assert got_in == sig["inputs"] and got_out == sig["outputs"]


@pytest.mark.parametrize("name", TF1_FIXTURES)
def test_module_spec_matches_upstream(name: str, upstream_dir: Path) -> None:
    _check_spec(
        hub.load_module_spec(str(upstream_dir / name)), expected_json(name)["hub_module_spec"]
    )


def _check_run(module: Any, run: dict[str, Any], session: Any, outputs: Any) -> None:
    got = session.run(outputs)
    for key, value in run["outputs"].items():
        np.testing.assert_allclose(got[key], value["value"], atol=ATOL, err_msg=key)
    losses = tf.compat.v1.losses.get_regularization_losses()
    expected_losses = run["graph_regularization_losses"]
    assert [loss.name for loss in losses] == [loss["name"] for loss in expected_losses]
    np.testing.assert_allclose(
        session.run(losses), [loss["value"] for loss in expected_losses], atol=ATOL
    )
    update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
    assert len(update_ops) == run["graph_update_ops"]
    assert [v.name for v in module.variables] == [v["name"] for v in run["module_variables"]]
    variable_map = {k: v.shape.as_list() for k, v in module.variable_map.items()}
    assert variable_map == run["module_variable_map"]
    if "after_running_update_ops_once" in run:
        session.run(update_ops)
        for var_name, value in run["after_running_update_ops_once"].items():
            variable = next(v for v in module.variables if v.name == var_name)
            np.testing.assert_allclose(session.run(variable), value["value"], atol=ATOL)


@pytest.mark.parametrize("name", TF1_FIXTURES)
def test_module_runs_match_upstream(name: str, upstream_dir: Path) -> None:
    runs = [run for run in expected_json(name)["runs"] if run["api"] == "hub.Module"]
    assert runs
    spec = hub.load_module_spec(str(upstream_dir / name))
    for run in runs:
        with tf.Graph().as_default():
            module = hub.Module(spec, trainable=run["trainable"], tags=run["tags"])
            outputs = module(numpy_inputs(run["inputs"]), signature=run["signature"], as_dict=True)
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                session.run(tf.compat.v1.tables_initializer())
                _check_run(module, run, session, outputs)


def _check_eager_run(path: str, run: dict[str, Any]) -> None:
    module = hub.Module(path, tags=run["tags"], trainable=run["trainable"])
    got = module(numpy_inputs(run["inputs"]), signature=run["signature"], as_dict=True)
    for key, value in run["outputs"].items():
        assert isinstance(got[key], tf.Tensor) and not isinstance(got[key], tf.SparseTensor)
        assert got[key].shape.as_list() == value["shape"], key
        np.testing.assert_allclose(got[key].numpy(), value["value"], atol=ATOL, err_msg=key)
    expected_losses = [loss["value"] for loss in run["graph_regularization_losses"]]
    losses = [loss.numpy() for loss in module.get_regularization_losses()]
    np.testing.assert_allclose(losses, expected_losses, atol=ATOL)
    assert [f"module/{v.name}" for v in module.variables] == [
        v["name"] for v in run["module_variables"]
    ]


@pytest.mark.parametrize("name", TF1_FIXTURES)
def test_eager_module_matches_upstream_outputs(name: str, upstream_dir: Path) -> None:
    """Every hub.Module run that upstream made in a graph, replayed eagerly."""
    runs = [run for run in expected_json(name)["runs"] if run["api"] == "hub.Module"]
    assert runs
    for run in runs:
        _check_eager_run(str(upstream_dir / name), run)


def test_half_plus_two_from_folder_in_graph_and_eagerly(upstream_dir: Path, tmp_path: Path) -> None:
    """Upstream's own 2019 module (TF 1.12, unknown shapes), unpacked, in a graph and eagerly."""
    shutil.unpack_archive(upstream_dir / "half_plus_two_v1.tar.gz", tmp_path, format="gztar")
    expected = expected_json("half_plus_two_v1")
    _check_spec(hub.load_module_spec(str(tmp_path)), expected["hub_module_spec"])
    (run,) = [r for r in expected["runs"] if r["api"] == "hub.Module"]
    with tf.Graph().as_default():
        module = hub.Module(str(tmp_path))
        outputs = module(numpy_inputs(run["inputs"]), as_dict=True)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            _check_run(module, run, session, outputs)
    _check_eager_run(str(tmp_path), run)
    with hub.eval_function_for_module(str(tmp_path)) as f:
        np.testing.assert_allclose(f([[1.0], [2.0], [10.0]]), [[2.5], [3.0], [7.0]])


def test_half_plus_two_from_http_tarball(upstream_dir: Path, served_dir: Path, server: Any) -> None:
    shutil.copy(upstream_dir / "half_plus_two_v1.tar.gz", served_dir)
    expected = expected_json("half_plus_two_v1")
    spec = hub.load_module_spec(server.url("half_plus_two_v1.tar.gz"))
    _check_spec(spec, expected["hub_module_spec"])
    run = next(r for r in expected["runs"] if r["api"] == "hub.Module")
    with tf.Graph().as_default():
        module = hub.Module(spec)
        outputs = module(numpy_inputs(run["inputs"]), as_dict=True)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            _check_run(module, run, session, outputs)


def test_upstream_errors(upstream_dir: Path) -> None:
    (train_error,) = expected_json("tf1_train_tags")["errors"]
    (tf2_error,) = [
        e for e in expected_json("tf2_saved_model")["errors"] if e["api"] == "hub.Module"
    ]
    sig_error = next(
        e for e in expected_json("tf1_multi_sig")["errors"] if e["api"] == "hub.Module"
    )
    with tf.Graph().as_default():
        with pytest.raises(ValueError) as info:
            hub.Module(str(upstream_dir / "tf1_train_tags"), tags={"serve"})
        assert isinstance(info.value, errors.UnknownTagsError)
        assert str(info.value).startswith(train_error["message"])
        module = hub.Module(str(upstream_dir / "tf1_multi_sig"))
        with pytest.raises(ValueError) as info:
            module(np.zeros([1, 3], np.float32), signature="nope")
        assert str(info.value).startswith(sig_error["message"])
        assert tf2_error["message"].endswith("tfhub_module.pb; No such file or directory")
        with pytest.raises(
            errors.NotATF1ModuleError, match="tfhub_module.pb is missing.*TF2 SavedModel"
        ) as info:
            hub.Module(str(upstream_dir / "tf2_saved_model"))
        assert isinstance(info.value, getattr(tf.errors, tf2_error["raises"]))  # review49c-F3


def test_attached_messages_match_upstream(upstream_dir: Path) -> None:
    expected = expected_json("tf1_image_info")["attached_messages"]
    spec = hub.load_module_spec(str(upstream_dir / "tf1_image_info"))
    numbers = spec.get_attached_message("numbers", tf.train.Int64List)
    assert list(numbers.value) == expected["numbers (tf.train.Int64List)"]
    assert numbers.SerializeToString().hex() == expected["numbers serialized hex"]
    letters = spec.get_attached_message("letters", tf.train.BytesList)
    assert [v.decode() for v in letters.value] == expected["letters (tf.train.BytesList)"]
    assert spec.get_attached_message("bad", tf.train.Int64List) is None
    with tf.Graph().as_default():
        module = hub.Module(spec)
        assert list(module.get_attached_message("numbers", tf.train.Int64List).value) == [42, 69]


@pytest.mark.parametrize("name", ["tf1_text_vocab", "tf1_train_tags"])
def test_reexport_reproduces_upstream_saved_model(
    name: str, upstream_dir: Path, tmp_path: Path
) -> None:
    """Loading an upstream module and exporting it again gives the same SavedModel proto."""
    from tensorflow.core.protobuf import saved_model_pb2

    source, target = upstream_dir / name, tmp_path / name
    with tf.Graph().as_default():
        module = hub.Module(str(source))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(str(target), session)
    parse = saved_model_pb2.SavedModel.FromString
    original = parse((source / "saved_model.pb").read_bytes())
    assert parse((target / "saved_model.pb").read_bytes()) == original
    assert (target / "tfhub_module.pb").read_bytes() == (source / "tfhub_module.pb").read_bytes()
    original_vars = tf.train.list_variables(str(source / "variables" / "variables"))
    assert tf.train.list_variables(str(target / "variables" / "variables")) == original_vars
    for asset in (source / "assets").glob("*") if (source / "assets").is_dir() else []:
        assert (target / "assets" / asset.name).read_bytes() == asset.read_bytes()

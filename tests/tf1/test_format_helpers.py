"""Low-level helpers of the TF1 format: names, pruning, atomic writes, asset paths, protos."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tfhub import errors, protos

tf = pytest.importorskip("tensorflow")
from tfhub.tf1 import meta_graph_lib, module_assets, saved_model_lib  # noqa: E402

pytestmark = pytest.mark.tf


def test_prepend_name_scope_handles_control_inputs_and_colocation() -> None:
    assert meta_graph_lib.prepend_name_scope("a/b:0", "m") == "m/a/b:0"
    assert meta_graph_lib.prepend_name_scope("^init", "m") == "^m/init"
    assert meta_graph_lib.prepend_name_scope(b"loc:@w", "m") == "loc:@m/w"
    assert meta_graph_lib.prepend_name_scope("x", "") == "x"
    assert meta_graph_lib.split_tensor_name("a/b:12") == ("a/b", 12)
    with pytest.raises(ValueError, match="node_name:output_number"):
        meta_graph_lib.split_tensor_name("no_index")


def test_prune_keeps_inputs_control_inputs_and_colocation_targets() -> None:
    with tf.Graph().as_default() as graph:
        a = tf.constant(1.0, name="a")
        b = tf.constant(2.0, name="b")
        with tf.control_dependencies([b]):
            c = tf.identity(a, name="c")
        with tf.compat.v1.colocate_with(tf.constant(3.0, name="anchor").op):
            d = tf.add(c, 1.0, name="d")
        tf.constant(4.0, name="unused")
        meta_graph = tf.compat.v1.train.export_meta_graph(graph=graph)
    meta_graph_lib.prune_unused_nodes(meta_graph, [d.name])
    kept = sorted(node.name for node in meta_graph.graph_def.node)
    assert kept == ["a", "anchor", "b", "c", "d", "d/y"]


def test_atomic_write_refuses_to_overwrite_when_asked(tmp_path: Path) -> None:
    target = str(tmp_path / "tfhub_module.pb")
    saved_model_lib.atomic_write(target, b"\x08\x03", overwrite=False)
    with pytest.raises(errors.ExportError, match="Refusing to overwrite") as info:
        saved_model_lib.atomic_write(target, b"", overwrite=False)
    assert isinstance(info.value, tf.errors.AlreadyExistsError)  # What upstream raised.
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is type(info.value) and str(again) == str(info.value)
    assert again.path == str(target) and isinstance(again, errors.ExportError)
    saved_model_lib.atomic_write(target, b"\x08\x00", overwrite=True)
    assert Path(target).read_bytes() == b"\x08\x00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tfhub_module.pb"]


def test_asset_paths_cannot_leave_the_assets_folder(tmp_path: Path) -> None:
    path = module_assets.asset_file_path(str(tmp_path), "tokens.txt")
    assert path == str(tmp_path / "assets" / "tokens.txt")
    with pytest.raises(errors.TFHubLoadError, match="points outside"):
        module_assets.asset_file_path(str(tmp_path), "../saved_model.pb")


def test_protos_match_upstream_wire_format() -> None:
    assert protos.ModuleDef(format=protos.FORMAT_V3).SerializeToString() == b"\x08\x03"
    attachment = protos.ModuleAttachment(key="k", value=b"\x01")
    assert attachment.SerializeToString() == b"\n\x01k\x12\x01\x01"
    parsed = protos.ModuleDef.FromString(b"\x08\x03\x12\x03abc")
    assert list(parsed.required_features) == ["abc"]
    assert protos.ModuleDef.DESCRIPTOR.file.name == "tensorflow_hub/module_def.proto"


def test_unknown_format_or_required_feature_is_refused(upstream_copy: Path) -> None:
    import tfhub as hub

    module_dir = upstream_copy / "tf1_multi_sig"
    marker = module_dir / "tfhub_module.pb"
    marker.write_bytes(protos.ModuleDef(format=3, required_features=["future"]).SerializeToString())
    with pytest.raises(errors.TFHubLoadError, match=r"Unsupported features: \['future'\]"):
        hub.load_module_spec(str(module_dir))
    marker.write_bytes(protos.ModuleDef(format=0).SerializeToString())
    with pytest.raises(errors.TFHubLoadError, match="Unsupported module def format"):
        hub.load_module_spec(str(module_dir))

"""Behaviours of the TF1 Hub format's low-level modules (saved_model_lib, colocation,
graph_state, meta_graph_lib, module_impl, eager_module) that no other test pinned down: each
test here fails on a hand-made mutant that the rest of the suite let live (session 42; earlier
passes: test_mutants_tf1_probes38.py, test_mutants_tf1_probes41.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _rewrite_saved_model(module_dir: Path, edit: Any) -> None:
    """Applies `edit(meta_graph)` to every MetaGraphDef of `module_dir`/saved_model.pb."""
    from tensorflow.core.protobuf import saved_model_pb2

    path = module_dir / "saved_model.pb"
    proto = saved_model_pb2.SavedModel.FromString(path.read_bytes())
    for meta_graph in proto.meta_graphs:
        edit(meta_graph)
    path.write_bytes(proto.SerializeToString())


def test_attached_messages_stored_as_another_kind_of_collection_are_refused(
    upstream_copy: Path,
) -> None:
    # As upstream's _get_attached_bytes_map: a ValueError, not a module without messages.
    module_dir = upstream_copy / "tf1_multi_sig"

    def node_list_attachments(meta_graph: Any) -> None:
        meta_graph.collection_def["hub_module_attachments"].node_list.value.append("x:0")

    _rewrite_saved_model(module_dir, node_list_attachments)
    with pytest.raises(errors.TFHubLoadError, match="must be a bytes_list.*'node_list'"):
        hub.load_module_spec(str(module_dir))


def _run(fetches: Any, feed_dict: Any = None) -> Any:
    with tf1.Session() as session:
        session.run(tf1.global_variables_initializer())
        session.run(tf1.tables_initializer())
        return session.run(fetches, feed_dict=feed_dict)


def _export(spec: Any, path: Path, **module_args: Any) -> Path:
    with tf.Graph().as_default():
        module = hub.Module(spec, **module_args)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            module.export(str(path), session)
    return path


def _tf1_saved_model_with_asset_file_def(folder: Path) -> Path:
    """A TF1 SavedModel whose vocabulary asset is recorded as newer writers do."""
    from tensorflow.core.protobuf import saved_model_pb2

    vocab = folder / "source" / "tokens.txt"
    vocab.parent.mkdir(parents=True)
    vocab.write_text("red\ngreen\n")
    with tf.Graph().as_default():
        ids = tf1.placeholder(tf.int64, [None], name="ids")
        initializer = tf.lookup.TextFileInitializer(
            str(vocab),
            tf.int64,
            tf.lookup.TextFileIndex.LINE_NUMBER,
            tf.string,
            tf.lookup.TextFileIndex.WHOLE_LINE,
        )
        words = tf.lookup.StaticHashTable(initializer, "UNK").lookup(ids)
        with tf1.Session() as session:
            tf1.saved_model.simple_save(session, str(folder / "sm"), {"ids": ids}, {"w": words})
    vocab.unlink()
    pb = folder / "sm" / "saved_model.pb"
    proto = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    meta_graph = proto.meta_graphs[0]
    for packed in meta_graph.collection_def.pop("saved_model_assets").any_list.value:
        packed.Unpack(meta_graph.asset_file_def.add())
    pb.write_bytes(proto.SerializeToString())
    return folder / "sm"


def test_a_module_made_from_a_saved_model_with_asset_file_defs_exports_upstreams_layout(
    tmp_path: Path,
) -> None:
    # Upstream's modules list their assets in the saved_model_assets collection only.
    from tensorflow.core.protobuf import saved_model_pb2

    spec = hub.create_module_spec_from_saved_model(
        str(_tf1_saved_model_with_asset_file_def(tmp_path))
    )
    path = _export(spec, tmp_path / "module", tags={"serve"})
    proto = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    (meta_graph,) = proto.meta_graphs
    assert list(meta_graph.asset_file_def) == []
    assert len(meta_graph.collection_def["saved_model_assets"].any_list.value) == 1
    assert sorted(p.name for p in (path / "assets").iterdir()) == ["tokens.txt"]


def test_a_failed_rename_in_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    from tfhub.tf1 import saved_model_lib

    target = tmp_path / "saved_model.pb"
    target.mkdir()  # A file cannot be renamed onto a folder.
    (target / "keep").write_bytes(b"")
    with pytest.raises(tf.errors.OpError):
        saved_model_lib.atomic_write(str(target), b"proto", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved_model.pb"]


def _double_fn() -> None:
    w = tf1.get_variable("w", initializer=2.0)
    x = tf1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x * w)


def test_stored_tags_are_sorted_whatever_order_they_were_given_in() -> None:
    # Same module, same saved_model.pb bytes: tags given as a list or a set (whose order
    # changes with the hash seed) are stored sorted.
    for tags in (["train", "gpu", "eval"], ["eval", "train", "gpu"]):
        spec = hub.create_module_spec(_double_fn, tags_and_args=[(tags, {})])
        meta_graph = spec.get_meta_graph(set(tags))
        assert list(meta_graph.meta_info_def.tags) == ["eval", "gpu", "train"]


def _matmul_fn() -> None:
    x = tf1.placeholder(tf.float32, [None, 2])
    hub.add_signature(inputs=x, outputs=tf.matmul(x, tf.ones([2, 1]), name="product"))


def test_a_module_graph_is_stored_without_default_valued_attrs() -> None:
    # As upstream (strip_default_attrs=True): older TensorFlow versions that do not know an
    # attr added later with a default value can still load the module.
    spec = hub.create_module_spec(_matmul_fn)
    (product,) = [n for n in spec.get_meta_graph().graph_def.node if n.name == "product"]
    assert "transpose_a" not in product.attr and "transpose_b" not in product.attr
    assert "T" in product.attr  # Attrs without a default stay.


def _asset_filepaths_of_strings_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    tf1.add_to_collection(tf1.GraphKeys.ASSET_FILEPATHS, "tokens.txt")  # Not a tensor.
    hub.add_signature(inputs=x, outputs=x + 1.0)


def test_an_asset_filepaths_collection_that_lists_no_tensors_is_an_export_error(
    tmp_path: Path,
) -> None:
    # As upstream: a ValueError "not a list of tensors", not an export without the assets.
    spec = hub.create_module_spec(_asset_filepaths_of_strings_fn)
    with pytest.raises(errors.ExportError, match="ASSET_FILEPATHS is not a list of tensors"):
        _export(spec, tmp_path / "module")


def _asset_fn(make_asset: Any) -> Any:
    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None])
        tf1.add_to_collection(tf1.GraphKeys.ASSET_FILEPATHS, make_asset())
        hub.add_signature(inputs=x, outputs=x + 1.0)

    return module_fn


@pytest.mark.parametrize(
    ("make_asset", "problem"),
    [
        (lambda: tf.identity(tf.constant("tokens.txt")), "must be a constant"),
        (lambda: tf.constant(["a.txt", "b.txt"]), "must be a scalar"),
    ],
    ids=["not-a-constant", "not-a-scalar"],
)
def test_an_asset_tensor_that_is_not_one_constant_string_is_named_at_export(
    make_asset: Any, problem: str, tmp_path: Path
) -> None:
    # As upstream's _check_asset_node_def, before anything reads the node's value: a
    # TypeError, as upstream raised (and a ModuleSpecError, a ValueError, as tfhub raised).
    spec = hub.create_module_spec(_asset_fn(make_asset))
    with pytest.raises(TypeError, match=f"Asset node '.*' {problem}") as raised:
        _export(spec, tmp_path / "module")
    assert isinstance(raised.value, errors.AssetNodeError)
    assert isinstance(raised.value, errors.ModuleSpecError)


def _colocated_with_a_constant_fn() -> None:
    x = tf1.placeholder(tf.float32, [None], name="x")
    anchor = tf.constant(2.0, name="anchor")
    with tf1.colocate_with(anchor.op):
        y = tf.multiply(x, anchor, name="y")
    hub.add_signature(inputs=x, outputs=y)


def test_a_colocation_with_an_op_inside_the_module_is_kept_in_the_apply_scope() -> None:
    spec = hub.create_module_spec(_colocated_with_a_constant_fn)
    with tf.Graph().as_default():
        out = hub.Module(spec, name="m")(tf.constant([1.0]))
        assert out.op.colocation_groups() == [b"loc:@m_apply_default/anchor"]
        assert _run(out).tolist() == [2.0]


def _colocated_with_two_inputs_fn() -> None:
    a = tf1.placeholder(tf.float32, [None], name="a")
    b = tf1.placeholder(tf.float32, [None], name="b")
    with tf1.colocate_with(a.op), tf1.colocate_with(b.op):
        total = tf.add(a, b, name="total")
    hub.add_signature(inputs={"a": a, "b": b}, outputs=total)


def test_an_op_colocated_with_two_inputs_takes_the_first_placed_ones_device() -> None:
    # As upstream and tf.import_graph_def: the first colocation group (sorted) that has a
    # device gives it; a later one without a device does not clear it.
    spec = hub.create_module_spec(_colocated_with_two_inputs_fn)
    with tf.Graph().as_default():
        with tf.device("/job:worker/task:3/device:CPU:0"):
            u = tf.constant([1.0], name="u")
        v = tf.constant([2.0], name="v")
        out = hub.Module(spec)({"a": u, "b": v})
        assert out.op.colocation_groups() == [b"loc:@u", b"loc:@v"]
        assert out.op.device == "/job:worker/task:3/device:CPU:0"


def test_rewritten_colocation_groups_are_stored_sorted_and_once() -> None:
    spec = hub.create_module_spec(_colocated_with_two_inputs_fn)
    with tf.Graph().as_default():
        u = tf.constant([1.0], name="u")
        v = tf.constant([2.0], name="v")
        module = hub.Module(spec)
        swapped = module({"a": v, "b": u})
        assert swapped.op.get_attr("_class") == [b"loc:@u", b"loc:@v"]
        same = module({"a": u, "b": u})
        assert same.op.get_attr("_class") == [b"loc:@u"]
        assert [r.tolist() for r in _run([swapped, same])] == [[3.0], [2.0]]


def test_variables_saved_with_an_empty_shared_name_stay_apart_in_a_module(tmp_path: Path) -> None:
    # A TF1 SavedModel keeps default attrs: its reference variables have shared_name "",
    # which means "this op's own variable" and is not prefixed with the module's scope
    # (both would then hold the one variable "module/").
    export_dir = str(tmp_path / "sm")
    with tf.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None], name="x")
        one = tf1.Variable(1.0, name="one", use_resource=False)
        ten = tf1.Variable(10.0, name="ten", use_resource=False)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            tf1.saved_model.simple_save(session, export_dir, {"x": x}, {"y": x * one + ten})
    spec = hub.create_module_spec_from_saved_model(export_dir)
    graph_def = spec.get_meta_graph({"serve"}).graph_def
    assert [n.attr["shared_name"].s for n in graph_def.node if n.op == "VariableV2"] == [b"", b""]
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        y = module({"x": [2.0]}, signature="serving_default", as_dict=True)["y"]
        assert _run(y).tolist() == [12.0]


def _scale_function(factor: float) -> Any:
    from tensorflow.python.framework import function as legacy_function

    @legacy_function.Defun(tf.float32, func_name="scale")
    def scale(v: Any) -> Any:
        return v * factor

    return scale


def _meta_graph_calling(function: Any) -> Any:
    """A MetaGraphDef whose library holds `function`, named in a node's list(func) attr (as a
    Case op's branches) and in a gradient entry."""
    meta_graph = tf1.MetaGraphDef()
    library = meta_graph.graph_def.library
    library.function.add().CopyFrom(function.definition)
    library.gradient.add(function_name="scale", gradient_func="scale")
    node = meta_graph.graph_def.node.add(name="case", op="Case")
    node.attr["branches"].list.func.add(name="scale")
    return meta_graph


def test_a_clashing_function_is_renamed_in_list_attrs_and_gradients_but_not_if_equal() -> None:
    from tfhub.tf1 import meta_graph_lib

    with tf.Graph().as_default() as graph:
        _scale_function(2.0).add_to_graph(graph)
        same = _meta_graph_calling(_scale_function(2.0))
        meta_graph_lib.rename_conflicting_functions(same, graph)  # One definition: kept.
        assert [f.signature.name for f in same.graph_def.library.function] == ["scale"]
        other = _meta_graph_calling(_scale_function(3.0))
        meta_graph_lib.rename_conflicting_functions(other, graph)
    library = other.graph_def.library
    assert [f.signature.name for f in library.function] == ["scale_hub1"]
    assert [f.name for f in other.graph_def.node[0].attr["branches"].list.func] == ["scale_hub1"]
    assert (library.gradient[0].function_name, library.gradient[0].gradient_func) == (
        "scale_hub1",
        "scale_hub1",
    )


@pytest.mark.parametrize("name", ["x:0abc", "x", "x:"])
def test_a_tensor_name_must_end_in_its_output_number(name: str) -> None:
    # As upstream's _split_tensor_name (a ValueError), e.g. for a damaged signature.
    from tfhub.tf1.meta_graph_lib import split_tensor_name

    assert split_tensor_name("scope/x:12") == ("scope/x", 12)
    with pytest.raises(errors.ModuleSpecError, match=f"node_name:output_number.*{name!r}"):
        split_tensor_name(name)


def _two_output_state_op_fn() -> None:
    # A stateful op without inputs (a state op) that has two outputs: handle and deleter.
    tf.raw_ops.AnonymousIteratorV2(output_types=[tf.int64], output_shapes=[[]])
    x = tf1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x + 1.0)


def test_a_state_op_with_two_outputs_is_refused_when_the_module_is_made() -> None:
    # As upstream: a ValueError "Stateful op ... has 2 outputs, expected 1".
    spec = hub.create_module_spec(_two_output_state_op_fn)
    with tf.Graph().as_default():
        with pytest.raises(errors.ModuleSpecError, match="AnonymousIteratorV2 has 2 outputs"):
            hub.Module(spec)


def _class_attr_with_another_value_fn() -> None:
    x = tf1.placeholder(tf.float32, [None], name="x")
    y = tf.multiply(x, 2.0, name="y")
    values = tf1.AttrValue.ListValue(s=[b"loc:@x", b"not-a-location"])
    y.op._set_attr("_class", tf1.AttrValue(list=values))
    hub.add_signature(inputs=x, outputs=y)


def test_a_class_attr_value_that_is_no_colocation_survives_the_rewrite() -> None:
    # As upstream's _apply_colocation_attr_map: only "loc:@" values are rewritten.
    spec = hub.create_module_spec(_class_attr_with_another_value_fn)
    with tf.Graph().as_default():
        out = hub.Module(spec)(tf.constant([1.0], name="u"))
        assert out.op.get_attr("_class") == [b"not-a-location", b"loc:@u"]


def _staging_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    stage = tf.raw_ops.Stage(values=[x], shared_name="buffer", name="stage")
    with tf.control_dependencies([stage]):
        y = tf.identity(x)
    hub.add_signature(inputs=x, outputs=y)


def test_each_application_prefixes_the_shared_names_of_its_ops() -> None:
    # As upstream: two applications (or two modules) must not share one staging area.
    spec = hub.create_module_spec(_staging_fn)
    with tf.Graph().as_default() as graph:
        module = hub.Module(spec)
        module([1.0])
        module([2.0])
        names = [op.get_attr("shared_name") for op in graph.get_operations() if op.type == "Stage"]
        assert names == [  # The state graph holds a copy too.
            b"module/buffer",
            b"module_apply_default/buffer",
            b"module_apply_default_1/buffer",
        ]

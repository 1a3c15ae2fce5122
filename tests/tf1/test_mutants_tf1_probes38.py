"""Behaviours of the TF1 Hub format code that no other test pinned down: each test here fails
on a hand-made mutant (a flipped condition, a dropped check) that the rest of the suite let live
(session 38)."""

from __future__ import annotations

import os
import types
import uuid
from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _double_module_fn() -> None:
    w = tf1.get_variable("w", initializer=2.0)
    x = tf1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x * w)


def _run(fetches: Any, feed_dict: Any = None) -> Any:
    with tf1.Session() as session:
        session.run(tf1.global_variables_initializer())
        session.run(tf1.tables_initializer())
        return session.run(fetches, feed_dict=feed_dict)


def test_a_module_applies_in_a_cond_nested_in_a_while_loop_of_its_graph() -> None:
    # The cond's branch graph is two function graphs below the module's graph.
    spec = hub.create_module_spec(_double_module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)

        def body(i: Any, acc: Any) -> Any:
            return i + 1, tf.cond(i > 0, lambda: module(acc), lambda: acc)

        _, result = tf1.while_loop(lambda i, _: i < 3, body, [tf.constant(0), tf.constant([1.0])])
        assert _run(result).tolist() == [4.0]


def test_export_refuses_a_session_of_another_graph(tmp_path: Path) -> None:
    spec = hub.create_module_spec(_double_module_fn)
    other = tf1.Session(graph=tf.Graph())
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(errors.ModuleGraphError, match="session graph differs"):
            module.export(tmp_path / "module", other)
        assert not (tmp_path / "module").exists()
    other.close()


def _regularized_module_fn() -> None:
    regularizer = lambda w: tf.reduce_sum(w)  # noqa: E731
    w = tf1.get_variable("w", initializer=[2.0], regularizer=regularizer)
    x = tf1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x * w)


def test_regularization_losses_are_each_modules_own_when_names_share_a_prefix() -> None:
    # "module" is a prefix of "module_1": the scope compared must end with "/".
    spec = hub.create_module_spec(_regularized_module_fn)
    with tf.Graph().as_default():
        first = hub.Module(spec, trainable=True)
        second = hub.Module(spec, trainable=True)
        assert [loss.name.split("/")[0] for loss in first.get_regularization_losses()] == ["module"]
        assert [loss.name.split("/")[0] for loss in second.get_regularization_losses()] == [
            "module_1"
        ]


def test_trainable_variables_in_a_graph_are_empty_unless_trainable() -> None:
    spec = hub.create_module_spec(_double_module_fn)
    with tf.Graph().as_default():
        frozen = hub.Module(spec)
        tuned = hub.Module(spec, trainable=True)
        assert [v.name for v in frozen.variables] == ["module/w:0"]
        assert frozen.trainable_variables == []
        assert [v.name for v in tuned.trainable_variables] == ["module_1/w:0"]


def test_a_v1_cond_module_applies_a_signature_that_does_not_use_the_cond() -> None:
    # A module with a v1 cond context (and no while loop) is imported whole: pruning the apply
    # graph to the signature would drop the nodes its cond_context collection names.
    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None])
        w = tf1.get_variable("w", initializer=2.0)
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * w, lambda: -x)
        hub.add_signature(inputs=x, outputs=y)
        hub.add_signature("plain", inputs=x, outputs=x + w)

    tf1.disable_control_flow_v2()  # As TF1-era modules were built.
    try:
        spec = hub.create_module_spec(module_fn)
    finally:
        tf1.enable_control_flow_v2()
    collections = set(spec.get_meta_graph().collection_def)
    assert "cond_context" in collections and "while_context" not in collections
    with tf.Graph().as_default():
        module = hub.Module(spec)
        plain, default = module([1.0], signature="plain"), module([1.0])
        assert _run([plain, default]) == [[3.0], [2.0]]


def test_an_attached_message_of_an_unknown_graph_variant_names_the_tag_sets() -> None:
    spec = hub.create_module_spec(_double_module_fn)
    with pytest.raises(errors.UnknownGraphVariantError, match=r"tags=\['nope'\]") as info:
        spec.get_attached_message("any", tf.train.Int64List, tags={"nope"})
    assert info.value.available == [[]]


def _export(spec: Any, path: Path) -> Path:
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            module.export(str(path), session)
    return path


def test_a_module_file_with_two_graph_variants_of_one_tag_set_is_refused(tmp_path: Path) -> None:
    from tensorflow.core.protobuf import saved_model_pb2

    path = _export(hub.create_module_spec(_double_module_fn), tmp_path / "module")
    proto = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    proto.meta_graphs.add().CopyFrom(proto.meta_graphs[0])
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    with pytest.raises(errors.ModuleSpecError, match=r"Tags \[\] used repeatedly"):
        hub.load_module_spec(str(path))


def test_a_checkpoint_one_byte_short_is_damage_and_a_whole_one_is_not(tmp_path: Path) -> None:
    path = _export(hub.create_module_spec(_double_module_fn), tmp_path / "module")
    with tf.Graph().as_default():
        hub.Module(str(path))  # Its data file holds exactly the 4 bytes of "w": no alarm.
    (shard,) = (path / "variables").glob("variables.data-*")
    shard.write_bytes(shard.read_bytes()[:-1])
    with tf.Graph().as_default(), pytest.raises(errors.DamagedModelError, match="hold 3 bytes"):
        hub.Module(str(path))


@pytest.mark.parametrize("key", ["info-v2", "info.v2", "info "])
def test_an_attached_message_key_is_refused_for_any_character_after_a_good_start(
    key: str,
) -> None:
    def module_fn() -> None:
        _double_module_fn()
        hub.attach_message(key, tf.train.Int64List(value=[1]))

    with pytest.raises(errors.ModuleSpecError, match="malformed key"):
        hub.create_module_spec(module_fn)


def test_a_tf1_saved_model_with_a_global_step_and_summaries_makes_a_spec(tmp_path: Path) -> None:
    # Training code's SavedModels carry these collections: always dropped, without asking.
    export_dir = str(tmp_path / "sm")
    with tf.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None], name="x")
        v = tf1.get_variable("v", initializer=3.0)
        tf1.train.get_or_create_global_step()
        tf1.summary.scalar("v", v)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            tf1.saved_model.simple_save(session, export_dir, {"x": x}, {"y": x * v})
    spec = hub.create_module_spec_from_saved_model(export_dir)
    collections = set(spec.get_meta_graph({"serve"}).collection_def)
    assert collections.isdisjoint({"global_step", "summaries"}) and "variables" in collections
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        y = module({"x": [2.0]}, signature="serving_default", as_dict=True)["y"]
        assert _run(y).tolist() == [6.0]


def _colocated_module_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    with tf1.colocate_with(x.op):
        y = x * 2.0
    hub.add_signature(inputs=x, outputs=y)


def test_an_op_colocated_with_an_input_follows_the_fed_tensor_and_its_device() -> None:
    spec = hub.create_module_spec(_colocated_module_fn)
    with tf.Graph().as_default():
        with tf.device("/job:worker/task:3/device:CPU:0"):
            fed = tf.constant([1.0], name="fed")
        out = hub.Module(spec)(fed)
        assert out.op.colocation_groups() == [b"loc:@fed"]
        assert out.op.device == "/job:worker/task:3/device:CPU:0"


def test_applying_a_module_leaves_the_callers_colocated_ops_alone() -> None:
    spec = hub.create_module_spec(_colocated_module_fn)
    with tf.Graph().as_default():
        anchor = tf.constant([1.0], name="anchor")
        with tf1.colocate_with(anchor.op), tf.device("/job:worker/task:1/device:CPU:0"):
            mine = tf.identity(anchor, name="mine")
        hub.Module(spec)(anchor)
        assert mine.op.device == "/job:worker/task:1/device:CPU:0"
        assert mine.op.colocation_groups() == [b"loc:@anchor"]


def test_export_from_a_ram_checkpoint_holding_another_shape_is_an_export_error(
    tmp_path: Path,
) -> None:
    # On ram:// a checkpoint prefix looks like a folder: tfhub reads its shapes itself.
    prefix = f"ram://tfhub-probes38-{uuid.uuid4().hex}/model"
    with tf.Graph().as_default():
        tf1.get_variable("w", initializer=[1.0, 2.0])
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            tf1.train.Saver().save(session, prefix, write_meta_graph=False)
    spec = hub.create_module_spec(_double_module_fn)
    with pytest.raises(errors.ExportError, match=r"has no variable 'w' of shape \(\)"):
        spec.export(str(tmp_path / "module"), checkpoint_path=prefix)
    assert not (tmp_path / "module").exists()


def test_the_partitions_of_an_eager_module_are_listed_by_offset_past_ten() -> None:
    # "w/part_10" sorts before "w/part_2" by name; the variable map orders parts by offset.
    def module_fn() -> None:
        w = tf1.get_variable(
            "w",
            initializer=tf.range(11.0),
            partitioner=tf1.fixed_size_partitioner(11),
        )
        hub.add_signature(outputs=tf.concat(list(w), 0))

    spec = hub.create_module_spec(module_fn)
    parts = hub.Module(spec).variable_map["w"]
    assert [float(part.numpy()[0]) for part in parts] == [float(i) for i in range(11)]


def test_modules_with_one_function_name_in_four_bodies_each_keep_their_own() -> None:
    from tensorflow.python.framework import function as legacy_function

    def make_spec(factor: float) -> Any:
        def module_fn() -> None:
            @legacy_function.Defun(tf.float32, func_name="scale")  # Same name, other body.
            def scale(v: Any) -> Any:
                return v * factor

            x = tf1.placeholder(tf.float32, [None])
            hub.add_signature(inputs=x, outputs=scale(x))

        return hub.create_module_spec(module_fn)

    with tf.Graph().as_default():
        outputs = [hub.Module(make_spec(factor))([1.0]) for factor in (2.0, 3.0, 4.0, 5.0)]
        assert [value.tolist() for value in _run(outputs)] == [[2.0], [3.0], [4.0], [5.0]]


def _vocab_module_spec(vocab: Path) -> Any:
    def module_fn() -> None:
        ids = tf1.placeholder(tf.int64, [None])
        table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(
                str(vocab),
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
            ),
            "UNK",
        )
        hub.add_signature(inputs=ids, outputs=table.lookup(ids))

    return hub.create_module_spec(module_fn)


@pytest.mark.parametrize("filename", ["..", "../saved_model.pb", "/etc/hostname"])
def test_a_module_whose_asset_names_a_file_outside_assets_is_refused(
    tmp_path: Path, filename: str
) -> None:
    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\n")
    path = _export(_vocab_module_spec(vocab), tmp_path / "module")
    proto = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    (packed,) = proto.meta_graphs[0].collection_def["saved_model_assets"].any_list.value
    asset = meta_graph_pb2.AssetFileDef()
    packed.Unpack(asset)
    asset.filename = filename
    packed.Pack(asset)
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    with pytest.raises(errors.TFHubLoadError, match="points outside"):
        hub.load_module_spec(str(path))


def _lookup(vocab: Path, ids: Any) -> Any:
    initializer = tf.lookup.TextFileInitializer(
        str(vocab),
        tf.int64,
        tf.lookup.TextFileIndex.LINE_NUMBER,
        tf.string,
        tf.lookup.TextFileIndex.WHOLE_LINE,
    )
    return tf.lookup.StaticHashTable(initializer, "UNK").lookup(ids)


def test_an_export_copies_three_same_named_assets_and_one_used_twice(tmp_path: Path) -> None:
    vocabs = []
    for word in ("red", "green", "blue"):
        (tmp_path / word).mkdir()
        vocabs.append(tmp_path / word / "tokens.txt")
        vocabs[-1].write_text(f"{word}\n")

    def module_fn() -> None:
        ids = tf1.placeholder(tf.int64, [None])
        words = [_lookup(vocab, ids) for vocab in [*vocabs, vocabs[0]]]
        hub.add_signature(inputs=ids, outputs=tf.stack(words, axis=1))

    path = _export(hub.create_module_spec(module_fn), tmp_path / "module")
    names = sorted(p.name for p in (path / "assets").iterdir())
    assert names == ["tokens.txt", "tokens.txt0", "tokens.txt1"]
    with tf.Graph().as_default():
        words = hub.Module(str(path))([0])
        assert _run(words).tolist() == [[b"red", b"green", b"blue", b"red"]]


def test_a_tf1_saved_models_asset_is_read_from_its_own_assets_folder(tmp_path: Path) -> None:
    # Newer writers record assets in MetaGraphDef.asset_file_def, not in a collection.
    from tensorflow.core.protobuf import saved_model_pb2

    vocab = tmp_path / "source" / "tokens.txt"
    vocab.parent.mkdir()
    vocab.write_text("red\ngreen\n")
    with tf.Graph().as_default():
        ids = tf1.placeholder(tf.int64, [None], name="ids")
        words = _lookup(vocab, ids)
        with tf1.Session() as session:
            tf1.saved_model.simple_save(session, str(tmp_path / "sm"), {"ids": ids}, {"w": words})
    vocab.unlink()  # Only the SavedModel's assets/ copy is left.
    pb = tmp_path / "sm" / "saved_model.pb"
    proto = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    meta_graph = proto.meta_graphs[0]
    for packed in meta_graph.collection_def.pop("saved_model_assets").any_list.value:
        packed.Unpack(meta_graph.asset_file_def.add())
    pb.write_bytes(proto.SerializeToString())
    spec = hub.create_module_spec_from_saved_model(str(tmp_path / "sm"))
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        words = module({"ids": [1]}, signature="serving_default", as_dict=True)["w"]
        assert _run(words).tolist() == [b"green"]


def test_garbage_collection_keeps_the_newest_timestamped_exports_and_other_folders(
    tmp_path: Path,
) -> None:
    from tfhub.tf1.export import garbage_collect_exports

    names = ["1700000001", "1700000003", "1700000002", "123", "temp-1700000004", "best"]
    for name in names:
        (tmp_path / name).mkdir()
    garbage_collect_exports(str(tmp_path), 2)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["123", "1700000002", "1700000003", "best", "temp-1700000004"]


def test_tags_given_as_bytes_make_the_graph_variant_of_those_strings() -> None:
    # As upstream: the MetaGraph's tags are protobuf strings, which take bytes.
    spec = hub.create_module_spec(_double_module_fn, tags_and_args=[(set(), {}), ({b"train"}, {})])
    assert spec.get_tags() == [frozenset(), frozenset({"train"})]


def test_the_exporter_restores_with_the_saver_of_the_model_fns_scaffold(tmp_path: Path) -> None:
    # The model's own Saver maps the module's variable to another checkpoint key.
    spec = hub.create_module_spec(_double_module_fn)

    def model_fn(features: Any, labels: Any, mode: str) -> Any:
        module = hub.Module(spec, name="double")
        hub.register_module_for_export(module, "double")
        saver = tf1.train.Saver({"renamed_w": module.variable_map["w"]})
        scaffold = types.SimpleNamespace(saver=saver)
        return types.SimpleNamespace(predictions=module(features["x"]), scaffold=scaffold)

    with tf.Graph().as_default():
        stored = tf1.get_variable("renamed_w", initializer=7.0)
        with tf1.Session() as session:
            session.run(stored.initializer)
            prefix = tf1.train.Saver().save(session, str(tmp_path / "ckpt" / "model.ckpt"))
    estimator = types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=None)
    exporter = hub.LatestModuleExporter("tf_hub", lambda: {"x": tf1.placeholder(tf.float32)})
    export_dir = exporter.export(estimator, str(tmp_path / "exports"), checkpoint_path=prefix)
    with tf.Graph().as_default():
        module = hub.Module(os.fsdecode(os.path.join(export_dir, b"double")))
        assert _run(module([1.0])).tolist() == [7.0]


def test_the_exporter_asks_latest_checkpoint_and_restores_nothing_for_stateless_modules(
    tmp_path: Path,
) -> None:
    # An object with latest_checkpoint() and no model_dir; a plain loop's checkpoint holds no
    # global_step, and the graph has no other variable: nothing to restore, nothing refused.
    def square_module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x * x)

    spec = hub.create_module_spec(square_module_fn)

    def model_fn(features: Any) -> Any:
        module = hub.Module(spec, name="square")
        hub.register_module_for_export(module, "square")
        return types.SimpleNamespace(predictions=module(features["x"]))

    with tf.Graph().as_default():
        other = tf1.get_variable("unrelated", initializer=1.0)
        with tf1.Session() as session:
            session.run(other.initializer)
            prefix = tf1.train.Saver().save(session, str(tmp_path / "ckpt" / "model.ckpt"))
    estimator = types.SimpleNamespace(model_fn=model_fn, latest_checkpoint=lambda: prefix)
    exporter = hub.LatestModuleExporter("tf_hub", lambda: {"x": tf1.placeholder(tf.float32)})
    export_dir = exporter.export(estimator, str(tmp_path / "exports"))
    with tf.Graph().as_default():
        module = hub.Module(os.fsdecode(os.path.join(export_dir, b"square")))
        assert _run(module([3.0])).tolist() == [9.0]


def test_spec_export_from_no_checkpoint_says_so_before_writing(tmp_path: Path) -> None:
    spec = hub.create_module_spec(_double_module_fn)
    missing = str(tmp_path / "nothing" / "model.ckpt")
    with pytest.raises(errors.ExportError, match="There is no checkpoint at"):
        spec.export(str(tmp_path / "module"), checkpoint_path=missing)
    assert not (tmp_path / "module").exists()


def test_spec_export_refuses_a_second_positional_argument_even_with_a_checkpoint(
    tmp_path: Path,
) -> None:
    spec = hub.create_module_spec(_double_module_fn)
    checkpoint = str(tmp_path / "model.ckpt")
    with pytest.raises(errors.ExportError, match="pass it by name"):
        spec.export(str(tmp_path / "module"), checkpoint, checkpoint_path=checkpoint)  # type: ignore[arg-type]

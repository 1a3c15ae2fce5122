"""create_module_spec, hub.Module in a graph, export, reload, fine-tune (TF1 Hub format)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.tf1.conftest import B_HIDDEN, EMBEDDINGS, L2, W_HIDDEN, hidden_np

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0], [4.0, 0.5, -2.0]], np.float32)


def _run(fetches: Any, *, init_tables: bool = True) -> Any:
    with tf.compat.v1.Session() as session:
        session.run(tf.compat.v1.global_variables_initializer())
        if init_tables:
            session.run(tf.compat.v1.tables_initializer())
        return session.run(fetches)


def _words() -> Any:
    # Row 0: apple, cherry; row 1: durian (OOV bucket = id 3).
    return tf.compat.v1.SparseTensorValue(
        [[0, 0], [0, 1], [1, 0]], [b"apple", b"cherry", b"durian"], [2, 2]
    )


def _expected_embed() -> np.ndarray:
    return np.stack([EMBEDDINGS[0] + EMBEDDINGS[2], EMBEDDINGS[3]])


def test_spec_describes_signatures_tags_and_messages(rich_spec: Any) -> None:
    assert sorted(rich_spec.get_tags(), key=sorted) == [frozenset(), frozenset({"train"})]
    assert sorted(rich_spec.get_signature_names()) == ["default", "embed", "pair"]
    inputs = rich_spec.get_input_info_dict()
    assert inputs["x"].dtype == tf.float32 and inputs["x"].get_shape().as_list() == [None, 3]
    assert not inputs["x"].is_sparse and not inputs["x"].is_composite
    words = rich_spec.get_input_info_dict("embed")["words"]
    assert words.is_sparse and words.is_composite and words.dtype == tf.string
    outputs = rich_spec.get_output_info_dict("default", tags={"train"})
    assert sorted(outputs) == ["default", "hidden"] and outputs["hidden"].get_shape().as_list() == [
        None,
        4,
    ]
    assert list(rich_spec.get_attached_message("numbers", tf.train.Int64List).value) == [1, 2]
    train_msg = rich_spec.get_attached_message("numbers", tf.train.Int64List, tags={"train"})
    assert list(train_msg.value) == [7, 8]
    assert rich_spec.get_attached_message("nope", tf.train.Int64List) is None
    with pytest.raises(KeyError, match="No attached message for key 'nope'"):
        rich_spec.get_attached_message("nope", tf.train.Int64List, required=True)


def test_module_applies_all_signatures_sharing_variables(rich_spec: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(rich_spec)
        out = module(X, as_dict=True)
        out2 = module({"x": X[:1]}, signature="default", as_dict=True)
        pair = module({"a": [1.0, 2.0], "b": [3.0, 4.0]}, signature="pair")
        embed = module(_words(), signature="embed")
        values = _run([out, out2, pair, embed])
        assert sorted(v.name for v in module.variables) == sorted(
            f"module/{n}:0"
            for n in ["bn/beta", "bn/gamma", "bn/moving_mean", "bn/moving_variance", "embeddings"]
            + ["hidden/b", "hidden/w", "pair/scale"]
        )
        assert module.variable_map["pair/scale"] is module.variables[-1]
        assert len(tf.compat.v1.trainable_variables()) == 0  # trainable=False
        assert tf.compat.v1.losses.get_regularization_losses() == []
    np.testing.assert_allclose(values[0]["hidden"], hidden_np(X), atol=1e-5)
    bn = hidden_np(X) / np.sqrt(1.0 + 1e-3)
    np.testing.assert_allclose(values[0]["default"], bn, atol=1e-5)
    np.testing.assert_allclose(values[1]["hidden"], hidden_np(X[:1]), atol=1e-5)
    np.testing.assert_allclose(values[2], [7.0, 10.0], atol=1e-6)
    np.testing.assert_allclose(values[3], _expected_embed(), atol=1e-6)


def test_trainable_module_adds_trainables_and_regularization_losses(rich_spec: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(rich_spec, trainable=True, name="enc")
        module(X)
        trainable = sorted(v.name for v in tf.compat.v1.trainable_variables())
        losses = tf.compat.v1.losses.get_regularization_losses()
        assert module.get_regularization_losses() == losses
        assert tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS) == []
        loss_values = _run(losses)
    assert "enc/bn/moving_mean:0" not in trainable and "enc/hidden/w:0" in trainable
    assert len(trainable) == 6
    np.testing.assert_allclose(loss_values, [L2 * np.sum(W_HIDDEN**2)], rtol=1e-5)


def test_train_tags_use_batch_statistics_and_update_ops(rich_spec: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(rich_spec, trainable=True, tags={"train"})
        out = module(X, as_dict=True)
        update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        assert len(update_ops) == 2
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            values, _ = session.run([out, update_ops])
            moving_mean = session.run(module.variable_map["bn/moving_mean"])
    hidden = hidden_np(X)
    expected = (hidden - hidden.mean(0)) / np.sqrt(hidden.var(0) + 1e-3)
    np.testing.assert_allclose(values["default"], expected, atol=1e-4)
    np.testing.assert_allclose(moving_mean, 0.1 * hidden.mean(0), atol=1e-5)


def test_export_move_reload_keeps_values_and_vocab_asset(
    rich_export: Path, vocab_file: Path
) -> None:
    assert (rich_export / "assets" / "tokens.txt").read_text() == vocab_file.read_text()
    assert (rich_export / "tfhub_module.pb").read_bytes() == b"\x08\x03"
    spec = hub.load_module_spec(rich_export)  # A pathlib.Path, as hub.load takes it.
    assert sorted(spec.get_tags(), key=sorted) == [frozenset(), frozenset({"train"})]
    hidden_vocab = vocab_file.with_name("hidden.txt")
    vocab_file.rename(hidden_vocab)  # The export must read its own copy in assets/.
    try:
        with tf.Graph().as_default():
            module = hub.Module(rich_export)  # A pathlib.Path too.
            values = _run([module(X, as_dict=True), module(_words(), signature="embed")])
    finally:
        hidden_vocab.rename(vocab_file)
    np.testing.assert_allclose(values[0]["hidden"], hidden_np(X), atol=1e-5)
    np.testing.assert_allclose(values[1], _expected_embed(), atol=1e-6)
    assert list(spec.get_attached_message("numbers", tf.train.Int64List, tags={"train"}).value) == [
        7,
        8,
    ]


def test_saved_model_layout_matches_upstream(rich_export: Path) -> None:
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((rich_export / "saved_model.pb").read_bytes())
    assert sorted(sorted(mg.meta_info_def.tags) for mg in proto.meta_graphs) == [[], ["train"]]
    for meta_graph in proto.meta_graphs:
        assert set(meta_graph.signature_def) == {"default", "pair", "embed"}
        assert (
            meta_graph.signature_def["embed"].inputs["words"].WhichOneof("encoding") == "coo_sparse"
        )
        keys = set(meta_graph.collection_def)
        assert {"hub_module_attachments", "saved_model_assets", "asset_filepaths"} <= keys
        assert (
            meta_graph.collection_def["hub_module_attachments"].WhichOneof("kind") == "bytes_list"
        )
        assert not meta_graph.HasField("object_graph_def")


def test_fine_tune_in_session_then_export_again(rich_export: Path, tmp_path: Path) -> None:
    target = np.ones([3, 4], np.float32)
    with tf.Graph().as_default():
        module = hub.Module(str(rich_export), trainable=True)
        hidden = module(X, as_dict=True)["hidden"]
        loss = tf.reduce_mean(tf.square(hidden - target)) + tf.add_n(
            tf.compat.v1.losses.get_regularization_losses()
        )
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.05).minimize(loss)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            before = session.run(loss)
            for _ in range(5):
                session.run(train_op)
            after, tuned = session.run([loss, hidden])
            module.export(str(tmp_path / "tuned"), session)
    assert after < before
    with tf.Graph().as_default():
        module = hub.Module(str(tmp_path / "tuned"))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            with pytest.raises(
                errors.ExportError, match="already holds a TF1 Hub module"
            ) as raised:
                module.export(str(tmp_path / "tuned"), session)
    # Upstream's export raised TensorFlow's AlreadyExistsError here; code catching it still does.
    assert isinstance(raised.value, errors.ModuleExistsError)
    assert isinstance(raised.value, tf.errors.AlreadyExistsError)
    assert raised.value.path == str(tmp_path / "tuned")
    shutil.move(str(tmp_path / "tuned"), str(tmp_path / "tuned_moved"))
    with tf.Graph().as_default():
        reloaded = _run(hub.Module(str(tmp_path / "tuned_moved"))(X, as_dict=True)["hidden"])
    np.testing.assert_allclose(reloaded, tuned, atol=1e-5)
    assert not np.allclose(reloaded, hidden_np(X), atol=1e-3)


def test_modules_in_one_graph_get_unique_scopes(rich_export: Path) -> None:
    with tf.Graph().as_default():
        first, second = hub.Module(str(rich_export)), hub.Module(str(rich_export))
        with tf.compat.v1.variable_scope("outer"):
            third = hub.Module(str(rich_export), name="inner")
        assert first.variable_map["hidden/b"].name == "module/hidden/b:0"
        assert second.variable_map["hidden/b"].name == "module_1/hidden/b:0"
        assert third.variable_map["hidden/b"].name == "outer/inner/hidden/b:0"
        values = _run(
            [m({"a": [1.0], "b": [1.0]}, signature="pair") for m in (first, second, third)]
        )
    np.testing.assert_allclose(values, [[3.0]] * 3)


def test_eval_function_for_module(rich_export: Path) -> None:
    with hub.eval_function_for_module(str(rich_export)) as f:
        hidden = f(X, as_dict=True)["hidden"]
        pair = f({"a": np.array([1.0]), "b": np.array([2.0])}, signature="pair")
        embed = f(_words(), signature="embed")
    np.testing.assert_allclose(embed, _expected_embed(), atol=1e-6)
    np.testing.assert_allclose(hidden, hidden_np(X), atol=1e-5)
    np.testing.assert_allclose(pair, [5.0])


def test_eval_function_unknown_signature_is_a_key_error(rich_export: Path) -> None:
    """Upstream's function looked the signature up in a dict, so callers catch KeyError."""
    with hub.eval_function_for_module(str(rich_export)) as f:
        with pytest.raises(KeyError) as raised:
            f(X, signature="nope")
    assert isinstance(raised.value, errors.UnknownSignatureError)
    assert "'default'" in str(raised.value) and "Received: signature='nope'" in str(raised.value)
    assert "default" in raised.value.available


def test_spec_export_from_checkpoint(rich_spec: Any, tmp_path: Path) -> None:
    with tf.Graph().as_default():
        module = hub.Module(rich_spec, name="tower")
        var_list = {f"tower/{name}": v for name, v in module.variable_map.items()}
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.assign(module.variable_map["hidden/w"], 2 * W_HIDDEN))
            ckpt = tf.compat.v1.train.Saver(var_list).save(
                session, str(tmp_path / "ckpt" / "model")
            )
    with pytest.raises(errors.ExportError, match="checkpoint_path"):
        rich_spec.export(str(tmp_path / "bad"))
    rich_spec.export(
        str(tmp_path / "out"), checkpoint_path=ckpt, name_transform_fn=lambda n: f"tower/{n}"
    )
    # Upstream's module-level helper, at its module path: the same export.
    from tfhub.module import export_module_spec

    export_module_spec(rich_spec, str(tmp_path / "out2"), ckpt, lambda n: f"tower/{n}")
    for out in ("out", "out2"):
        with tf.Graph().as_default():
            hidden = _run(hub.Module(str(tmp_path / out))(X, as_dict=True)["hidden"])
        expected = np.maximum(X @ (2 * W_HIDDEN) + B_HIDDEN, 0)
        np.testing.assert_allclose(hidden, expected, atol=1e-5)


def test_drop_collections_and_from_saved_model(tmp_path: Path) -> None:
    export_dir = str(tmp_path / "sm")
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        v = tf.compat.v1.get_variable("v", initializer=3.0)
        tf.compat.v1.add_to_collection("my_stuff", v)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.saved_model.simple_save(session, export_dir, {"x": x}, {"y": x * v})
    with pytest.raises(
        errors.ModuleSpecError, match=r"Unsupported collections in graph: \['my_stuff'\]"
    ):
        hub.create_module_spec_from_saved_model(export_dir)
    spec = hub.create_module_spec_from_saved_model(export_dir, drop_collections=["my_stuff"])
    assert spec.get_tags() == [frozenset({"serve"})]
    with tf.Graph().as_default():
        module = hub.Module(spec, tags={"serve"})
        y = module({"x": [1.0, 2.0]}, signature="serving_default", as_dict=True)["y"]
        np.testing.assert_allclose(_run(y), [3.0, 6.0])

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        tf.compat.v1.add_to_collection("my_stuff", x)
        hub.add_signature(inputs=x, outputs=x + 1)

    dropped = hub.create_module_spec(module_fn, drop_collections=["my_stuff"])
    assert "my_stuff" not in dropped.get_meta_graph().collection_def


def test_output_that_is_an_input_and_signature_without_inputs() -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs={"same": x, "default": x * 2})
        hub.add_signature("const", outputs=tf.constant([4.0]))

    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        values = _run([module([1.0], as_dict=True), module(signature="const")])
    np.testing.assert_allclose(values[0]["same"], [1.0])
    np.testing.assert_allclose(values[1], [4.0])


# --- Errors ---------------------------------------------------------------------------------


def test_module_fn_without_signature_is_an_error() -> None:
    def module_fn() -> None:
        tf.compat.v1.placeholder(tf.float32, [None])

    with pytest.raises(errors.ModuleSpecError, match=r"No signatures present.*hub.add_signature"):
        hub.create_module_spec(module_fn)


def test_duplicate_signature_names_are_an_error() -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature("twice", inputs=x, outputs=x)
        hub.add_signature("twice", inputs=x, outputs=x + 1)

    with pytest.raises(errors.ModuleSpecError, match="same name.*name='twice'"):
        hub.create_module_spec(module_fn)


def test_malformed_attachment_key_is_an_error() -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x)
        hub.attach_message("1-bad", tf.train.Int64List())

    with pytest.raises(errors.ModuleSpecError, match="malformed key '1-bad'"):
        hub.create_module_spec(module_fn)


def test_unknown_tags_and_signature_list_the_available_ones(rich_spec: Any) -> None:
    with tf.Graph().as_default():
        with pytest.raises(
            errors.UnknownTagsError,
            match=r"No such graph variant: tags=\['serve'\].*\[\], \['train'\]",
        ):
            hub.Module(rich_spec, tags={"serve"})
        module = hub.Module(rich_spec)
        with pytest.raises(
            ValueError, match=r"Signature 'nope' is missing.*\['default', 'embed', 'pair'\]"
        ):
            module(X, signature="nope")


def test_a_signature_that_is_not_a_string_says_so(rich_spec: Any) -> None:
    """Was protobuf's bare TypeError "bad argument type for built-in operation"."""
    pattern = r"signature name is a string.*\['default', 'embed', 'pair'\].*signature=3"
    with pytest.raises(errors.ArgumentTypeError, match=pattern):
        hub.Module(rich_spec)(X, signature=3)  # Eagerly.
    with tf.Graph().as_default(), pytest.raises(TypeError, match=pattern):
        hub.Module(rich_spec)(X, signature=3)
    with pytest.raises(TypeError, match=pattern):
        rich_spec.get_input_info_dict(signature=3)


def test_wrong_input_keys_name_the_signature_keys(rich_spec: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(rich_spec)
        with pytest.raises(TypeError, match=r"missing \['b'\], extra given \['c'\].*\['a', 'b'\]"):
            module({"a": [1.0], "c": [1.0]}, signature="pair")
        with pytest.raises(errors.SignatureInputError, match="expects multiple inputs"):
            module([1.0], signature="pair")
        with pytest.raises(errors.SignatureInputError, match=r"Can't convert 'x'"):
            module(np.zeros([2, 5], np.float32))


def test_tf2_saved_model_is_not_a_tf1_module(upstream_dir: Path) -> None:
    with pytest.raises(errors.NotATF1ModuleError, match="TF2 SavedModel.*hub.load.*KerasLayer"):
        hub.load_module_spec(str(upstream_dir / "tf2_saved_model"))
    with tf.Graph().as_default(), pytest.raises(errors.NotATF1ModuleError):
        hub.Module(str(upstream_dir / "tf2_saved_model"))


def test_folder_without_saved_model_is_not_a_module(tmp_path: Path) -> None:
    os.makedirs(tmp_path / "empty")
    with pytest.raises(
        errors.NotATF1ModuleError, match="neither tfhub_module.pb nor saved_model.pb"
    ):
        hub.load_module_spec(str(tmp_path / "empty"))


def test_control_flow_and_pruned_applications() -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        n = tf.compat.v1.placeholder(tf.int32, [], name="n")
        big = tf.compat.v1.get_variable("big", initializer=np.ones([256, 64], np.float32))
        doubled = tf.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, v * 2.0), [0, x])[1]
        signed = tf.cond(tf.reduce_sum(x) > 0, lambda: doubled, lambda: -doubled)
        hub.add_signature(inputs={"x": x, "n": n}, outputs=signed + tf.reduce_sum(big) * 0.0)
        hub.add_signature("plain", inputs=x, outputs=x + 1.0)

    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default() as graph:
        module = hub.Module(spec)
        looped = module({"x": [1.0, 2.0], "n": 3})
        negative = module({"x": [-1.0], "n": 1})
        plain = module([1.0], signature="plain")
        values = _run([looped, negative, plain])
        apply_ops = [
            op for op in graph.get_operations() if op.name.startswith("module_apply_plain/")
        ]
        # The "plain" application imports only what its output needs, not the loop nor `big`.
        assert sorted(op.type for op in apply_ops) == ["AddV2", "Const", "Placeholder"]
    np.testing.assert_allclose(values[0], [8.0, 16.0])
    np.testing.assert_allclose(values[1], [2.0])
    np.testing.assert_allclose(values[2], [2.0])


def test_apply_inside_cond_and_while_loop(upstream_dir: Path) -> None:
    with tf.Graph().as_default():
        module = hub.Module(str(upstream_dir / "tf1_multi_sig"))
        x = tf.constant([[1.0, 2.0, 3.0]])
        direct = module(x)
        in_cond = tf.cond(tf.constant(True), lambda: module(x), lambda: tf.zeros([1, 2]))
        in_loop = tf.while_loop(
            lambda i, acc: i < 3, lambda i, acc: (i + 1, acc + module(x)), [0, tf.zeros([1, 2])]
        )[1]
        values = _run([direct, in_cond, in_loop])
    np.testing.assert_allclose(values[1], values[0], atol=1e-6)
    np.testing.assert_allclose(values[2], 3 * values[0], atol=1e-5)


def test_partitioned_variables_round_trip(tmp_path: Path) -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4])
        w = tf.compat.v1.get_variable(
            "w",
            shape=[4, 3],
            initializer=tf.compat.v1.ones_initializer(),
            partitioner=tf.compat.v1.fixed_size_partitioner(2),
        )
        hub.add_signature(inputs=x, outputs=tf.matmul(x, w))

    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        parts = module.variable_map["w"]
        assert [v.name for v in parts] == ["module/w/part_0:0", "module/w/part_1:0"]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.assign(parts[1], np.full([2, 3], 2.0, np.float32)))
            module.export(str(tmp_path / "partitioned"), session)
    with tf.Graph().as_default():
        value = _run(hub.Module(str(tmp_path / "partitioned"))(np.ones([1, 4], np.float32)))
    np.testing.assert_allclose(value, [[6.0, 6.0, 6.0]])  # 2 rows of ones + 2 rows of twos.


def test_assets_with_same_basename_get_distinct_names(tmp_path: Path) -> None:
    for folder, words in (("a", ["x", "y"]), ("b", ["y", "x"])):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "tokens.txt").write_text("\n".join(words) + "\n")

    def module_fn() -> None:
        words = tf.compat.v1.placeholder(tf.string, [None])
        outputs = {}
        for folder in ("a", "b"):
            init = tf.compat.v1.lookup.TextFileInitializer(
                str(tmp_path / folder / "tokens.txt"), tf.string, -2, tf.int64, -1
            )
            outputs[folder] = tf.compat.v1.lookup.StaticHashTable(init, -1).lookup(words)
        hub.add_signature(inputs=words, outputs=outputs)

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.tables_initializer())
            module.export(str(tmp_path / "out"), session)
    shutil.rmtree(tmp_path / "a")
    shutil.rmtree(tmp_path / "b")
    assert sorted(os.listdir(tmp_path / "out" / "assets")) == ["tokens.txt", "tokens.txt0"]
    with tf.Graph().as_default():
        ids = _run(hub.Module(str(tmp_path / "out"))(["x", "y", "z"], as_dict=True))
    np.testing.assert_array_equal(ids["a"], [0, 1, -1])
    np.testing.assert_array_equal(ids["b"], [1, 0, -1])


@pytest.mark.parametrize("kind", ["finalized_session", "monitored_session"])
def test_export_from_a_finalized_graph(rich_export: Path, tmp_path: Path, kind: str) -> None:
    with tf.Graph().as_default() as graph:
        module = hub.Module(str(rich_export))
        assign = tf.compat.v1.assign(module.variable_map["pair/scale"], 5.0)
        if kind == "monitored_session":  # Initializes variables and finalizes the graph.
            session = tf.compat.v1.train.MonitoredSession()
        else:
            init = tf.compat.v1.global_variables_initializer()
            graph.finalize()
            session = tf.compat.v1.Session()
            session.run(init)
        with session:
            session.run(assign)
            module.export(str(tmp_path / "out"), session)
            assert graph.finalized  # Still, after the Saver was added for the export.
    with hub.eval_function_for_module(str(tmp_path / "out")) as f:
        np.testing.assert_allclose(f({"a": [1.0], "b": [1.0]}, signature="pair"), [6.0])


def test_colocation_with_state_is_rewritten_to_the_module_state() -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        w = tf.compat.v1.get_variable("w", initializer=2.0)
        with tf.compat.v1.colocate_with(w.op):
            y = tf.multiply(x, w, name="scaled")
        hub.add_signature(inputs=x, outputs=y)

    with tf.Graph().as_default() as graph:
        module = hub.Module(hub.create_module_spec(module_fn))
        out = module([3.0])
        scaled = graph.get_operation_by_name("module_apply_default/scaled")
        assert scaled.colocation_groups() == [b"loc:@module/w"]
        np.testing.assert_allclose(_run(out), [6.0])


def test_colocation_errors_at_creation() -> None:
    def state_colocated() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        with tf.compat.v1.colocate_with(x.op):
            w = tf.compat.v1.get_variable("w", initializer=2.0)
        hub.add_signature(inputs=x, outputs=x * w)

    with pytest.raises(errors.ModuleSpecError, match="state-holding node"):
        hub.create_module_spec(state_colocated)

    def input_colocated() -> None:
        w = tf.compat.v1.get_variable("w", initializer=2.0)
        with tf.compat.v1.colocate_with(w.op):
            x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x * w)

    with pytest.raises(errors.ModuleSpecError, match="must not be subject to a tf.colocate_with"):
        hub.create_module_spec(input_colocated)


def test_modules_with_clashing_function_names_in_one_graph() -> None:
    from tensorflow.python.framework import function as legacy_function

    def make_spec(factor: float) -> Any:
        def module_fn() -> None:
            @legacy_function.Defun(tf.float32, func_name="scale")  # Same name, other body.
            def scale(v: Any) -> Any:
                return v * factor

            x = tf.compat.v1.placeholder(tf.float32, [None])
            hub.add_signature(inputs=x, outputs=scale(x))

        return hub.create_module_spec(module_fn)

    with tf.Graph().as_default():
        doubled = hub.Module(make_spec(2.0))([1.0, 2.0])
        tripled = hub.Module(make_spec(3.0))([1.0, 2.0])
        values = _run([doubled, tripled])
    np.testing.assert_allclose(values, [[2.0, 4.0], [3.0, 6.0]])


def test_tf1_v1_control_flow_module_in_graph_and_eager() -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        w = tf.compat.v1.get_variable("w", initializer=2.0)
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * w, lambda: -x)
        z = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v + w), [0, x])[1]
        hub.add_signature(inputs=x, outputs={"default": y, "loop": z})

    tf.compat.v1.disable_control_flow_v2()  # As TF1-era modules were built.
    try:
        spec = hub.create_module_spec(module_fn)
    finally:
        tf.compat.v1.enable_control_flow_v2()
    assert {"cond_context", "while_context"} <= set(spec.get_meta_graph().collection_def)
    with tf.Graph().as_default():
        module = hub.Module(spec, trainable=True)
        out = module([1.0, 2.0], as_dict=True)
        negative = module([-1.0])
        (grad,) = tf.gradients(tf.reduce_sum(out["loop"]), module.variables)
        values = _run([out, negative, grad])
    np.testing.assert_allclose(values[0]["default"], [2.0, 4.0])
    np.testing.assert_allclose(values[0]["loop"], [7.0, 8.0])
    np.testing.assert_allclose(values[1], [1.0])
    assert values[2] == pytest.approx(6.0)
    eager = hub.Module(spec)([1.0, 2.0], as_dict=True)
    np.testing.assert_allclose(eager["loop"].numpy(), [7.0, 8.0])

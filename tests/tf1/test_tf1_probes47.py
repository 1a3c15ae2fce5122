"""TF1 Hub format defects found by review47 (H1, M1, M4, M6, L3-L6), each checked failing-first:
a loaded module carries only its own assets, a trainable module's update ops and a module's
variables are never listed in a graph they cannot run in, a user's variable under the module's
scope is not called damage, and hostile names and bytes from a module's files give tfhub errors
that are also what upstream raised (session 47)."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1

_X = np.array([[1, 2, 3], [4, 5, 6]], np.float32)


def _edited(source: Path, target: Path, edit: Callable[[Any], None]) -> Path:
    """A copy of the module `source` at `target`, its first MetaGraph changed by `edit`."""
    from tensorflow.core.protobuf import saved_model_pb2

    shutil.copytree(source, target)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((target / "saved_model.pb").read_bytes())
    edit(proto.meta_graphs[0])
    (target / "saved_model.pb").write_bytes(proto.SerializeToString())
    return target


def _set_asset_filename(filename: str) -> Callable[[Any], None]:
    def edit(meta_graph: Any) -> None:
        from tensorflow.core.protobuf import meta_graph_pb2

        for packed in meta_graph.collection_def["saved_model_assets"].any_list.value:
            asset = meta_graph_pb2.AssetFileDef()
            packed.Unpack(asset)
            asset.filename = filename
            packed.Pack(asset)

    return edit


def _outside_asset_constant(secret: Path) -> Callable[[Any], None]:
    """Adds a string constant naming `secret` to ASSET_FILEPATHS, not to the module's assets."""

    def edit(meta_graph: Any) -> None:
        node = meta_graph.graph_def.node.add()
        node.name, node.op = "evil", "Const"
        node.attr["dtype"].type = tf.string.as_datatype_enum
        node.attr["value"].tensor.dtype = tf.string.as_datatype_enum
        node.attr["value"].tensor.tensor_shape.SetInParent()
        node.attr["value"].tensor.string_val.append(str(secret).encode())
        meta_graph.collection_def["asset_filepaths"].node_list.value.append("evil:0")

    return edit


# --- H1: a loaded module carries only its own assets ---------------------------------------------


def test_a_loaded_module_naming_a_file_outside_it_as_an_asset_is_refused(upstream_dir, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET\n")
    module = _edited(
        upstream_dir / "tf1_text_vocab", tmp_path / "module", _outside_asset_constant(secret)
    )
    with tf.Graph().as_default(), pytest.raises(errors.ForeignAssetError) as caught:
        hub.Module(str(module))  # Before: loaded, ran, and its export copied the secret.
    err = caught.value
    assert isinstance(err, errors.DamagedModelError) and isinstance(err, ValueError)
    message = str(err)
    assert str(module) in message and "constant evil" in message and str(secret) in message
    assert "get it again from a source you trust" in message and err.path == str(module)
    assert pickle.loads(pickle.dumps(err)).problem == err.problem
    with pytest.raises(errors.ForeignAssetError):
        hub.load_module_spec(str(module))


def test_a_loaded_module_with_its_own_assets_still_exports_them_alone(upstream_dir, tmp_path):
    with tf.Graph().as_default():
        module = hub.Module(str(upstream_dir / "tf1_text_vocab"))
        with tf1.Session() as session:
            session.run([tf1.global_variables_initializer(), tf1.tables_initializer()])
            module.export(str(tmp_path / "again"), session)
    assert sorted(p.name for p in (tmp_path / "again" / "assets").iterdir()) == ["tokens.txt"]
    hub.load_module_spec(str(tmp_path / "again"))  # Its re-export loads too.


def test_a_module_fn_may_still_name_a_vocabulary_anywhere(tmp_path):
    vocab = tmp_path / "elsewhere" / "words.txt"
    vocab.parent.mkdir()
    vocab.write_text("a\nb\n")

    def module_fn() -> None:
        table = tf1.lookup.StaticVocabularyTable(
            tf1.lookup.TextFileInitializer(str(vocab), tf.string, -2, tf.int64, -1), 1
        )
        words = tf1.placeholder(tf.string, [None])
        hub.add_signature(inputs=words, outputs=table.lookup(words))

    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf1.Session() as session:
            module.export(str(tmp_path / "m"), session)
    assert (tmp_path / "m" / "assets" / "words.txt").read_text() == "a\nb\n"
    with tf.Graph().as_default():
        ids = hub.Module(str(tmp_path / "m"))(tf.constant(["b", "z"]))
        with tf1.Session() as session:
            session.run(tf1.tables_initializer())
            assert session.run(ids).tolist() == [1, 2]


# --- M1, M6: tf.cond / tf.while_loop bodies ------------------------------------------------------


def _in_cond(fn: Callable[[], Any], x: Any) -> Any:
    return tf1.cond(tf.constant(True), fn, lambda: tf.zeros_like(x))


def _in_while(fn: Callable[[], Any], x: Any) -> Any:
    def body(i: Any, acc: Any) -> tuple[Any, Any]:
        return i + 1, acc + fn()

    return tf1.while_loop(lambda i, acc: i < 2, body, [tf.constant(0), tf.zeros_like(x)])[1]


@pytest.mark.parametrize("wrap", [_in_cond, _in_while], ids=["cond", "while_loop"])
def test_a_trainable_module_with_update_ops_is_refused_inside_control_flow(upstream_dir, wrap):
    with tf.Graph().as_default():
        module = hub.Module(str(upstream_dir / "tf1_train_tags"), trainable=True, tags={"train"})
        x = tf.constant(_X)
        with pytest.raises(errors.ControlFlowModuleError) as caught:
            wrap(lambda: module(x), x)
        assert tf1.get_collection(tf1.GraphKeys.UPDATE_OPS) == []  # Nothing out of reach.
    assert isinstance(caught.value, RuntimeError)  # As upstream raised.
    message = str(caught.value)
    assert "'module'" in message and "UPDATE_OPS" in message
    assert "Apply the module outside the cond/loop" in message


def test_the_same_module_applied_outside_a_cond_updates_its_moving_mean(upstream_dir):
    with tf.Graph().as_default():
        module = hub.Module(str(upstream_dir / "tf1_train_tags"), trainable=True, tags={"train"})
        x = tf1.placeholder(tf.float32, [None, 3])
        flag = tf1.placeholder(tf.bool, [])
        applied = module(x)  # Outside, then the cond picks.
        y = tf1.cond(flag, lambda: applied, lambda: x)
        updates = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
        assert updates
        with tf.control_dependencies(updates):
            step = tf1.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y))
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            session.run(step, {x: _X, flag: True})
            mean = session.run(module.variable_map["bn/moving_mean"])
    # What tensorflow_hub 0.10.0 computes for the same graph.
    np.testing.assert_allclose(mean, [0.875, 0.025, 1.325], rtol=1e-5)


@pytest.mark.parametrize("wrap", [_in_cond, _in_while], ids=["cond", "while_loop"])
def test_modules_without_update_ops_still_apply_inside_control_flow(upstream_dir, wrap):
    with tf.Graph().as_default():  # Not trainable: the train variant's UPDATE_OPS are dropped.
        module = hub.Module(str(upstream_dir / "tf1_train_tags"), tags={"train"})
        x = tf.constant(_X)
        y = wrap(lambda: module(x), x)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            assert session.run(y).shape == (2, 3)


@pytest.mark.parametrize("wrap", [_in_cond, _in_while], ids=["cond", "while_loop"])
def test_a_module_created_inside_control_flow_is_refused(upstream_dir, wrap):
    path = str(upstream_dir / "tf1_multi_sig")
    with tf.Graph().as_default():
        x = tf.constant([[1.0, 2.0, 3.0]])
        with pytest.raises(errors.ControlFlowModuleError) as caught:
            wrap(lambda: hub.Module(path)(x), tf.zeros([1, 2]))
        assert tf1.global_variables() == []  # Before: listed, and the initializer failed.
        module = hub.Module(path)  # Created outside, then applied inside: works.
        y = wrap(lambda: module(x), tf.zeros([1, 2]))
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            assert session.run(y).shape == (1, 2)
    assert isinstance(caught.value, RuntimeError)
    assert "Create the hub.Module outside the cond/loop, then apply it inside" in str(caught.value)


def test_a_module_created_inside_wrap_function_still_works(upstream_dir):
    path = str(upstream_dir / "tf1_multi_sig")
    with tf.Graph().as_default():
        wrapped = tf1.wrap_function(lambda: hub.Module(path)(tf.constant([[1.0, 2.0, 3.0]])), [])
        assert wrapped is not None  # Its own collections: not a control flow body.


# --- M4: a user's variable under the module's scope ----------------------------------------------


def test_a_user_variable_under_the_module_scope_is_named_not_called_damage(upstream_dir):
    path = str(upstream_dir / "tf1_multi_sig")
    with tf.Graph().as_default():
        tf1.Variable(0, name="module/step")
        with pytest.raises(errors.ModuleScopeTakenError) as caught:
            hub.Module(path)
        other = hub.Module(path, name="other")  # What the message says to do.
        assert sorted(other.variable_map) == sorted(
            ["hidden/weights", "hidden/bias", "logits/weights", "logits/bias", "pair/scale"]
        )
    err = caught.value
    assert isinstance(err, ValueError) and not isinstance(err, errors.DamagedModelError)
    message = str(err)
    assert "module/step" in message and "another name=" in message and "damaged" not in message


# --- L3, L4: asset names from the module's files in messages -------------------------------------


def test_points_outside_keeps_upstream_wording(upstream_dir, tmp_path):
    module = _edited(upstream_dir / "tf1_text_vocab", tmp_path / "m", _set_asset_filename("../x"))
    with pytest.raises(errors.TFHubLoadError) as caught:
        hub.load_module_spec(str(module))
    assert "Asset filename (../x) points outside assets_dir" in str(caught.value)
    assert str(module / "assets") in str(caught.value)


@pytest.mark.parametrize(
    ("filename", "shown"),
    [("tok\x00ens.txt", "assets/tok\\x00ens.txt is missing"), ("x" * 5000, "x" * 200 + "...")],
    ids=["nul", "long"],
)
def test_a_missing_asset_name_is_escaped_and_cut(upstream_dir, tmp_path, filename, shown):
    module = _edited(upstream_dir / "tf1_text_vocab", tmp_path / "m", _set_asset_filename(filename))
    with pytest.raises(errors.MissingModelFileError) as caught:
        hub.load_module_spec(str(module))
    message = str(caught.value)
    assert shown in message and "\x00" not in message and len(message) < 600


# --- L5: damaged protobuf bytes are also protobuf's DecodeError ----------------------------------


def test_a_damaged_attached_message_is_a_decode_error_naming_the_module(upstream_dir, tmp_path):
    from google.protobuf.message import DecodeError

    def damage(meta_graph: Any) -> None:
        meta_graph.collection_def["hub_module_attachments"].bytes_list.value[0] = b"\xff\xff\xff"

    module = _edited(upstream_dir / "tf1_image_info", tmp_path / "m", damage)
    with pytest.raises(DecodeError) as caught:
        hub.load_module_spec(str(module))
    err = caught.value
    assert isinstance(err, errors.DamagedMessageError) and isinstance(err, errors.DamagedModelError)
    assert str(module) in str(err) and "attached message #0 (3 bytes" in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and again.path == str(module)


def test_a_garbage_module_marker_is_also_a_decode_error(upstream_dir, tmp_path):
    from google.protobuf.message import DecodeError

    module = Path(shutil.copytree(upstream_dir / "tf1_multi_sig", tmp_path / "m"))
    (module / "tfhub_module.pb").write_bytes(b"\xff\xff\xff\xff garbage")
    with pytest.raises(errors.DamagedModelError) as caught:
        hub.load_module_spec(str(module))
    assert isinstance(caught.value, DecodeError) and str(module) in str(caught.value)
    assert "tfhub_module.pb (12 bytes) is truncated or damaged" in str(caught.value)


# --- L6: names TensorFlow cannot scope ------------------------------------------------------------


@pytest.mark.parametrize("name", ["/m", "m/"])
def test_a_name_with_a_leading_or_trailing_slash_is_refused(upstream_dir, name):
    with tf.Graph().as_default():
        with pytest.raises(errors.ArgumentError) as caught:
            hub.Module(str(upstream_dir / "tf1_multi_sig"), name=name)
        assert tf1.global_variables() == []
        nested = hub.Module(str(upstream_dir / "tf1_multi_sig"), name="m//n")  # As upstream.
        assert nested.variables[0].name.startswith("m//n/")
    assert isinstance(caught.value, ValueError) and f"Received: name={name!r}" in str(caught.value)

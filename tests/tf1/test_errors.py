"""TF1 Hub format errors: each a specific exception saying what went wrong and where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _one_signature() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x + 1.0)


def test_missing_or_duplicate_signature_names_the_graph_variant() -> None:
    def module_fn(is_training: bool = False) -> None:
        if not is_training:
            _one_signature()

    variants = [(set(), {}), ({"train"}, {"is_training": True})]
    with pytest.raises(
        errors.ModuleSpecError, match=r"No signatures present.*graph variant tags=\['train'\]"
    ):
        hub.create_module_spec(module_fn, tags_and_args=variants)

    def twice() -> None:
        _one_signature()
        _one_signature()

    with pytest.raises(
        errors.ModuleSpecError, match=r"twice.*graph variant tags=\['serve'\].*name='default'"
    ):
        hub.create_module_spec(twice, tags_and_args=[({"serve"}, {})])


def test_signature_values_that_are_not_graph_tensors() -> None:
    def numpy_input() -> None:
        hub.add_signature(inputs={"a": np.ones(3)}, outputs=tf.constant(1.0))

    with pytest.raises(
        errors.ModuleSpecError,
        match=r"^Value for key 'a' should be a Tensor or CompositeTensor object",
    ):
        hub.create_module_spec(numpy_input)

    def variable_input() -> None:
        v = tf.compat.v1.get_variable("v", initializer=1.0)
        hub.add_signature(inputs={"a": v}, outputs=v)

    with pytest.raises(
        errors.ModuleSpecError,
        match=r"^Value for key 'a' should be a Tensor or CompositeTensor object",
    ):
        hub.create_module_spec(variable_input)


def test_add_signature_and_attach_message_only_inside_module_fn() -> None:
    assert tf.executing_eagerly()
    with pytest.raises(errors.ModuleSpecError, match=r"add_signature\(\) must be called inside"):
        hub.add_signature(inputs=tf.constant(1.0), outputs=tf.constant(1.0))
    with pytest.raises(errors.ModuleSpecError, match=r"attach_message\(\) must be called inside"):
        hub.attach_message("key", tf.train.Int64List(value=[1]))

    def bad_message() -> None:
        _one_signature()
        hub.attach_message("key", "not a proto")

    with pytest.raises(errors.NotAMessageError, match="needs a protocol message for key 'key'"):
        hub.create_module_spec(bad_message)


def test_unknown_tags_and_signature_say_which_module(upstream_dir: Path) -> None:
    path = str(upstream_dir / "tf1_multi_sig")
    spec = hub.load_module_spec(path)
    with pytest.raises(errors.UnknownTagsError, match=rf"tag sets are: \[\] \(at {path}\)"):
        spec.get_signature_names(tags={"serve"})
    with pytest.raises(errors.UnknownTagsError, match=rf"\(at {path}\)"):
        hub.Module(path, tags={"serve"})  # Eagerly.
    message = rf"\['default', 'sum_pair'\] in the graph variant tags=\[\] \(at {path}\)"
    with pytest.raises(errors.UnknownSignatureError, match=message):
        spec.get_input_info_dict("nope")
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(errors.UnknownSignatureError, match=message):
            module(np.zeros([1, 3], np.float32), signature="nope")


def test_tf2_saved_model_is_refused_by_create_module_spec_from_saved_model(
    upstream_dir: Path,
) -> None:
    # Before, this gave a spec whose variables could never be restored (failing at run time).
    with pytest.raises(
        errors.NotATF1ModuleError, match=r"tf2_saved_model is a TF2 SavedModel.*hub.load\(path\)"
    ):
        hub.create_module_spec_from_saved_model(str(upstream_dir / "tf2_saved_model"))


def test_module_used_with_another_graph_or_without_session(upstream_dir: Path) -> None:
    with tf.Graph().as_default():
        module = hub.Module(str(upstream_dir / "tf1_multi_sig"))
        with pytest.raises(errors.ModuleGraphError, match="needs the tf.compat.v1.Session"):
            module.export("/nonexistent/out")
    with tf.Graph().as_default():
        with pytest.raises(RuntimeError, match="applied in the graph it was instantiated for"):
            module(np.zeros([1, 3], np.float32))
        with tf.compat.v1.Session() as session, pytest.raises(errors.ModuleGraphError):
            module.export("/nonexistent/out", session)


def _sparse_spec(dtype: Any) -> Any:
    def module_fn() -> None:
        ids = tf.compat.v1.sparse_placeholder(dtype, [None, None])
        hub.add_signature(inputs=ids, outputs=tf.sparse.reduce_sum(ids, axis=1))

    return hub.create_module_spec(module_fn)


@pytest.mark.parametrize(
    ("dtype", "values", "expected"),
    [(tf.int64, [5, 6], [5, 6]), (tf.float32, np.array([1.5, 2.0]), [1.5, 2.0])],
)
def test_sparse_tensor_values_are_converted_to_the_signature_dtype(
    dtype: Any, values: Any, expected: list[float]
) -> None:
    # Python ints are int32 and numpy floats float64 in a SparseTensor: both used to fail with
    # TensorFlow's bare "RuntimeError: Sparse dtype mismatch".
    value = tf.compat.v1.SparseTensorValue([[0, 0], [1, 1]], values, [2, 2])
    spec = _sparse_spec(dtype)
    eager = hub.Module(spec)(value)
    assert eager.dtype == dtype
    np.testing.assert_allclose(eager.numpy(), expected)
    with tf.Graph().as_default():
        output = hub.Module(spec)(value)
        with tf.compat.v1.Session() as session:
            np.testing.assert_allclose(session.run(output), expected)


def test_sparse_values_that_cannot_convert_are_a_signature_input_error() -> None:
    value = tf.compat.v1.SparseTensorValue([[0, 0]], ["text"], [1, 1])
    with pytest.raises(errors.SignatureInputError, match=r"Can't convert 'default'.*int64"):
        hub.Module(_sparse_spec(tf.int64))(value)


def test_eval_function_refuses_a_positional_signature(upstream_dir: Path) -> None:
    with hub.eval_function_for_module(str(upstream_dir / "tf1_multi_sig")) as f:
        with pytest.raises(errors.SignatureInputError, match="by name.*'sum_pair'"):
            f({"a": [1.0], "b": [2.0]}, "sum_pair")  # Was silently run as "default".
        np.testing.assert_allclose(f({"a": [1.0], "b": [2.0]}, signature="sum_pair"), [5.0])


def test_string_tags_are_refused_and_a_string_drop_collections_is_one_name() -> None:
    with pytest.raises(errors.ModuleSpecError, match="not a string.*tags='train'"):
        hub.create_module_spec(_one_signature, tags_and_args=[("train", {})])

    def module_fn() -> None:
        _one_signature()
        tf.compat.v1.add_to_collection("junk", tf.constant(1.0))

    spec = hub.create_module_spec(module_fn, drop_collections="junk")  # Not "j", "u", ...
    assert "junk" not in spec.get_meta_graph().collection_def
    with tf.Graph().as_default():
        output = hub.Module(spec)([1.0, 2.0])
        with tf.compat.v1.Session() as session:
            np.testing.assert_allclose(session.run(output), [2.0, 3.0])


def test_eager_module_applied_in_a_graph_says_to_create_it_there(upstream_dir: Path) -> None:
    module = hub.Module(str(upstream_dir / "tf1_multi_sig"))  # Eagerly.
    with tf.Graph().as_default():
        with pytest.raises(errors.ModuleGraphError, match="created eagerly.*inside `with graph"):
            module(np.ones([1, 3], np.float32))


def test_inconsistent_partitions_raise_upstreams_runtime_error():
    """Upstream raised RuntimeError for partitions that do not fit; tfhub's is a ValueError too."""
    from tfhub.tf1.graph_state import group_partitions

    parts = {"w/part_0": 1, "w/part_1": 2}
    with pytest.raises(RuntimeError, match="Duplicate offset 0") as info:
        group_partitions(parts, {"w/part_0": ("w", 0), "w/part_1": ("w", 0)})
    assert isinstance(info.value, errors.PartitionedVariablesError)
    with pytest.raises(RuntimeError, match="both single and partitioned"):
        group_partitions({"w": 0, "w/part_0": 1}, {"w/part_0": ("w", 0)})
    slices = {"w/part_0": ("w", 0), "w/part_1": ("w", 1)}
    assert group_partitions(parts, slices) == {"w": [1, 2]}


def test_export_onto_a_full_disk_says_so_and_leaves_nothing(
    upstream_dir: Path, tmp_path: Path
) -> None:
    """A full disk ended in TensorFlow's ResourceExhaustedError naming a hidden temporary file
    of saved_model.pb, and left the half-written module folder behind."""
    from tests._helpers import mounts

    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk, tf.Graph().as_default():
        module = hub.Module(str(upstream_dir / "tf1_multi_sig"))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            with pytest.raises(errors.ExportWriteError) as caught:
                module.export(str(disk / "module"), session)
        message = str(caught.value)
        assert message.startswith(f"Cannot write the export to {disk / 'module'}: no space")
        assert message.endswith(f"Received: path={str(disk / 'module')!r}")
        assert isinstance(caught.value, OSError) and ".tmp" not in message
        assert list(disk.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "inputs", "received"),
    [
        (3, None, "Received: name=3 of type int"),
        (None, lambda x: {1: x}, "Received: inputs key 1 of type int"),
    ],
)
def test_add_signature_names_a_name_or_key_that_is_not_a_string(name, inputs, received) -> None:
    # The SignatureDef map raised a bare "bad argument type for built-in operation".
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(name=name, inputs=inputs(x) if inputs else x, outputs=x)

    with pytest.raises(errors.SignatureValueTypeError, match=received) as info:
        hub.create_module_spec(module_fn)
    assert isinstance(info.value, TypeError)


def test_add_signature_takes_bytes_names_and_keys_as_upstream() -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(name=b"sig", inputs={b"x": x}, outputs={b"y": x + 1.0})

    spec = hub.create_module_spec(module_fn)
    assert spec.get_signature_names() == ["sig"]
    assert list(spec.get_output_info_dict("sig")) == ["y"]


@pytest.mark.parametrize("entry", [set(), ({"train"},), ({"a", "b"}), "train", 7])
def test_tags_and_args_entry_that_is_not_a_pair(entry) -> None:
    # It raised "not enough values to unpack (expected 2, got 0)" or worse.
    with pytest.raises(errors.ModuleSpecError, match=r"must be a pair \(tags, kwargs"):
        hub.create_module_spec(_one_signature, tags_and_args=[(set(), {}), entry])


def test_module_fn_that_raises_leaves_no_state_behind() -> None:
    def broken() -> None:
        _one_signature()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        hub.create_module_spec(broken)
    assert tf.executing_eagerly()
    assert hub.create_module_spec(_one_signature).get_signature_names() == ["default"]


def test_module_tags_may_be_one_string() -> None:
    # A string was taken as the set of its letters: "No such graph variant: tags=['a', 'i', ...".
    def module_fn(k: float = 1.0) -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x * k)

    spec = hub.create_module_spec(module_fn, tags_and_args=[(set(), {}), ({"train"}, {"k": 2.0})])
    np.testing.assert_allclose(hub.Module(spec, tags="train")([1.0]).numpy(), [2.0])
    with tf.Graph().as_default():
        output = hub.Module(spec, tags="train")([1.0])
        with tf.compat.v1.Session() as session:
            assert session.run(output) == [2.0]
    with pytest.raises(errors.UnknownTagsError, match=r"tags=\['serve'\]"):
        hub.Module(spec, tags="serve")


def test_spec_questions_take_one_string_as_one_tag() -> None:
    def module_fn(is_training: bool = False) -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 3])
        hub.add_signature("train_only" if is_training else None, inputs=x, outputs=x)
        hub.attach_message("numbers", tf.train.Int64List(value=[7]))

    variants = [(set(), {}), ({"train"}, {"is_training": True})]
    spec = hub.create_module_spec(module_fn, tags_and_args=variants)
    assert spec.get_signature_names(tags="train") == ["train_only"]
    assert list(spec.get_input_info_dict("train_only", tags="train")) == ["default"]
    assert spec.get_attached_message("numbers", tf.train.Int64List, tags="train").value == [7]
    with pytest.raises(errors.UnknownSignatureError, match=r"tags=\['train'\]"):
        spec.get_input_info_dict("nope", tags="train")
    with pytest.raises(errors.MissingAttachedMessageError, match=r"graph version \['train'\]"):
        spec.get_attached_message("other", tf.train.Int64List, tags="train", required=True)


@pytest.mark.parametrize(
    ("name", "outer", "error", "says"),
    [
        ("1abc", None, errors.ArgumentError, r"starts with a digit \('1abc/'\)"),
        ("m", "2019", errors.ArgumentError, r"starts with a digit \('2019/m/'\)"),
        ("", None, errors.ArgumentError, "needs a non-empty name"),
        (None, None, errors.ArgumentTypeError, "Received: name=None of type NoneType"),
    ],
)
def test_module_name_tensorflow_cannot_import_under(name, outer, error, says) -> None:
    # A leading digit raised re.error ("invalid group reference 11") from TensorFlow's
    # prepend_name_scope; "" an IndexError; None a TypeError about default_name.
    spec = hub.create_module_spec(_one_signature)
    with tf.Graph().as_default():
        hub.Module(spec, name="first")  # "" failed only once a scope was taken.
        with tf.compat.v1.variable_scope(outer or ""):
            with pytest.raises(error, match=says):
                hub.Module(spec, name=name)
        assert hub.Module(spec, name="a1")(np.ones([2], np.float32)).shape == [2]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        ("fifo", "tfhub_module.pb is a FIFO, not a file"),
        ("3 GB", "tfhub_module.pb (3221225472 bytes) is larger than the 1 MiB a module's "),
        ("garbage", "tfhub_module.pb (9 bytes) is truncated or damaged"),
    ],
)
def test_a_tfhub_module_pb_that_is_no_module_def_is_a_damaged_model(
    upstream_dir: Path, tmp_path: Path, make: str, problem: str
) -> None:
    """hub.load_module_spec and hub.Module of a module whose tfhub_module.pb is a named pipe
    said the marker "is missing"; one of 3 GB was read whole (10 GB of memory, 60 s), then it
    and a few bytes of garbage were a bare protobuf DecodeError."""
    import os
    import shutil

    from tests._helpers.python_process import run_python

    folder = tmp_path / "module"
    shutil.copytree(upstream_dir / "tf1_multi_sig", folder)
    marker = folder / "tfhub_module.pb"
    marker.unlink()
    if make == "fifo":
        os.mkfifo(marker)
    elif make == "3 GB":
        marker.touch()
        os.truncate(marker, 3 << 30)  # Sparse: no disk used.
    else:
        marker.write_bytes(b"garbage\xff\xff")
    code = (
        "import sys, tfhub as hub\n"
        "for load in (hub.load_module_spec, hub.Module):\n"
        "    try:\n"
        "        load(sys.argv[1])\n"
        "    except hub.errors.DamagedModelError as err:\n"
        "        print(type(err).__name__, err, flush=True)\n"
    )
    done = run_python(code, os.fspath(folder), timeout=120, check=False, max_memory=8 << 30)
    lines = done.stdout.splitlines()
    # Garbage is also protobuf's DecodeError, as upstream raised (session 47).
    name = "DamagedMessageError" if make == "garbage" else "DamagedModelError"
    expected = f"{name} The model {folder} cannot be loaded: {problem}"
    assert len(lines) == 2, done.stdout + done.stderr
    assert all(line.startswith(expected) for line in lines), done.stdout + done.stderr


def test_export_below_a_file_is_an_export_write_error(tmp_path: Path) -> None:
    """A file where the export's folder (or one above it) belongs ended in TensorFlow's bare
    FailedPreconditionError ("... is not a directory"); hub.export_layer said ExportWriteError."""
    (tmp_path / "notes.txt").write_text("x")
    spec = hub.create_module_spec(_one_signature)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            for target in (tmp_path / "notes.txt" / "module", tmp_path / "notes.txt"):
                with pytest.raises(errors.ExportWriteError, match="notes.txt is a file") as info:
                    module.export(str(target), session)
                assert isinstance(info.value, OSError)
                assert str(info.value).endswith(f"Received: path={str(target)!r}")
    assert (tmp_path / "notes.txt").read_text() == "x"

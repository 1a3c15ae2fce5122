"""Hand-mutation audit (session 44, mut44b) of session 44's damage checks, temporary folders and
bounded reads: each test here kills a mutant the existing tests let live (the log of mutants is
in the session's report).

The checkpoint's shard names (`tf1.checkpoint.absent_shard`), which TensorFlow error a damage
error is again (`model_damage.as_upstream_raised`), the signature and variable checks
(`model_graph_checks`), hub.Module's once-per-spec check keyed by the graph's tags and its access
errors (`tf1.module_impl`), the bounded reads (`gfile_io.read_steps`), the staged upload
(`file_utils.extract_file`) and the dual error classes (`errors._lazy`).
"""

from __future__ import annotations

import io
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.gfile_files import write_file

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors, file_utils, gfile_io, model_damage, model_graph_checks  # noqa: E402
from tfhub.tf1 import module_impl  # noqa: E402
from tfhub.tf1.checkpoint import absent_shard  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1

# --- tf1/checkpoint.absent_shard: a data file is named in ASCII digits, its count 12 at most ------


def test_a_shard_count_of_more_than_twelve_digits_is_no_shard() -> None:
    count = "0" * 12 + "1"  # 13 digits: TensorFlow writes 5.
    names = [f"variables.data-00000-of-{count}"]
    assert absent_shard("variables", names) == "variables.data-*"


def test_a_shard_number_in_other_digits_than_ascii_is_no_shard() -> None:
    names = ["variables.data-\u0660\u0660\u0660\u0660\u0660-of-00001"]  # Arabic-Indic zeros.
    assert absent_shard("variables", names) == "variables.data-*"


# --- model_damage.as_upstream_raised: only the OpError TensorFlow raised for that damage ----------


def _cause(problem: str, *, missing: bool = False) -> errors.DamagedModelError:
    return model_damage.damaged_model_error("/models/m", problem, missing=missing)


def test_a_missing_file_after_another_op_error_than_not_found_keeps_its_class() -> None:
    cause = _cause("variables/variables.index is missing", missing=True)
    err = tf.errors.InvalidArgumentError(None, None, "bad")
    assert model_damage.as_upstream_raised(cause, err) is cause


def test_damage_outside_variables_after_an_out_of_range_error_keeps_its_class() -> None:
    cause = _cause("saved_model.pb cannot be read (cut short)")
    err = tf.errors.OutOfRangeError(None, None, "Read less bytes than requested")
    assert model_damage.as_upstream_raised(cause, err) is cause


# --- model_damage: signature tensors and variables' dtypes ----------------------------------------


def test_a_signature_tensor_info_without_an_encoding_names_no_tensor() -> None:
    meta_graph = tf1.MetaGraphDef()
    meta_graph.graph_def.node.add(name="x", op="Placeholder")
    signature = meta_graph.signature_def["default"]
    signature.inputs["x"].name = "x:0"
    signature.outputs["y"].dtype = tf.float32.as_datatype_enum  # No name, no encoding.
    assert model_graph_checks.missing_signature_tensor([meta_graph]) is None


def test_a_graph_node_that_is_no_variable_is_not_compared_with_the_checkpoint(
    tmp_path: Path,
) -> None:
    prefix = str(tmp_path / "variables")
    with tf.Graph().as_default():
        tf1.get_variable("w", initializer=tf.constant([1.0, 2.0]))
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            tf1.train.Saver().save(session, prefix, write_meta_graph=False)
    with tf.Graph().as_default():
        tf.constant([1.0, 2.0], dtype=tf.float64, name="w")  # A Const of that name: no variable.
        meta_graph = tf1.train.export_meta_graph()
    assert model_graph_checks.variables_mismatch(prefix, [meta_graph]) is None


# --- tf1/module_impl: the once-per-spec check is per graph (tags); access errors not diagnosed --


def _module_with_two_graphs(path: Path) -> Path:
    """A TF1 Hub module whose variable `w` is float32 in its default graph (as exported) and
    float64 in its graph tagged "f64"."""

    def module_fn(dtype: Any) -> None:
        w = tf1.get_variable("w", initializer=tf.constant([1.0, 2.0], dtype=dtype))
        x = tf1.placeholder(dtype, [None, 2])
        hub.add_signature(inputs=x, outputs=x * w)

    spec = hub.create_module_spec(
        module_fn,
        tags_and_args=[(set(), {"dtype": tf.float32}), ({"f64"}, {"dtype": tf.float64})],
    )
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            module.export(str(path), session)
    return path


def test_each_graph_of_a_spec_has_its_variables_checked(tmp_path: Path) -> None:
    spec = hub.load_module_spec(str(_module_with_two_graphs(tmp_path / "module")))
    with tf.Graph().as_default():
        hub.Module(spec)  # Its default graph fits its checkpoint.
    with tf.Graph().as_default(), pytest.raises(errors.VariablesMismatchError) as caught:
        hub.Module(spec, tags={"f64"})
    assert "'w'" in str(caught.value) and "float64" in str(caught.value)


def test_an_access_error_loading_a_damaged_checkpoint_is_tensorflows_undiagnosed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model"
    with tf.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None, 2], name="x")
        w = tf1.get_variable("w", initializer=tf.constant([1.0, 2.0]))
        y = tf.identity(x * w, name="y")
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            builder = tf1.saved_model.Builder(str(path))
            signature = tf1.saved_model.predict_signature_def({"x": x}, {"y": y})
            builder.add_meta_graph_and_variables(
                session, [], signature_def_map={"default": signature}
            )
            builder.save()
    spec = hub.create_module_spec_from_saved_model(str(path))
    (path / "variables" / "variables.index").write_bytes(b"garbage" * 20)

    def refused(*_: Any) -> None:  # What gs:// answers without access (a 403).
        raise tf.errors.PermissionDeniedError(None, None, "HTTP response code 403")

    monkeypatch.setattr(module_impl, "init_from_checkpoint", refused)
    with tf.Graph().as_default(), pytest.raises(tf.errors.PermissionDeniedError) as caught:
        hub.Module(spec)
    assert not isinstance(caught.value, errors.DamagedModelError), repr(caught.value)


# --- gfile_io.read_steps, file_utils.extract_file to a URL ----------------------------------------


def test_read_steps_reads_at_most_its_step_per_call() -> None:
    path = f"ram://tfhub-mut44b-{uuid.uuid4().hex}/steps.bin"
    write_file(path, b"abcdefgh")
    assert list(gfile_io.read_steps(path, step=3)) == [b"abc", b"def", b"gh"]


def test_extract_file_to_a_url_replaces_a_file_there() -> None:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        member = tarfile.TarInfo("saved_model.pb")
        member.size = 3
        archive.addfile(member, io.BytesIO(b"new"))
    target = f"ram://tfhub-mut44b-{uuid.uuid4().hex}/saved_model.pb"
    write_file(target, b"old bytes")
    data.seek(0)
    with tarfile.open(fileobj=data) as archive:
        file_utils.extract_file(archive, archive.getmember("saved_model.pb"), target)
    with tf.io.gfile.GFile(target, "rb") as written:  # Not refused as there already.
        # TensorFlow's ram:// file system appends to a file written again (gs:// replaces it).
        assert written.read().endswith(b"new")


# --- errors._lazy: the dual classes' tfhub bases --------------------------------------------------


def test_a_variables_mismatch_is_no_missing_file() -> None:
    assert not issubclass(errors.VariablesMismatchError, errors.MissingModelFileError)
    assert not issubclass(errors.VariablesMismatchError, FileNotFoundError)
    assert issubclass(errors.ModelFileNotFoundError, FileNotFoundError)
    assert all(issubclass(getattr(errors, name), errors.DamagedModelError) for name in _DUAL)


_DUAL = (
    "ModelFileNotFoundError",
    "VariablesMismatchError",
    "TruncatedCheckpointError",
    "CorruptCheckpointError",
)


# --- the NN tool's storage: a remote file is read in steps of READ_STEP bytes --------------------


def test_the_nn_tools_remote_reads_are_of_read_step_bytes_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tfhub.tools.make_nearest_neighbour_index import storage

    path = f"ram://tfhub-mut44b-{uuid.uuid4().hex}/embeddings.tfrecord"
    write_file(path, b"abcdefgh")
    monkeypatch.setattr(storage, "READ_STEP", 3)
    assert list(storage._remote_chunks(path)) == [b"abc", b"def", b"gh"]


# --- tf1/checkpoint.unreadable: a folder without a `checkpoint` file ----------------------------


def test_a_folder_without_a_checkpoint_file_is_said_as_load_checkpoint_said_it(
    tmp_path: Path,
) -> None:
    from tfhub.tf1 import checkpoint

    cause = checkpoint.unreadable(str(tmp_path))
    assert isinstance(cause, ValueError), repr(cause)
    assert "Couldn't find 'checkpoint' file" in str(cause) and str(tmp_path) in str(cause)

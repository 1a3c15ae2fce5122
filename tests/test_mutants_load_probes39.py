"""Hand-made mutants of the loading modules (saved_model, saved_model_proto, image_util,
resolver, tf_utils, handles, op_libraries, model_info, loaded_model) that no test killed
(session 39): each test here fails under its mutant, named in its docstring."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf


def _copy(upstream_dir: pathlib.Path, name: str, tmp_path: pathlib.Path) -> pathlib.Path:
    folder = tmp_path / name
    shutil.copytree(upstream_dir / name, folder)
    return folder


# --- saved_model.load ---------------------------------------------------------------------------


def test_a_plain_saved_model_with_two_tag_sets_needs_tags(upstream_dir, tmp_path) -> None:
    """Mutant: `len(tag_sets) < 2` -> `<= 2` in `_refuse_missing_tags`: a model with exactly
    two MetaGraphs loaded without tags got TensorFlow's bare ValueError, not the tag sets."""
    folder = _copy(upstream_dir, "tf1_train_tags", tmp_path)
    (folder / "tfhub_module.pb").unlink()  # A TF1 SavedModel, not a Hub module: no default [].
    with pytest.raises(errors.UnknownTagsError, match=r"has 2 MetaGraphs") as info:
        hub.load(str(folder))
    assert sorted(info.value.available) == [[], ["train"]]
    assert hub.load(str(folder), tags=["train"]) is not None


def test_a_path_object_is_loaded_as_its_string(upstream_dir) -> None:
    """Mutant: `handle = os.fspath(handle)` dropped: a pathlib.Path handle was refused as
    not a string."""
    obj = hub.load(upstream_dir / "tf2_saved_model")
    assert obj.variables[0].shape == (3, 4) and obj._is_hub_module_v1 is False


@pytest.mark.parametrize("tags", [5, ["serve", None]])
def test_tags_of_a_wrong_type_are_an_argument_type_error(upstream_dir, tags) -> None:
    """Mutant: the `tag_set(tags)` check dropped: tags=5 failed in `set(5)` with a bare
    TypeError, and ['serve', None] as unknown tags."""
    with pytest.raises(errors.ArgumentTypeError, match="tags"):
        hub.load(str(upstream_dir / "tf2_saved_model"), tags=tags)


def test_options_that_are_no_load_options_are_an_argument_type_error(upstream_dir) -> None:
    """Mutant: the `options` type check dropped: a dict of options reached TensorFlow, which
    failed with an AttributeError deep inside."""
    with pytest.raises(errors.ArgumentTypeError, match=r"Received: options=\{'x': 1\}"):
        hub.load(str(upstream_dir / "tf2_saved_model"), options={"x": 1})


def test_a_folder_named_like_the_tf1_marker_does_not_make_a_tf1_module(
    upstream_dir, tmp_path
) -> None:
    """Mutant: `os.path.isfile(marker)` -> `os.path.exists(marker)` in `is_tf1_hub_module`: a
    TF2 SavedModel holding a folder named tfhub_module.pb was taken for a TF1 Hub module (and
    loaded with tags [], which it has not)."""
    folder = _copy(upstream_dir, "tf2_saved_model", tmp_path)
    (folder / "tfhub_module.pb").mkdir()
    obj = hub.load(str(folder))
    assert obj._is_hub_module_v1 is False and obj.variables[0].shape == (3, 4)


def test_a_folder_named_like_the_tf1_marker_on_a_gfile_url_is_no_marker(upstream_dir) -> None:
    """Mutant: `and not tf.io.gfile.isdir(marker)` dropped from `is_tf1_hub_module`: a TF2
    SavedModel on a `scheme://` filesystem holding a tfhub_module.pb folder was taken for a
    TF1 Hub module."""
    import uuid

    import tensorflow as tf

    target = f"ram://tfhub-probes39-{uuid.uuid4().hex}/tf2_saved_model"
    source = upstream_dir / "tf2_saved_model"
    for root, _, files in os.walk(source):
        relative = os.path.relpath(root, source)
        folder = target if relative == "." else f"{target}/{relative}"
        tf.io.gfile.makedirs(folder)
        for name in files:
            tf.io.gfile.copy(os.path.join(root, name), f"{folder}/{name}")
    tf.io.gfile.makedirs(f"{target}/tfhub_module.pb")
    assert hub.load(target)._is_hub_module_v1 is False


# --- saved_model_proto --------------------------------------------------------------------------


def _export_two_variants(path: pathlib.Path) -> str:
    """A TF1 Hub module whose 'default' signature has output 'serving' in its [] graph and
    'training' in its ['train'] graph (written in that order)."""
    import tensorflow as tf

    def module_fn(train: bool) -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        hub.add_signature(inputs={"x": x}, outputs={"training" if train else "serving": x * 2.0})

    spec = hub.create_module_spec(
        module_fn, tags_and_args=[(set(), {"train": False}), ({"train"}, {"train": True})]
    )
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            module.export(str(path), session)
    return str(path)


def test_read_signature_def_takes_the_graph_of_exactly_the_tags(tmp_path) -> None:
    """Mutant: `set(tags) == wanted` -> `<= wanted` in `read_meta_graph`: tags ['train'] got
    the [] graph (a subset, written first) and its signature. Also: a missing signature is an
    UnknownSignatureError (mutant: the `not in signature_def` check dropped, and the proto map
    made an empty SignatureDef for it)."""
    from tfhub.saved_model import read_signature_def

    path = _export_two_variants(tmp_path / "module")
    assert list(read_signature_def(path, ["train"], "default").outputs) == ["training"]
    assert list(read_signature_def(path, [], "default").outputs) == ["serving"]
    with pytest.raises(errors.UnknownSignatureError, match="no signature 'nope'") as info:
        read_signature_def(path, [], "nope")
    assert info.value.available == ["default"]


@pytest.mark.parametrize(("extra", "larger"), [(0, False), (1, True)])
def test_a_module_def_of_one_mib_is_read_and_one_byte_more_is_refused(
    upstream_dir, tmp_path, extra: int, larger: bool
) -> None:
    """Mutants: `size > _MODULE_DEF_SIZE_LIMIT` -> `>=`, and the limit `1 << 20` -> `1 << 30`:
    a tfhub_module.pb of exactly 1 MiB was refused unread, one of 1 MiB and a byte was read."""
    folder = _copy(upstream_dir, "tf1_multi_sig", tmp_path)
    os.truncate(folder / "tfhub_module.pb", (1 << 20) + extra)
    with pytest.raises(errors.DamagedModelError) as info:
        hub.load_module_spec(str(folder))
    assert ("larger than the 1 MiB a module's ModuleDef can be" in str(info.value)) is larger


def test_hub_load_refuses_a_saved_model_pb_over_2_gib_before_tensorflow_reads_it(
    upstream_dir, tmp_path
) -> None:
    """Mutant: the size check of `refuse_special_files` dropped: hub.load (no tags, so no tag
    read first) let TensorFlow read all 2 GiB of the file, then named it too large from the
    damage check; the memory the child peaked at shows the read."""
    from tests._helpers.python_process import run_python

    folder = _copy(upstream_dir, "tf2_saved_model", tmp_path)
    os.truncate(folder / "saved_model.pb", 2**31)  # Sparse: no disk used.
    code = (
        "import resource, sys, tfhub as hub\n"
        "try:\n"
        "    hub.load(sys.argv[1])\n"
        "except hub.errors.DamagedModelError as err:\n"
        "    print('larger than the 2 GiB' in str(err))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    )
    done = run_python(code, os.fspath(folder), timeout=300, check=False, max_memory=8 << 30)
    refused, peak = done.stdout.split()
    assert refused == "True", done.stdout + done.stderr
    assert int(peak) < 2**31, f"peak memory {int(peak) >> 20} MiB: the file was read"


def test_reading_a_saved_model_pb_that_is_a_named_pipe_names_the_pipe(
    upstream_dir, tmp_path
) -> None:
    """Mutant: `not stat.S_ISREG(mode)` -> `stat.S_ISDIR(mode)` in `_read_bytes`: the public
    readers (no special-file check before them) read a named pipe as an empty file and called
    the model's saved_model.pb one holding no MetaGraph."""
    from tfhub.saved_model import read_saved_model_proto, read_tag_sets

    folder = _copy(upstream_dir, "tf2_saved_model", tmp_path)
    (folder / "saved_model.pb").unlink()
    os.mkfifo(folder / "saved_model.pb")
    for read in (read_saved_model_proto, read_tag_sets):
        with pytest.raises(errors.DamagedModelError, match="saved_model.pb is a FIFO, not a file"):
            read(str(folder))


# --- image_util ---------------------------------------------------------------------------------


def _image_spec(shape: list[int | None], attach: tuple[int, int] | None = None) -> object:
    import tensorflow as tf

    def module_fn() -> None:
        images = tf.compat.v1.placeholder(tf.float32, shape, name="images")
        hub.add_signature(inputs={"images": images}, outputs=tf.reduce_sum(images))
        if attach:
            info = hub.ImageModuleInfo()
            info.default_image_size.height, info.default_image_size.width = attach
            hub.attach_image_module_info(info)

    return hub.create_module_spec(module_fn)


def test_attaching_another_message_as_image_module_info_is_refused() -> None:
    """Mutant: the check of the message's type in `attach_image_module_info` reduced to "has a
    DESCRIPTOR": another protocol message was attached, and read back later as a wrong size."""
    import tensorflow as tf

    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4, 4, 3], name="images")
        hub.add_signature(inputs={"images": x}, outputs=tf.reduce_sum(x))
        hub.attach_image_module_info(tf.compat.v1.GraphDef())

    with pytest.raises(
        errors.ModuleSpecError, match="Received: image_module_info of type GraphDef"
    ):
        hub.create_module_spec(module_fn)


def test_an_object_with_only_get_attached_message_is_no_module() -> None:
    """Mutant: `all(...)` -> `any(...)` in `_check_module_or_spec`: an object with only one of
    the two methods passed, and failed later with an AttributeError."""

    class AttachedOnly:
        def get_attached_message(self, key: str, message_type: object, required: bool) -> None:
            return None

    with pytest.raises(errors.ArgumentTypeError, match="pass a hub.Module or a hub.ModuleSpec"):
        hub.get_expected_image_size(AttachedOnly())


@pytest.mark.parametrize(
    ("shape", "attach", "input_name"),
    [
        ([None, 2, 3, 4, 3], None, None),  # Rank 5: mutant `rank != 4` -> `rank is None`.
        ([None, 32, None, 3], None, None),  # Width unknown: mutant dropped `not dims[2]`.
        ([None, 8, 8, 3], (224, 160), "pixels"),  # Mutant: a given input_name left unchecked.
    ],
)
def test_expected_image_size_refuses_what_it_cannot_answer(shape, attach, input_name) -> None:
    """An image input of rank 5, or of unknown width, gives no size; an input_name the module
    lacks is refused even when an attached ImageModuleInfo has the size."""
    spec = _image_spec(shape, attach)
    with pytest.raises(errors.InputSpecError):
        hub.get_expected_image_size(spec, input_name=input_name)


def test_num_image_channels_of_a_rank_3_input_is_an_input_spec_error() -> None:
    """Mutant: `not dims or` dropped in `get_num_image_channels`: a rank-3 input failed with
    "'NoneType' object is not subscriptable" (a TypeError), not an InputSpecError."""
    with pytest.raises(errors.InputSpecError, match="with known num_channels"):
        hub.get_num_image_channels(_image_spec([None, 32, 3]))

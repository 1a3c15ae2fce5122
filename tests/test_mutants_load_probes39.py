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


def test_a_keras_layer_over_a_tf1_train_graph_trains_what_that_graph_trains(tmp_path) -> None:
    """Mutant: `LoadedModel.tags` left empty by `load_model`: a layer over a TF1 module's
    ['train'] graph read the trainable variables of its [] graph (where `w` does not train)."""
    import tensorflow as tf

    def module_fn(train: bool) -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None, 1], name="x")
        w = tf.compat.v1.get_variable("w", [1], initializer=tf.ones_initializer(), trainable=train)
        hub.add_signature(inputs={"x": x}, outputs=x * w)

    spec = hub.create_module_spec(
        module_fn, tags_and_args=[(set(), {"train": False}), ({"train"}, {"train": True})]
    )
    path = str(tmp_path / "module")
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    training = hub.KerasLayer(path, tags=["train"], trainable=True)
    serving = hub.KerasLayer(path, trainable=True)
    assert [w.shape for w in training.trainable_weights] == [(1,)]
    assert serving.trainable_weights == [] and len(serving.weights) == 1


# --- resolver (tensorflow_hub's module path) ----------------------------------------------------


def test_disabling_cert_validation_also_turns_off_a_context_that_checks_no_host_name(
    server, served_dir, certificate, monkeypatch
) -> None:
    """Mutant: `check_hostname or verify_mode != CERT_NONE` -> `and`: a subclass whose context
    checks certificates but not host names kept checking them under
    TFHUB_DISABLE_CERT_VALIDATION=true (CERTIFICATE_VERIFY_FAILED from a self-signed server)."""
    import ssl
    import urllib.request

    from tests._helpers.archives import make_tar_gz
    from tests._helpers.http_server import enable_tls

    from tfhub import resolver

    archive = make_tar_gz(served_dir / "m.tar.gz")
    base = enable_tls(server, *certificate)

    class NoHostNames(resolver.HttpResolverBase):
        def __init__(self) -> None:
            super().__init__()
            self._context.check_hostname = False  # Certificates still checked.

        def is_supported(self, handle: str) -> bool:
            return True

        def __call__(self, handle: str) -> bytes:
            with self._call_urlopen(urllib.request.Request(base + "m.tar.gz")) as response:
                return response.read()

    fetcher = NoHostNames()
    assert fetcher._context.verify_mode == ssl.CERT_REQUIRED
    monkeypatch.setenv("TFHUB_DISABLE_CERT_VALIDATION", "true")
    assert fetcher("m") == open(archive, "rb").read()
    assert fetcher._context.verify_mode == ssl.CERT_NONE


def test_call_urlopen_gives_up_on_a_silent_server_after_tfhub_http_timeout(monkeypatch) -> None:
    """Mutant: `timeout=constants.http_timeout()` dropped from `_call_urlopen`: a server that
    accepts the connection and never answers kept the read waiting for ever."""
    import socket
    import threading
    import time
    import urllib.request

    from tfhub import resolver

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # The kernel completes the connection; nothing ever answers.
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/m.tar.gz"

    class Fetcher(resolver.HttpResolverBase):
        def is_supported(self, handle: str) -> bool:
            return True

        def __call__(self, handle: str) -> object:
            return self._call_urlopen(urllib.request.Request(url))

    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            Fetcher()("m")
        except BaseException as err:
            outcome.append(err)

    started = time.monotonic()
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(15)
    listener.close()
    assert not thread.is_alive(), "still waiting after 15 s"
    assert isinstance(outcome[0], TimeoutError | OSError) and time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("scheme", "name", "local_name"),
    [
        ("FILE://", "cache", "cache"),  # Mutant: `path[:7].lower()` -> `path[:7]`.
        ("file://", "my%20cache", "my cache"),  # Mutant: `urllib.parse.unquote` dropped.
    ],
)
def test_create_local_module_dir_makes_the_local_folder_of_a_file_url(
    tmp_path, monkeypatch, scheme: str, name: str, local_name: str
) -> None:
    """`resolver.create_local_module_dir` of a file:// cache (as `tfhub_cache_dir` returns
    TFHUB_CACHE_DIR) makes the URL's local folder: an upper-case scheme and percent escapes
    are read as URLs are, not as a relative path or a folder named with the escape."""
    from tfhub import resolver

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    cache_dir = f"{scheme}{tmp_path}/{name}"
    assert resolver.create_local_module_dir(cache_dir, "m") == f"{cache_dir}/m"
    assert (tmp_path / local_name).is_dir()
    assert sorted(os.listdir(tmp_path)) == sorted({"work", local_name})
    assert os.listdir(work) == []


def test_importing_the_registry_module_puts_the_built_in_resolvers_in_place() -> None:
    """Mutant: `install_default_resolvers()` dropped from `tfhub.registry`: its `resolver`
    listed no resolver until the first resolve, though code written for tensorflow_hub 0.10
    reads (or clears) the registry right after importing it. A fresh process: no other test's
    resolve has installed them."""
    from tests._helpers.python_process import run_python

    code = (
        "import sys\n"
        "from tfhub import registry\n"
        "print(sorted(type(impl).__name__ for impl in registry.resolver.implementations))\n"
        "print('tensorflow' in sys.modules)\n"
    )
    out = run_python(code, timeout=120).stdout.splitlines()
    assert out == [
        "['GcsCompressedResolver', 'HttpCompressedResolver', 'HttpUncompressedResolver', "
        "'PathResolver']",
        "False",
    ]


# --- tf_utils -----------------------------------------------------------------------------------


def test_bytes_to_readable_str_at_each_unit_boundary() -> None:
    """Mutant: `num_bytes < limit` -> `<=`: exactly 1 KiB, 1 MiB and 1 GiB were written in the
    unit below ("1024", "1024.00k", "1024.00M"), where upstream wrote "1.00k", "1.00M", "1.00G"."""
    from tfhub import tf_utils

    sizes = [1023, 1 << 10, (1 << 20) - 1, 1 << 20, 1 << 30]
    assert [tf_utils.bytes_to_readable_str(n) for n in sizes] == [
        "1023",
        "1.00k",
        "1024.00k",
        "1.00M",
        "1.00G",
    ]


# --- op_libraries -------------------------------------------------------------------------------


def test_tensorflow_texts_sentencepiece_op_is_its_own_and_listed_once() -> None:
    """Mutants: the `Sentencepiece` name prefix (tf_sentencepiece's ops) checked before
    tensorflow_text's list of op names, so `SentencepieceOp` (tensorflow_text's, in
    multilingual encoders since v3) was tf_sentencepiece's; and `libraries_of` without its
    `dict.fromkeys`, listing tensorflow_text once per op (`tfhub inspect`'s op_libraries)."""
    from tfhub import op_libraries

    assert op_libraries.library_of("SentencepieceOp") is op_libraries.TENSORFLOW_TEXT
    assert op_libraries.library_of("SentencepieceEncodeSparse").module == "tf_sentencepiece"
    ops = ["SentencepieceOp", "StringLower", "WordpieceTokenizeWithOffsets"]
    assert [lib.module for lib in op_libraries.libraries_of(ops)] == ["tensorflow_text"]


# --- model_info ---------------------------------------------------------------------------------


def test_describe_counts_checkpoint_variables_and_writes_an_infinite_loss_as_text(
    tmp_path,
) -> None:
    """Mutants of `model_info`: the checkpoint's `_CHECKPOINTABLE_OBJECT_GRAPH` entry counted
    as a variable, a string variable's elements counted with a dtype size, and a regularization
    loss that is not finite kept as a float (JSON has no Infinity: `json.dumps` wrote one that
    JSON parsers refuse)."""
    import json

    import tensorflow as tf

    from tfhub import model_info
    from tfhub.saved_model import read_saved_model_proto

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernel = tf.Variable([1.0, 2.0, 3.0])
            self.vocabulary = tf.Variable(["a", "bc"])
            initializer = tf.lookup.KeyValueTensorInitializer(["a"], [1])
            self.table = tf.lookup.StaticHashTable(initializer, default_value=0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            found = tf.cast(self.table.lookup(tf.constant("a")), tf.float32)
            return x * tf.reduce_sum(self.kernel) + found

    model = Model()
    model.regularization_losses = [
        tf.function(lambda: tf.constant(float("inf")), input_signature=[])
    ]
    tf.saved_model.save(model, str(tmp_path / "model"))
    info = model_info.describe(str(tmp_path / "model"))
    assert info["variables"] == {"count": 2, "bytes": 3 * 4}
    assert info["reusable"]["regularization_losses"] == ["inf"]
    assert json.loads(json.dumps(info, allow_nan=False))["format"] == "TF2 SavedModel"
    # Mutant: `__saved_model_init_op` (the table's initializer, no callable) listed.
    saved = read_saved_model_proto(str(tmp_path / "model"))
    assert "__saved_model_init_op" in saved.meta_graphs[0].signature_def
    assert not [name for meta in info["meta_graphs"] for name in meta["signatures"] if "__" in name]


def test_describe_loads_no_tf1_hub_module_as_a_reusable_saved_model(upstream_dir, tmp_path):
    """Mutant: `is_tf2 and not is_tf1` -> `is_tf2` in `describe`: a folder with a TF2 object
    graph and the TF1 marker (the format hub.load takes it for) was also loaded and described
    as a TF2 reusable SavedModel."""
    from tfhub import model_info

    folder = _copy(upstream_dir, "tf2_saved_model", tmp_path)
    shutil.copy(upstream_dir / "tf1_multi_sig" / "tfhub_module.pb", folder / "tfhub_module.pb")
    info = model_info.describe(str(folder))
    assert info["format"] == "TF1 Hub format" and "reusable" not in info


# --- loaded_model -------------------------------------------------------------------------------


def test_a_tracked_variable_is_trainable_when_no_function_reads_any(tmp_path) -> None:
    """Mutant: `not (read and v.trainable)` -> `not v.trainable` in `_tracked_variables`: a
    model listing no variables whose functions read none of them lost its trainable ones (the
    copies left out are those others' functions do not read, only when some are read)."""
    import tensorflow as tf

    class Doubler(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            return x * 2.0

    tf.saved_model.save(Doubler(), str(tmp_path / "model"))
    layer = hub.KerasLayer(str(tmp_path / "model"), trainable=True)
    assert [float(w.numpy()) for w in layer.trainable_weights] == [2.0]


def test_a_loaded_object_whose_regularization_losses_are_not_callable_is_refused(
    upstream_dir,
) -> None:
    """Mutant: the `callable(loss)` check of `LoadedModel.regularization_losses` dropped: a
    loss term that is a number, not a function returning one, was taken (upstream's KerasLayer
    refused it with a ValueError)."""
    obj = hub.load(str(upstream_dir / "tf2_saved_model"))
    obj.regularization_losses = [0.5]
    with pytest.raises(errors.ArgumentError, match="iterable of callables") as info:
        hub.KerasLayer(obj)
    assert isinstance(info.value, ValueError) and "Received: 0.5" in str(info.value)


def test_a_keyword_only_training_argument_is_passed(tmp_path) -> None:
    """Mutant: KEYWORD_ONLY dropped from `takes_training`'s kinds: a model whose `__call__`
    takes `*, training` was called without it, so a trainable layer ran it in inference."""
    import numpy as np
    import tensorflow as tf

    class Shifted(tf.Module):
        @tf.function
        def __call__(self, x: tf.Tensor, *, training: bool = False) -> tf.Tensor:
            return x + 1.0 if training else x

    model = Shifted()
    for training in (False, True):
        model.__call__.get_concrete_function(tf.TensorSpec([None], tf.float32), training=training)
    tf.saved_model.save(model, str(tmp_path / "model"))
    layer = hub.KerasLayer(str(tmp_path / "model"), trainable=True)
    x = np.array([1.0, 2.0], np.float32)
    np.testing.assert_allclose(np.asarray(layer(x, training=True)), [2.0, 3.0])
    np.testing.assert_allclose(np.asarray(layer(x, training=False)), [1.0, 2.0])


def test_a_tf1_module_loaded_by_the_user_keeps_its_trainable_variables_and_losses(
    upstream_dir,
) -> None:
    """Mutant: `LoadedModel.of` ignored `_is_hub_module_v1`: a TF1 module loaded elsewhere
    (`hub.load(path)`, as feature columns and callables are given it) was taken for a TF2
    model, which has no `trainable_variables` or `regularization_losses` attributes: no
    trainable variable and no loss, where its graph's collections hold three and one."""
    from tfhub.loaded_model import LoadedModel

    obj = hub.load(str(upstream_dir / "tf1_train_tags"), tags=["train"])
    model = LoadedModel.of(obj)
    assert model.is_hub_module_v1
    trainable = ["dense/kernel:0", "bn/gamma:0", "bn/beta:0"]
    assert [v.name for v in model.trainable_variables()] == trainable
    assert len(model.regularization_losses()) == 1

"""TF1 Hub modules damaged on disk, loaded by `hub.Module` (in a graph), `hub.load` and
`hub.KerasLayer`: each damage ends in a tfhub error that is also what upstream raised, names
the folder and the file, says what to do, and leaves nothing behind (session 44)."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
from tests._helpers.models import save_tf1_ref_variable_model  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1

_VOCAB = "tokens.txt"


def _module_fn(vocab: str) -> Callable[[], None]:
    def module_fn() -> None:
        w = tf1.get_variable("w", initializer=[2.0, 3.0])
        x = tf1.placeholder(tf.float32, [None, 2])
        hub.add_signature(inputs=x, outputs=x * w)
        table = tf1.lookup.StaticVocabularyTable(
            tf1.lookup.TextFileInitializer(vocab, tf.string, -2, tf.int64, -1), 1
        )
        words = tf1.placeholder(tf.string, [None])
        hub.add_signature("ids", inputs=words, outputs=table.lookup(words))

    return module_fn


def _stateless_module_fn() -> None:
    x = tf1.placeholder(tf.float32, [None, 2])
    hub.add_signature(inputs=x, outputs=x * 2.0)


def _export(module_fn: Callable[[], None], path: Path) -> Path:
    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            module.export(str(path), session)
    return path


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module with a variable and a vocabulary asset (two signatures)."""
    base = tmp_path_factory.mktemp("whole")
    (base / _VOCAB).write_text("a\nb\n")
    return _export(_module_fn(str(base / _VOCAB)), base / "module")


@pytest.fixture(scope="module")
def stateless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module without variables: its variables/ folder is empty."""
    return _export(_stateless_module_fn, tmp_path_factory.mktemp("stateless") / "module")


def _copy(source: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    return Path(shutil.copytree(source, folder / "module"))


def _data_shard(module: Path) -> Path:
    (shard,) = (module / "variables").glob("variables.data-*")
    return shard


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _apply_in_graph(path: Path) -> list[Any]:
    with tf.Graph().as_default():
        module = hub.Module(str(path))
        out = module(tf.constant([[1.0, 1.0]]))
        with tf1.Session() as session:
            session.run([tf1.global_variables_initializer(), tf1.tables_initializer()])
            return list(session.run(out))


def _check_error(err: BaseException, module: Path, names: str) -> None:
    """The contract: a tfhub error naming the folder and the file, saying what to do."""
    message = str(err)
    assert isinstance(err, errors.TFHubError), repr(err)
    assert str(module) in message and names in message, message
    assert "export the model there again" in message, message


# --- A missing checkpoint file: upstream raised TensorFlow's NotFoundError ------------------------

_MISSING = {
    "index": (
        lambda m: (m / "variables/variables.index").unlink(),
        "variables/variables.index is missing",
    ),
    "variables folder": (lambda m: shutil.rmtree(m / "variables"), "variables/ is missing"),
    "data file": (lambda m: _data_shard(m).unlink(), "variables/variables.data-* is missing"),
}


@pytest.mark.parametrize("damage", sorted(_MISSING))
def test_hub_module_of_a_module_missing_its_checkpoint_names_the_file(
    whole: Path, tmp_path: Path, damage: str
) -> None:
    module = _copy(whole, tmp_path)
    harm, names = _MISSING[damage]
    harm(module)
    before = _listing(tmp_path)
    with pytest.raises(tf.errors.NotFoundError) as caught:  # What upstream raised.
        _apply_in_graph(module)
    err = caught.value
    assert isinstance(err, errors.MissingModelFileError) and isinstance(err, FileNotFoundError)
    _check_error(err, module, names)
    assert err.path == str(module) and err.problem == names
    assert _listing(tmp_path) == before
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err) and again.path == err.path


@pytest.mark.parametrize(
    ("count", "absent"), [("00002", "00001-of-00002"), ("99999999", "00001-of-99999999")]
)
def test_hub_module_names_the_first_absent_shard_of_a_sharded_checkpoint(
    whole: Path, tmp_path: Path, count: str, absent: str
) -> None:
    module = _copy(whole, tmp_path)
    shard = _data_shard(module)
    shard.rename(shard.with_name(f"variables.data-00000-of-{count}"))  # 1 of `count` is there.
    with pytest.raises(errors.ModelFileNotFoundError) as caught:
        _apply_in_graph(module)
    assert caught.value.problem == f"variables/variables.data-{absent} is missing"


def test_hub_module_of_a_module_without_variables_needs_no_variables_folder(
    stateless: Path, tmp_path: Path
) -> None:
    module = _copy(stateless, tmp_path)
    shutil.rmtree(module / "variables")  # Upstream loads it: keep that.
    assert [list(row) for row in _apply_in_graph(module)] == [[2.0, 2.0]]


# name -> (TensorFlow's error it also is, tfhub's error it also is)
_BOTH = {
    "ModelFileNotFoundError": ("NotFoundError", errors.MissingModelFileError),
    "VariablesMismatchError": ("InvalidArgumentError", errors.DamagedModelError),
    "TruncatedCheckpointError": ("OutOfRangeError", errors.DamagedModelError),
    "CorruptCheckpointError": ("DataLossError", errors.DamagedModelError),
}


@pytest.mark.parametrize("name", sorted(_BOTH))
def test_each_damaged_model_op_error_is_both_and_keeps_its_data(name: str) -> None:
    op_error, damaged = _BOTH[name]
    cls = getattr(errors, name)
    err = cls(
        "The model https://user:s3cret@host/m cannot be loaded: variables/ is missing.",
        path="/models/m",
        problem="variables/ is missing",
    )
    assert isinstance(err, getattr(tf.errors, op_error)) and isinstance(err, damaged)
    assert isinstance(err, ValueError) and isinstance(err, OSError)
    assert err.error_code == getattr(tf.errors, op_error)(None, None, "").error_code
    assert "s3cret" not in str(err) and "s3cret" not in err.message
    assert str(err) == err.message and (err.path, err.problem) == (
        "/models/m",
        "variables/ is missing",
    )
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and vars(again) == vars(err) and str(again) == str(err)
    assert cls.__module__ == "tfhub.errors" and cls.__qualname__ == name
    assert getattr(errors, name) is cls  # Built once.


# --- hub.load, hub.KerasLayer (Keras 3) and the eager hub.Module of a TF1 module -------------


def _load(path: Path | str) -> Any:
    loaded = hub.load(str(path))
    return loaded.signatures["default"](tf.constant([[1.0, 1.0]]))["default"]


def _keras_layer(path: Path | str) -> Any:
    return hub.KerasLayer(str(path))(tf.constant([[1.0, 1.0]]))


def _eager_module(path: Path | str) -> Any:
    return hub.Module(str(path))(tf.constant([[1.0, 1.0]]))


_LOADERS: dict[str, Callable[[Path | str], Any]] = {
    "hub.load": _load,
    "hub.KerasLayer": _keras_layer,
    "eager hub.Module": _eager_module,
}


@pytest.mark.parametrize("loader", sorted(_LOADERS))
def test_loading_a_module_without_its_variables_folder_names_the_folder(
    whole: Path, stateless: Path, tmp_path: Path, loader: str
) -> None:
    module = _copy(whole, tmp_path)
    shutil.rmtree(module / "variables")
    before = _listing(tmp_path)
    with pytest.raises(errors.MissingModelFileError) as caught:
        _LOADERS[loader](module)
    _check_error(caught.value, module, "variables/ is missing")
    assert caught.value.problem == "variables/ is missing"
    assert _listing(tmp_path) == before
    without = tmp_path / "stateless"
    shutil.copytree(stateless, without)
    shutil.rmtree(without / "variables")  # No variables: upstream loads it, and so does tfhub.
    assert tf.reduce_all(_LOADERS[loader](without) == 2.0)


@pytest.mark.parametrize("loader", sorted(_LOADERS))
@pytest.mark.parametrize("damage", sorted(_MISSING))
def test_loading_a_module_missing_a_checkpoint_file_is_tensorflows_not_found(
    whole: Path, tmp_path: Path, damage: str, loader: str
) -> None:
    module = _copy(whole, tmp_path)
    harm, names = _MISSING[damage]
    harm(module)
    before = _listing(tmp_path)
    with pytest.raises(tf.errors.NotFoundError) as caught:  # What upstream raised.
        _LOADERS[loader](module)
    err = caught.value
    assert isinstance(err, errors.MissingModelFileError) and isinstance(err, FileNotFoundError)
    _check_error(err, module, names)
    assert err.problem == names
    assert isinstance(err.__cause__, tf.errors.NotFoundError)  # TensorFlow's, kept.
    assert _listing(tmp_path) == before


# --- A signature naming a tensor its graph lacks: upstream raised TensorFlow's KeyError ----------


def _rename_output(module: Path, tensor: str, *, output: str = "default") -> None:
    from tensorflow.core.protobuf import saved_model_pb2

    pb = module / "saved_model.pb"
    proto = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    proto.meta_graphs[0].signature_def["default"].outputs[output].name = tensor
    pb.write_bytes(proto.SerializeToString())


def _hub_module(path: Path) -> Any:
    return _apply_in_graph(path)


@pytest.mark.parametrize("loader", ["hub.Module", *sorted(_LOADERS)])
def test_a_signature_naming_a_tensor_the_graph_lacks_names_signature_and_tensor(
    whole: Path, tmp_path: Path, loader: str
) -> None:
    module = _copy(whole, tmp_path)
    _rename_output(module, "no_such_node\x1b[2J:0")  # A hostile name: shown escaped.
    before = _listing(tmp_path)
    apply = _hub_module if loader == "hub.Module" else _LOADERS[loader]
    with pytest.raises(KeyError) as caught:  # What TensorFlow, and so upstream, raised.
        apply(module)
    err = caught.value
    assert isinstance(err, errors.DamagedModelError), repr(err)
    _check_error(err, module, "saved_model.pb")
    message = str(err)
    assert "signature 'default'" in message and "output 'default'" in message, message
    assert "no_such_node\\x1B[2J:0" in message and "\x1b" not in message, message
    assert err.path == str(module) and not message.startswith('"')
    assert _listing(tmp_path) == before


def test_a_module_with_a_broken_signature_applies_its_other_signatures(
    whole: Path, tmp_path: Path
) -> None:
    module = _copy(whole, tmp_path)
    _rename_output(module, "no_such_node:0")
    with tf.Graph().as_default():
        ids = hub.Module(str(module))(tf.constant(["b", "z"]), signature="ids")
        with tf1.Session() as session:
            session.run(tf1.tables_initializer())
            assert list(session.run(ids)) == [1, 2]


# --- A checkpoint whose variable has another dtype than the graph's ----------------------------


@pytest.fixture(scope="module")
def float64_variables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The variables/ folder of a module like `whole` whose `w` is float64."""

    def module_fn() -> None:
        w = tf1.get_variable("w", initializer=tf.constant([2.0, 3.0], tf.float64))
        x = tf1.placeholder(tf.float64, [None, 2])
        hub.add_signature(inputs=x, outputs=x * w)

    return _export(module_fn, tmp_path_factory.mktemp("float64") / "module") / "variables"


@pytest.mark.parametrize("loader", ["hub.Module", *sorted(_LOADERS)])
def test_a_checkpoint_holding_a_variable_in_another_dtype_is_a_damaged_model(
    whole: Path, float64_variables: Path, tmp_path: Path, loader: str
) -> None:
    module = _copy(whole, tmp_path)
    shutil.rmtree(module / "variables")
    shutil.copytree(float64_variables, module / "variables")
    before = _listing(tmp_path)
    apply = _hub_module if loader == "hub.Module" else _LOADERS[loader]
    with pytest.raises(tf.errors.InvalidArgumentError) as caught:  # What upstream raised.
        apply(module)
    err = caught.value
    assert isinstance(err, errors.DamagedModelError) and isinstance(err, ValueError), repr(err)
    _check_error(err, module, "variables/")
    assert "'w'" in str(err) and "float64" in str(err) and "float32" in str(err), str(err)
    assert err.path == str(module)
    assert _listing(tmp_path) == before


# --- Damage tfhub already explained: pinned -----------------------------------------------------


def _truncate(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


# name -> (damage, error class, what the message names)
_PINNED: dict[str, tuple[Callable[[Path], None], type, str]] = {
    "truncated data file": (
        lambda m: _truncate(_data_shard(m), 3),
        errors.DamagedModelError,
        "variables/",
    ),
    "empty saved_model.pb": (
        lambda m: _truncate(m / "saved_model.pb", 0),
        errors.DamagedModelError,
        "saved_model.pb (0 bytes) holds no MetaGraph",
    ),
    "truncated saved_model.pb": (
        lambda m: _truncate(m / "saved_model.pb", 100),
        errors.DamagedModelError,
        "saved_model.pb (100 bytes) is truncated or damaged",
    ),
    "garbage saved_model.pb": (
        lambda m: (m / "saved_model.pb").write_bytes(b"\x00garbage\xff" * 7),
        errors.DamagedModelError,
        "saved_model.pb (63 bytes) is truncated or damaged",
    ),
    "missing asset": (
        lambda m: (m / "assets" / _VOCAB).unlink(),
        errors.MissingModelFileError,
        f"assets/{_VOCAB} is missing",
    ),
}


@pytest.mark.parametrize("loader", ["hub.Module", *sorted(_LOADERS)])
@pytest.mark.parametrize("damage", sorted(_PINNED))
def test_damage_tfhub_explained_already_stays_explained(
    whole: Path, tmp_path: Path, damage: str, loader: str
) -> None:
    module = _copy(whole, tmp_path)
    harm, cls, names = _PINNED[damage]
    harm(module)
    before = _listing(tmp_path)
    apply = _hub_module if loader == "hub.Module" else _LOADERS[loader]
    with pytest.raises(cls) as caught:
        apply(module)
    err = caught.value
    assert isinstance(err, ValueError) and isinstance(err, OSError)  # As TensorFlow raised.
    _check_error(err, module, names)
    assert err.path == str(module)
    assert _listing(tmp_path) == before


def test_hub_module_of_a_damaged_tfhub_module_pb_names_it(whole: Path, tmp_path: Path) -> None:
    module = _copy(whole, tmp_path)
    (module / "tfhub_module.pb").write_bytes(b"\x00garbage\xff" * 7)
    with tf.Graph().as_default(), pytest.raises(errors.DamagedModelError) as caught:
        hub.Module(str(module))
    _check_error(caught.value, module, "tfhub_module.pb (63 bytes) is truncated or damaged")
    # hub.load does not read tfhub_module.pb's contents (as upstream): the module loads.
    assert tf.reduce_all(_load(module) == [[2.0, 3.0]])


def test_hub_module_of_a_module_def_of_a_future_format_names_folder_and_format(
    whole: Path, tmp_path: Path
) -> None:
    from tfhub.protos import ModuleDef

    module = _copy(whole, tmp_path)
    (module / "tfhub_module.pb").write_bytes(ModuleDef(format=4).SerializeToString())
    with tf.Graph().as_default(), pytest.raises(errors.TFHubLoadError) as caught:
        hub.Module(str(module))
    assert isinstance(caught.value, ValueError)  # As upstream.
    assert str(module) in str(caught.value) and "format=4" in str(caught.value)
    assert "newer" in str(caught.value) and "upgrade tfhub" in str(caught.value)
    assert tf.reduce_all(_load(module) == [[2.0, 3.0]])  # hub.load: as upstream.


def test_hub_module_of_a_module_needing_an_unknown_feature_says_what_to_do(
    whole: Path, tmp_path: Path
) -> None:
    from tfhub.protos import FORMAT_V3, ModuleDef

    module = _copy(whole, tmp_path)
    marker = ModuleDef(format=FORMAT_V3, required_features=["sparse-v9"])
    (module / "tfhub_module.pb").write_bytes(marker.SerializeToString())
    with tf.Graph().as_default(), pytest.raises(errors.TFHubLoadError) as caught:
        hub.Module(str(module))
    assert str(module) in str(caught.value) and "sparse-v9" in str(caught.value)
    assert "newer" in str(caught.value) and "upgrade tfhub" in str(caught.value)


# What hub.Module raised where upstream let TensorFlow's error through: also that error.
_AS_UPSTREAM: dict[str, tuple[Callable[[Path], None], str, type]] = {
    "truncated data file": (
        lambda m: _truncate(_data_shard(m), 3),
        "OutOfRangeError",
        errors.DamagedModelError,
    ),
    "missing asset": (
        lambda m: (m / "assets" / _VOCAB).unlink(),
        "NotFoundError",
        errors.MissingModelFileError,
    ),
}


@pytest.mark.parametrize("damage", sorted(_AS_UPSTREAM))
def test_hub_module_of_a_damaged_module_is_also_tensorflows_error_as_upstream_raised(
    whole: Path, tmp_path: Path, damage: str
) -> None:
    module = _copy(whole, tmp_path)
    harm, upstream, cls = _AS_UPSTREAM[damage]
    harm(module)
    with pytest.raises(getattr(tf.errors, upstream)) as caught:
        _apply_in_graph(module)
    assert isinstance(caught.value, cls), repr(caught.value)
    assert caught.value.path == str(module)


def test_resolve_of_a_damaged_local_module_returns_its_folder_untouched(
    whole: Path, tmp_path: Path
) -> None:
    module = _copy(whole, tmp_path)
    (module / "variables" / "variables.index").unlink()
    before = _listing(tmp_path)
    assert hub.resolve(str(module)) == str(module)  # Resolving reads no file, as upstream.
    assert _listing(tmp_path) == before


@pytest.mark.parametrize("loader", ["hub.Module", "hub.load"])
def test_an_upstream_made_module_missing_its_index_is_not_found(
    upstream_dir: Path, tmp_path: Path, loader: str
) -> None:
    module = _copy(upstream_dir / "tf1_text_vocab", tmp_path)
    (module / "variables" / "variables.index").unlink()

    def apply() -> Any:
        if loader == "hub.load":
            return hub.load(str(module))
        with tf.Graph().as_default():
            return hub.Module(str(module))

    with pytest.raises(tf.errors.NotFoundError) as caught:
        apply()
    assert isinstance(caught.value, errors.MissingModelFileError)
    _check_error(caught.value, module, "variables/variables.index is missing")


# --- A checkpoint TensorFlow cannot read: upstream let its OutOfRangeError / DataLossError out ---


def _zero_fill(path: Path) -> None:
    path.write_bytes(b"\0" * path.stat().st_size)


# name -> (damage, TensorFlow's error, what the message names)
_UNREADABLE: dict[str, tuple[Callable[[Path], None], Any, str]] = {
    "truncated data file": (
        lambda m: _truncate(_data_shard(m), 3),
        tf.errors.OutOfRangeError,
        "variables/",
    ),
    "zero-filled data file": (
        lambda m: _zero_fill(_data_shard(m)),
        tf.errors.DataLossError,
        "variables/",
    ),
    "garbage index": (
        lambda m: (m / "variables" / "variables.index").write_bytes(b"x" * 200),
        tf.errors.DataLossError,
        "not an sstable",
    ),
}


@pytest.mark.parametrize("loader", sorted(_LOADERS))
@pytest.mark.parametrize("damage", sorted(_UNREADABLE))
def test_loading_a_module_whose_checkpoint_cannot_be_read_is_tensorflows_error_too(
    whole: Path, tmp_path: Path, damage: str, loader: str
) -> None:
    module = _copy(whole, tmp_path)
    harm, upstream, names = _UNREADABLE[damage]
    harm(module)
    with pytest.raises(upstream) as caught:
        _LOADERS[loader](module)
    err = caught.value
    assert isinstance(err, errors.DamagedModelError), repr(err)
    assert isinstance(err.__cause__, upstream)  # TensorFlow's, kept.
    _check_error(err, module, names)


def test_hub_module_of_a_module_whose_index_is_garbage_names_it(
    whole: Path, tmp_path: Path
) -> None:
    module = _copy(whole, tmp_path)
    (module / "variables" / "variables.index").write_bytes(b"x" * 200)
    with pytest.raises(tf.errors.OpError) as caught:  # What upstream raised.
        _apply_in_graph(module)
    err = caught.value
    assert isinstance(err, errors.DamagedModelError) and isinstance(err, ValueError), repr(err)
    _check_error(err, module, "not an sstable")
    assert "variables/" in err.problem


# --- A damaged cache entry: the message says how to download it anew, and shows no secret -------


@pytest.mark.parametrize("loader", sorted(_LOADERS))
def test_a_damaged_cache_entry_says_to_remove_it_and_shows_no_secret(
    whole: Path, served_dir: Path, server: Any, loader: str
) -> None:
    from tests._helpers.models import make_tarball

    make_tarball(str(whole), str(served_dir / "module.tar.gz"))
    handle = server.url("module.tar.gz").replace("http://", "http://user:s3cret@")
    entry = Path(hub.resolve(handle))
    # Same size: the cache's own check (sizes) keeps the entry; a missing or cut file it would
    # download anew.
    _zero_fill(_data_shard(entry))
    with pytest.raises(tf.errors.DataLossError) as caught:  # What upstream raised.
        _LOADERS[loader](handle)
    err = caught.value
    message = str(err)
    assert isinstance(err, errors.DamagedModelError), repr(err)
    assert str(entry) in message and "variables/" in message, message
    assert "tfhub cache rm" in message and "s3cret" not in message, message
    assert "s3cret" not in repr(err)


def test_a_sparse_input_naming_a_tensor_the_graph_lacks_is_named(tmp_path: Path) -> None:
    from tensorflow.core.protobuf import saved_model_pb2

    def module_fn() -> None:
        words = tf1.sparse_placeholder(tf.float32, [None, 2])
        hub.add_signature(inputs=words, outputs=tf.sparse.reduce_sum(words, axis=1))

    module = _export(module_fn, tmp_path / "module")
    pb = module / "saved_model.pb"
    proto = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    proto.meta_graphs[0].signature_def["default"].inputs[
        "default"
    ].coo_sparse.values_tensor_name = "gone:0"
    pb.write_bytes(proto.SerializeToString())
    value = tf1.SparseTensorValue([[0, 0]], [1.0], [1, 2])
    with tf.Graph().as_default(), pytest.raises(errors.SignatureTensorError) as caught:
        hub.Module(str(module))(value)
    assert "names the tensor 'gone:0' (input 'default')" in str(caught.value)


@pytest.mark.parametrize("loader", ["hub.KerasLayer", "hub.load"])
def test_loading_a_module_missing_an_asset_is_tensorflows_not_found_too(
    whole: Path, tmp_path: Path, loader: str
) -> None:
    module = _copy(whole, tmp_path)
    (module / "assets" / _VOCAB).unlink()
    with pytest.raises(tf.errors.NotFoundError) as caught:  # What upstream raised.
        _LOADERS[loader](module)
    assert isinstance(caught.value, errors.MissingModelFileError)
    assert caught.value.problem == f"assets/{_VOCAB} is missing"


# --- A spec made from a TF1 SavedModel (hub.create_module_spec_from_saved_model) ----------------


@pytest.fixture(scope="module")
def tf1_saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF1 SavedModel (tf.compat.v1.saved_model.Builder) with one variable."""
    path = tmp_path_factory.mktemp("tf1_saved_model") / "model"
    with tf.Graph().as_default():
        x = tf1.placeholder(tf.float32, [None, 2])
        w = tf1.get_variable("w", initializer=[2.0, 3.0])
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            builder = tf1.saved_model.Builder(str(path))
            signature = tf1.saved_model.predict_signature_def({"x": x}, {"y": x * w})
            builder.add_meta_graph_and_variables(
                session, [], signature_def_map={"default": signature}
            )
            builder.save()
    return path


def test_a_spec_from_a_saved_model_missing_its_index_names_the_saved_model_folder(
    tf1_saved_model: Path, tmp_path: Path
) -> None:
    model = _copy(tf1_saved_model, tmp_path)
    spec = hub.create_module_spec_from_saved_model(str(model))
    (model / "variables" / "variables.index").unlink()
    with tf.Graph().as_default(), pytest.raises(errors.ModelFileNotFoundError) as caught:
        hub.Module(spec)
    assert caught.value.path == str(model)
    assert f"The model {model} cannot be loaded: variables/variables.index is missing" in str(
        caught.value
    )


def test_a_spec_from_a_saved_model_whose_signature_names_an_absent_tensor_names_it(
    tf1_saved_model: Path, tmp_path: Path
) -> None:
    model = _copy(tf1_saved_model, tmp_path)
    _rename_output(model, "gone:0", output="y")
    with tf.Graph().as_default(), pytest.raises(errors.SignatureTensorError) as caught:
        hub.Module(hub.create_module_spec_from_saved_model(str(model)))(
            {"x": tf.constant([[1.0, 1.0]])}, as_dict=True
        )
    assert caught.value.path == str(model) and "'gone:0' (output 'y')" in str(caught.value)


def test_hub_load_of_a_checkpoint_holding_a_variable_in_another_shape_names_both(
    tmp_path: Path,
) -> None:
    # A reference variable's restore checks the shape (a resource variable's does not).
    model = save_tf1_ref_variable_model(tmp_path / "model", 2)
    other = save_tf1_ref_variable_model(tmp_path / "other", 3)
    shutil.rmtree(model / "variables")
    shutil.copytree(other / "variables", model / "variables")
    with pytest.raises(tf.errors.InvalidArgumentError) as caught:  # What TensorFlow raised.
        hub.load(str(model))
    err = caught.value
    assert isinstance(err, errors.DamagedModelError), repr(err)
    assert "holds the variable 'w' as float32[3], its graph as float32[2]" in str(err), str(err)

"""A model folder with a missing, truncated or damaged file: one tfhub error naming the file.

TensorFlow's own errors for these (ValueError, OSError, IndexError, OpError) name no file and
say nothing to do; `hub.load`, `hub.KerasLayer` and the eager `hub.Module` raise a
`DamagedModelError` instead, which still subclasses the builtin TensorFlow raised for the common
cases, keeps TensorFlow's error as its cause, and, for a cache entry, says how to fetch it anew.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from tests._helpers import models

import tfhub as hub
from tfhub import cache, errors
from tfhub.cli.main import main

pytestmark = pytest.mark.tf


def _data_shard(model: Path) -> Path:
    (shard,) = (model / "variables").glob("variables.data-*")
    return shard


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _zero_fill(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


# name -> (how the folder is damaged, the error class, the builtin TensorFlow raised, problem).
_DAMAGE: dict[str, tuple[Callable[[Path], None], type, type, str]] = {
    "empty saved_model.pb": (
        lambda m: (m / "saved_model.pb").write_bytes(b""),
        errors.DamagedModelError,
        ValueError,
        "saved_model.pb (0 bytes) holds no MetaGraph",
    ),
    "truncated saved_model.pb": (
        lambda m: _truncate(m / "saved_model.pb"),
        errors.DamagedModelError,
        OSError,
        "saved_model.pb (",
    ),
    "no saved_model.pb": (
        lambda m: (m / "saved_model.pb").unlink(),
        errors.MissingModelFileError,
        OSError,
        "it holds no saved_model.pb, so it is not a SavedModel",
    ),
    "no variables index": (
        lambda m: (m / "variables" / "variables.index").unlink(),
        errors.MissingModelFileError,
        FileNotFoundError,
        "variables/variables.index is missing",
    ),
    "no variables data": (
        lambda m: _data_shard(m).unlink(),
        errors.MissingModelFileError,
        FileNotFoundError,
        "variables/variables.data-* is missing",
    ),
    "truncated variables data": (
        lambda m: _truncate(_data_shard(m)),
        errors.DamagedModelError,
        OSError,
        "its checkpoint in variables/ cannot be read (Read less bytes than requested)",
    ),
    "zero-filled variables data": (
        lambda m: _zero_fill(_data_shard(m)),
        errors.DamagedModelError,
        OSError,
        "Checksum does not match",
    ),
    "garbage variables index": (
        lambda m: (m / "variables" / "variables.index").write_bytes(b"x" * 200),
        errors.DamagedModelError,
        OSError,
        "not an sstable",
    ),
}


@pytest.fixture(scope="module")
def good_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(models.save_tf2_module(str(tmp_path_factory.mktemp("good") / "model")))


@pytest.mark.parametrize("name", sorted(_DAMAGE))
def test_load_of_a_damaged_folder_names_the_file(good_model, tmp_path, name):
    damage, cls, builtin, problem = _DAMAGE[name]
    model = tmp_path / "model"
    shutil.copytree(good_model, model)
    damage(model)
    with pytest.raises(cls) as caught:
        hub.load(str(model))
    err = caught.value
    assert (
        isinstance(err, cls) and isinstance(err, builtin) and isinstance(err, errors.TFHubLoadError)
    )
    assert problem in err.problem and err.path == str(model)
    message = str(err)
    assert message.startswith(f"The model {model} cannot be loaded: {err.problem}. ")
    assert message.endswith("Check the path, or copy or export the model there again.")
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.problem) == (type(err), message, err.problem)


def test_a_failure_with_whole_files_is_tensorflows_own(good_model):
    """Only a damaged file becomes a DamagedModelError; other failures pass through."""
    import tensorflow as tf

    options = tf.saved_model.LoadOptions(experimental_io_device="/job:nowhere/device:CPU:0")
    with pytest.raises(Exception) as caught:
        hub.load(str(good_model), options=options)
    assert not isinstance(caught.value, errors.TFHubError), caught.value
    assert hub.load(str(good_model)) is not None  # The folder was whole all along.


def test_keras_layer_and_eager_tf1_module_name_the_damaged_file(
    good_model, upstream_copy, tmp_path
):
    model = tmp_path / "model"
    shutil.copytree(good_model, model)
    _truncate(_data_shard(model))
    with pytest.raises(errors.DamagedModelError, match="its checkpoint in variables/"):
        hub.KerasLayer(str(model), signature="serving_default", output_key="logits")
    tf1_module = upstream_copy / "tf1_multi_sig"
    _truncate(_data_shard(tf1_module))
    with pytest.raises(errors.DamagedModelError, match="its checkpoint in variables/"):
        hub.Module(str(tf1_module))  # Eager: loads the variables at once.
    (tf1_module / "saved_model.pb").write_bytes(b"")
    with pytest.raises(errors.DamagedModelError, match=r"\(0 bytes\) holds no MetaGraph"):
        hub.load_module_spec(str(tf1_module))


def test_graph_mode_tf1_module_with_a_cut_checkpoint_fails_at_construction(upstream_copy):
    """In graph mode the variables are read only when the user's session initializes them,
    where TensorFlow said "Read less bytes than requested", naming no file."""
    import tensorflow as tf

    tf1_module = upstream_copy / "tf1_multi_sig"
    with tf.Graph().as_default():
        hub.Module(str(tf1_module))  # Whole: no false alarm.
    _truncate(_data_shard(tf1_module))
    with tf.Graph().as_default():
        spec = hub.load_module_spec(str(tf1_module))
        with pytest.raises(errors.DamagedModelError) as caught:
            hub.Module(spec)
    message = str(caught.value)
    assert f"The model {tf1_module} cannot be loaded: its checkpoint in variables/ is cut " in (
        message
    )
    assert "its data files hold 54 bytes, its index lists 108" in message
    assert isinstance(caught.value, OSError) and caught.value.path == str(tf1_module)


def test_a_missing_asset_is_named_by_every_loader(upstream_copy, tmp_path, capsys):
    """A vocabulary file lost from assets/ (a partial copy): TensorFlow failed in the table's
    initializer, "Graph execution error: Detected at node text_file_init/..." (hub.load,
    hub.KerasLayer), or only in the user's session (hub.Module in a graph)."""
    import tensorflow as tf

    tf1_module = upstream_copy / "tf1_text_vocab"
    (tf1_module / "assets" / "tokens.txt").unlink()
    tf2_model = Path(models.save_text_embedding(str(tmp_path / "tf2")))
    (asset,) = (tf2_model / "assets").iterdir()
    asset.unlink()

    def module_in_a_graph(path: Path) -> object:
        with tf.Graph().as_default():
            return hub.Module(str(path))

    loads: list[tuple[Path, Callable[[Path], object]]] = [
        (tf1_module, module_in_a_graph),
        (tf1_module, lambda path: hub.load(str(path))),
        (tf1_module, lambda path: hub.KerasLayer(str(path))),
        (tf2_model, lambda path: hub.load(str(path))),
        (tf2_model, lambda path: hub.KerasLayer(str(path))),
    ]
    for model, load in loads:
        with pytest.raises(errors.MissingModelFileError) as caught:
            load(model)
        name = "tokens.txt" if model == tf1_module else asset.name
        assert caught.value.problem == f"assets/{name} is missing", model
        assert str(caught.value).startswith(f"The model {model} cannot be loaded: assets/")
        assert isinstance(caught.value, FileNotFoundError)
    capsys.readouterr()
    for model in (tf1_module, tf2_model):  # `tfhub inspect` showed the TF1 module as whole.
        assert main(["inspect", str(model)]) == 7  # Not found: a file the model needs.
        assert f"The model {model} cannot be loaded: assets/" in capsys.readouterr().err


@pytest.mark.parametrize("query", ["", "?X-Amz-Signature=5ecret"])
def test_a_damaged_cache_entry_says_how_to_fetch_it_anew(
    query, good_model, server, served_dir, isolated_cache, capsys
):
    """Same-size damage passes resolve's size check; load names the entry and `tfhub cache rm`
    (a signed URL by the entry's URL, without its signature: the key of every signature)."""
    handle = server.url("model.tar.gz") + query
    models.make_tarball(str(good_model), str(served_dir / "model.tar.gz"))
    entry = Path(hub.resolve(handle))
    _zero_fill(_data_shard(entry))  # What a bad disk block does; the sizes stay right.
    assert cache.damage(str(entry)) is None
    with pytest.raises(errors.DamagedModelError) as caught:
        hub.load(handle)
    message = str(caught.value)
    shown = handle.replace("5ecret", "***")
    assert message.startswith(f"The model {shown} (at {entry}) cannot be loaded: ")
    rm_argument = server.url("model.tar.gz")
    assert f"remove it with `tfhub cache rm {rm_argument}` and load again" in message
    assert "5ecret" not in message
    assert main(["cache", "rm", rm_argument]) == 0
    capsys.readouterr()
    assert hub.load(handle) is not None  # Downloaded anew.
    assert os.path.isdir(entry)


def test_the_content_check_finds_what_the_structure_check_cannot(good_model, server, served_dir):
    """A cache entry whose saved_model.pb still parses but differs from the install."""
    handle = server.url("model.tar.gz")
    models.make_tarball(str(good_model), str(served_dir / "model.tar.gz"))
    entry = Path(hub.resolve(handle))
    fingerprint = entry / "fingerprint.pb"
    fingerprint.write_bytes(bytes(fingerprint.stat().st_size))  # Same size, other bytes.
    from tfhub import model_damage

    found = model_damage.diagnose(str(entry), handle=handle)
    assert isinstance(found, errors.DamagedModelError)
    assert found.problem.startswith("fingerprint.pb has other content than was installed")


def test_inspect_names_the_damaged_file(good_model, tmp_path):
    from tfhub import model_info

    model = tmp_path / "model"
    shutil.copytree(good_model, model)
    _truncate(_data_shard(model))
    described = model_info.describe_reusable(str(model))
    assert described == {
        "error": "cannot be loaded: its checkpoint in variables/ cannot be read "
        "(Read less bytes than requested)"
    }


def test_tf_servings_model_folder_offers_its_newest_version(good_model, tmp_path):
    """TF Serving's base path (`models/m/1/`, `models/m/2/`, `models/m/10/`) given as the
    model: the first folder by name (1/) was offered; the newest version is."""
    base = tmp_path / "m"
    for version in ("1", "2", "10"):
        shutil.copytree(good_model, base / version)
    (base / "notes").mkdir()
    with pytest.raises(errors.MissingModelFileError) as caught:
        hub.load(str(base))
    assert str(caught.value) == (
        f"The model {base} cannot be loaded: it holds no saved_model.pb, but its version "
        f"folders 1/, 2/, 10/ do (TF Serving's layout). Did you mean {base / '10'} (the newest)?"
    )
    assert hub.load(str(base / "10")) is not None


def test_a_model_one_folder_down_is_offered(good_model, tmp_path, isolated_cache, capsys):
    """`tar czf m.tar.gz mymodel/` puts the model one folder down: its cache entry said "holds
    no saved_model.pb ... remove it with `tfhub cache rm` and load again", which downloads the
    same archive; a local folder said nothing of the model inside it."""
    outer = tmp_path / "outer"
    shutil.copytree(good_model, outer / "mymodel")
    with pytest.raises(errors.MissingModelFileError) as caught:
        hub.load(str(outer))
    assert str(caught.value) == (
        f"The model {outer} cannot be loaded: it holds no saved_model.pb, but its folder "
        f"mymodel/ does. Did you mean {outer / 'mymodel'}?"
    )
    archive = tmp_path / "nested.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(outer / "mymodel", arcname="mymodel")
    handle = "https://hub.example/nested/1"
    assert main(["import", str(archive), "--handle", handle]) == 0
    entry = Path(capsys.readouterr().out.strip())
    with pytest.raises(errors.MissingModelFileError) as caught:
        hub.load(handle)
    assert str(caught.value) == (
        f"The model {handle} (at {entry}) cannot be loaded: its archive holds the model in a "
        f"folder, mymodel/, not at its top. Load {entry / 'mymodel'}, or repack the archive "
        "with the model's files at its top (`tfhub pack MODEL_FOLDER -o model.tar.gz` packs a "
        "folder's contents)."
    )
    assert hub.load(str(entry / "mymodel")) is not None


def test_a_tensorflow_js_model_is_named(tmp_path):
    """A TF.js variant (model.json and weight shards, as Kaggle and tfhub.dev publish) said
    "holds no saved_model.pb, so it is not a SavedModel"."""
    tfjs = tmp_path / "tfjs"
    tfjs.mkdir()
    (tfjs / "model.json").write_text('{"format": "graph-model", "modelTopology": {}}')
    (tfjs / "group1-shard1of1.bin").write_bytes(bytes(16))
    with pytest.raises(errors.MissingModelFileError) as caught:
        hub.load(str(tfjs))
    assert str(caught.value) == (
        f"The model {tfjs} cannot be loaded: it is a TensorFlow.js model (model.json), not a "
        "SavedModel. Load it with TensorFlow.js, or get the model's TensorFlow 2 (SavedModel) "
        "variant."
    )


def test_a_file_is_not_a_model_folder(good_model, tmp_path):
    """TensorFlow said "SavedModel file does not exist at: <file>/{saved_model.pbtxt|...}"."""
    archive = models.make_tarball(str(good_model), str(tmp_path / "model.tar.gz"))
    with pytest.raises(errors.MissingModelFileError) as caught:
        hub.load(archive)
    assert isinstance(caught.value, OSError)
    assert caught.value.problem == "it is an archive file, not a model folder"
    assert str(caught.value).endswith(
        "not a model folder. Extract it, or put it into the cache with "
        f"`tfhub import {archive} --handle HANDLE` and load HANDLE."
    )
    # Other model files: what they are and what to do instead (Keras, TFLite, the .pb alone),
    # without the general "Check the path" advice after it.
    pb = tmp_path / "copy" / "saved_model.pb"
    pb.parent.mkdir()
    shutil.copy(good_model / "saved_model.pb", pb)
    for name, problem, todo in (
        ("model.keras", "it is a Keras model file", "Load it with keras.models.load_model, or "),
        ("weights.H5", "it is a Keras model file", "Load it with keras.models.load_model, or "),
        ("model.tflite", "it is a TensorFlow Lite model", "Run it with tf.lite.Interpreter."),
        ("model.zip", "it is a ZIP archive", "Unzip it and pass the folder that holds saved_"),
        (
            "frozen_inference_graph.pb",
            "it is a protocol buffer file, e.g. a frozen TensorFlow 1 graph",
            "A SavedModel is a folder holding saved_model.pb (and variables/); load a frozen",
        ),
        (
            "copy/saved_model.pb",
            "it is the model's saved_model.pb",
            f"Pass its folder, {pb.parent}.",
        ),
        ("notes.txt", "it is a file", "Pass the folder that holds saved_model.pb."),
    ):
        path = tmp_path / name
        if not path.exists():
            path.write_bytes(b"PK")
        with pytest.raises(errors.MissingModelFileError) as caught:
            hub.load(str(path))
        assert caught.value.problem == f"{problem}, not a model folder", name
        message = str(caught.value)
        assert message.split(f"{problem}, not a model folder. ")[1].startswith(todo), message
        assert "Check the path" not in message

"""A model's asset names never make a loader read a file outside its assets/ folder (review47
H2), and a folder without saved_model.pb is `tf.errors.NotFoundError` where upstream's read
raised it (review47 M5).

TensorFlow joins each asset name of saved_model.pb to `<model>/assets/` and reads the file while
loading (the text models' vocabulary tables): these models name a vocabulary outside, whose
token order differs from the model's, so a load that read it would embed "world" differently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tfhub as hub
from tfhub import asset_names, errors

pytestmark = pytest.mark.tf
tf = pytest.importorskip("tensorflow")

ASSET = "tokens.txt"  # Both text fixtures' vocabulary, in assets/.


def _embed_tf1(path: Path) -> Any:
    module = hub.load(str(path)).signatures["default"]
    return module(sentences=tf.constant(["world"]))["default"].numpy()


def _embed_tf2(path: Path, **kwargs: Any) -> Any:
    return hub.load(str(path), **kwargs)(tf.constant(["world"])).numpy()


def _rename_assets(model: Path, name: str) -> None:
    """Points every asset name of the model's saved_model.pb (its asset_file_def and its
    saved_model_assets collection) at `name`."""
    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

    pb = model / "saved_model.pb"
    saved_model = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    for meta_graph in saved_model.meta_graphs:
        for asset in meta_graph.asset_file_def:
            asset.filename = name
        if "saved_model_assets" in meta_graph.collection_def:
            for packed in meta_graph.collection_def["saved_model_assets"].any_list.value:
                unpacked = meta_graph_pb2.AssetFileDef()
                packed.Unpack(unpacked)
                unpacked.filename = name
                packed.Pack(unpacked)
    pb.write_bytes(saved_model.SerializeToString())


def _reversed_vocab(model: Path, target: Path) -> None:
    """Writes the model's vocabulary in reverse order at `target` (outside its assets/)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = (model / "assets" / ASSET).read_text().splitlines(keepends=True)
    target.write_text("".join(reversed(lines)))


@pytest.fixture
def models(upstream_dir: Path, tmp_path: Path) -> dict[str, Path]:
    """Writable copies of the TF1 Hub text module and the TF2 text model, in tmp/models/."""
    copies = {}
    for flavour, name in (("tf1", "tf1_text_vocab"), ("tf2", "tf2_text_embedding")):
        copies[flavour] = tmp_path / "models" / flavour
        shutil.copytree(upstream_dir / name, copies[flavour])
    return copies


# Hostile names, each with the file it reaches from `<model>/assets/` (relative to the model);
# a vocabulary is written there, so that without the check the model loads and reads it.
_HOSTILE = {
    "dotdot": ("../../outside_vocab.txt", "../outside_vocab.txt"),
    "assets_dotdot": ("assets/../../vocab.txt", "vocab.txt"),  # In the model, not in assets/.
    "deep_dotdot": ("sub/../../../outside_vocab.txt", "../outside_vocab.txt"),
}


@pytest.mark.parametrize("flavour", ["tf1", "tf2"])
@pytest.mark.parametrize("kind", [*_HOSTILE, "absolute"])
def test_hub_load_refuses_an_asset_outside_the_model(
    models: dict[str, Path], tmp_path: Path, flavour: str, kind: str
) -> None:
    model = models[flavour]
    if kind == "absolute":
        name = str(tmp_path / "secret" / "vocab.txt")
        target = Path(name)
    else:
        name, reached = _HOSTILE[kind]
        target = Path(os.path.normpath(model / reached))
    _reversed_vocab(model, target)
    _rename_assets(model, name)
    embed = _embed_tf1 if flavour == "tf1" else _embed_tf2
    with pytest.raises(errors.UnsafeAssetError) as caught:
        embed(model)
    err = caught.value
    assert isinstance(err, errors.DamagedModelError) and isinstance(err, ValueError | OSError)
    assert err.path == str(model)
    assert err.problem == (
        f"its saved_model.pb names the asset file {name}, which points outside the model's "
        "assets/ folder"
    )
    assert str(err).startswith(f"The model {model} cannot be loaded: its saved_model.pb names")
    assert "Do not load it" in str(err) and str(err).endswith(f"Received: asset_filename={name!r}")


@pytest.mark.parametrize("tags", [None, ["serve"]])  # Names read lightly / from the full parse.
def test_both_reads_of_the_names_refuse(
    models: dict[str, Path], tmp_path: Path, tags: list[str] | None
) -> None:
    model = models["tf2"]
    _reversed_vocab(model, tmp_path / "outside.txt")
    _rename_assets(model, "../../../outside.txt")
    with pytest.raises(errors.UnsafeAssetError, match=r"names the asset file \.\./\.\./\.\./out"):
        _embed_tf2(model, tags=tags)


def test_the_light_read_finds_a_tf1_modules_collection(models: dict[str, Path]) -> None:
    """A TF1 Hub module keeps its asset names in the saved_model_assets collection only."""
    model = models["tf1"]
    _rename_assets(model, "../x.txt")
    with pytest.raises(errors.UnsafeAssetError, match=r"names the asset file \.\./x\.txt"):
        asset_names.refuse_unsafe_assets(str(model))  # Without a parsed proto: the light read.
    with pytest.raises(
        errors.TFHubLoadError, match=r"Asset filename \(\.\./x\.txt\) points outside assets_dir"
    ):
        hub.load_module_spec(str(model))  # hub.Module's own check: the same rule, its message.


def test_a_nul_in_an_asset_name_is_refused(models: dict[str, Path]) -> None:
    """TensorFlow opens the name cut at its NUL: assets/tokens.txt here, not the file named."""
    model = models["tf2"]
    name = ASSET + "\0../../elsewhere"
    _rename_assets(model, name)
    with pytest.raises(errors.UnsafeAssetError) as caught:
        hub.load(str(model))
    assert caught.value.problem == (
        "its saved_model.pb names the asset file tokens.txt\\x00../../elsewhere, which holds "
        "a NUL character, which no file name can hold"
    )
    assert "\0" not in str(caught.value)


def test_a_long_asset_name_is_cut_in_the_message(models: dict[str, Path]) -> None:
    model = models["tf2"]
    name = "../" + "\x1b" * 5000
    _rename_assets(model, name)
    with pytest.raises(errors.UnsafeAssetError) as caught:
        hub.load(str(model))
    message = str(caught.value)
    assert "\x1b" not in message and len(message) < 2500  # Not 5,000 escapes.
    shown = "../" + "\\x1B" * 197  # escaped(): each ESC as \x1B.
    assert f"{shown}... (5003 characters), which points outside" in message
    assert message.endswith(f"asset_filename={(name[:200])!r}... (5003 characters)")


def test_a_long_missing_asset_name_is_cut_in_the_message(models: dict[str, Path]) -> None:
    """An asset name inside assets/ whose file is missing: the damage check names it, cut."""
    model = models["tf2"]
    name = "d/" * 150 + ASSET
    _rename_assets(model, name)
    with pytest.raises(errors.MissingModelFileError) as caught:
        hub.load(str(model))
    assert caught.value.problem == f"assets/{name[:200]}... ({len(name)} characters) is missing"


def test_keras_layer_refuses_an_asset_outside(models: dict[str, Path], tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    model = models["tf2"]
    _reversed_vocab(model, tmp_path / "outside.txt")
    _rename_assets(model, str(tmp_path / "outside.txt"))
    with pytest.raises(errors.UnsafeAssetError):
        layer = hub.KerasLayer(str(model))
        assert isinstance(layer, keras.layers.Layer)  # Keras 3's layer, had it loaded.
        layer(tf.constant(["world"]))


def test_text_embedding_column_v2_refuses_an_asset_outside(
    models: dict[str, Path], tmp_path: Path
) -> None:
    tf_keras = pytest.importorskip("tf_keras")
    model = models["tf2"]
    _reversed_vocab(model, tmp_path / "outside.txt")
    _rename_assets(model, "../../../outside.txt")  # tmp/outside.txt
    with pytest.raises(errors.UnsafeAssetError):
        column = hub.text_embedding_column_v2("s", str(model))
        tf_keras.layers.DenseFeatures([column])({"s": tf.constant(["world"])})


@pytest.mark.parametrize("flavour", ["tf1", "tf2"])
def test_models_whose_assets_are_inside_still_load(
    models: dict[str, Path], upstream_dir: Path, flavour: str
) -> None:
    """The fixtures as published, and with the vocabulary in assets/sub/ (named so)."""
    embed = _embed_tf1 if flavour == "tf1" else _embed_tf2
    name = "tf1_text_vocab" if flavour == "tf1" else "tf2_text_embedding"
    expected = embed(upstream_dir / name)
    model = models[flavour]
    (model / "assets" / "sub").mkdir()
    (model / "assets" / ASSET).rename(model / "assets" / "sub" / ASSET)
    _rename_assets(model, "sub/" + ASSET)
    np.testing.assert_allclose(embed(model), expected)
    assert not np.allclose(expected, 0)


def _to_text_form(model: Path) -> Any:
    """Replaces the model's saved_model.pb by saved_model.pbtxt; returns the proto."""
    from google.protobuf import text_format
    from tensorflow.core.protobuf import saved_model_pb2

    pb = model / "saved_model.pb"
    saved_model = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    pb.unlink()
    (model / "saved_model.pbtxt").write_text(text_format.MessageToString(saved_model))
    return saved_model


def test_a_text_format_saved_model_is_checked_too(models: dict[str, Path], tmp_path: Path) -> None:
    """TensorFlow loads saved_model.pbtxt when there is no saved_model.pb."""
    from google.protobuf import text_format

    model = models["tf2"]
    expected = _embed_tf2(model)
    saved_model = _to_text_form(model)
    np.testing.assert_allclose(_embed_tf2(model), expected)  # Loads as before.
    for asset in saved_model.meta_graphs[0].asset_file_def:
        asset.filename = str(tmp_path / "outside.txt")
    _reversed_vocab(model, tmp_path / "outside.txt")
    (model / "saved_model.pbtxt").write_text(text_format.MessageToString(saved_model))
    with pytest.raises(errors.UnsafeAssetError, match="outside.txt, which points outside") as e:
        _embed_tf2(model)
    assert "its saved_model.pbtxt names the asset file" in str(e.value)  # Not ".pb" (review47c).


# --- M5: a folder without saved_model.pb -----------------------------------------------------


@pytest.fixture
def no_pb_module(upstream_dir: Path, tmp_path: Path) -> Path:
    """The TF1 Hub module with several signatures, its saved_model.pb removed."""
    module = tmp_path / "no_pb"
    shutil.copytree(upstream_dir / "tf1_multi_sig", module)
    (module / "saved_model.pb").unlink()
    return module


def _module_in_a_graph(path: str) -> object:
    with tf.Graph().as_default():
        return hub.Module(path)


_NO_PB_LOADS: dict[str, Callable[[str], object]] = {
    "load_module_spec": hub.load_module_spec,
    "Module": _module_in_a_graph,
    "load": hub.load,  # A TF1 Hub module: read first, with tags [].
    "load_with_tags": lambda path: hub.load(path, tags=[]),
}


@pytest.mark.parametrize("loader", list(_NO_PB_LOADS))
def test_a_missing_saved_model_pb_is_tensorflows_not_found_error(
    no_pb_module: Path, loader: str
) -> None:
    """Upstream read saved_model.pb with tf.io.gfile, which raised tf.errors.NotFoundError."""
    load = _NO_PB_LOADS[loader]
    try:
        load(str(no_pb_module))
    except tf.errors.NotFoundError as err:
        caught: BaseException = err
    else:
        pytest.fail("no error")
    assert isinstance(caught, errors.MissingModelFileError)
    with pytest.raises(FileNotFoundError) as again:
        load(str(no_pb_module))
    assert str(again.value) == str(caught)
    assert str(caught).startswith(f"The model {no_pb_module} cannot be loaded: it holds no ")
    assert caught.problem == "it holds no saved_model.pb, so it is not a SavedModel"


def test_a_tf2_folder_without_saved_model_pb_is_still_tensorflows_os_error(
    models: dict[str, Path],
) -> None:
    """Without tags=, TensorFlow reads the folder first and raised an OSError, which upstream
    let through: the error is that (a MissingModelFileError), as before."""
    model = models["tf2"]
    (model / "saved_model.pb").unlink()
    with pytest.raises(errors.MissingModelFileError) as caught:
        hub.load(str(model))
    assert isinstance(caught.value, OSError)
    assert caught.value.problem == "it holds no saved_model.pb, so it is not a SavedModel"


@pytest.mark.parametrize("name", ["", ".", "sub/.."])
def test_a_name_of_the_assets_folder_itself_is_refused(models: dict[str, Path], name: str) -> None:
    """The rule hub.Module had: a name that is the assets/ folder, not a file in it."""
    _rename_assets(models["tf2"], name)
    with pytest.raises(errors.UnsafeAssetError, match="which points outside the model's assets/"):
        hub.load(str(models["tf2"]))


def test_tfhub_inspect_refuses_an_asset_outside_before_loading(models: dict[str, Path]) -> None:
    """`tfhub inspect` (model_info.describe) loaded a TF2 model with tf.saved_model.load
    itself, reading a vocabulary outside its assets/ folder (found by assets47)."""
    from tfhub import model_info

    model = models["tf2"]
    _reversed_vocab(model, model.parent / "outside_vocab.txt")
    _rename_assets(model, "../../outside_vocab.txt")
    with pytest.raises(errors.UnsafeAssetError, match=r"outside_vocab\.txt"):
        model_info.describe(str(model))


def _as_hugging_face_snapshot(model: Path, root: Path) -> Path:
    """Lays `model` out as huggingface_hub's snapshot_download does (so do DVC, git-annex and
    Nix, roughly): each file a relative symbolic link into a sibling blobs/ folder, named by its
    hash. Returns the snapshot folder."""
    import hashlib

    snapshot, blobs = root / "snapshots" / "abc123", root / "blobs"
    blobs.mkdir(parents=True)
    for file in sorted(p for p in model.rglob("*") if p.is_file()):
        data = file.read_bytes()
        blob = blobs / hashlib.sha1(data).hexdigest()
        blob.write_bytes(data)
        link = snapshot / file.relative_to(model)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return snapshot


@pytest.mark.parametrize("flavour", ["tf1", "tf2"])
def test_a_hugging_face_snapshot_loads_its_assets_through_their_links(
    models: dict[str, Path], tmp_path: Path, flavour: str
) -> None:
    """A symbolic link in assets/ to a file outside the model folder was refused
    (UnsafeAssetError, review47c M-b), which broke every Hugging Face Hub snapshot (review49c
    F4). It loads, as with TensorFlow and upstream: a SavedModel is a program that may read any
    file, and its saved_model.pb and variables/ were read through such links anyway."""
    embed = _embed_tf1 if flavour == "tf1" else _embed_tf2
    model = models[flavour]
    healthy = embed(model)
    snapshot = _as_hugging_face_snapshot(model, tmp_path / "hf")
    assert (snapshot / "assets" / ASSET).is_symlink()
    np.testing.assert_array_equal(embed(snapshot), healthy)
    # TensorFlow reads the file the link leads to: a reversed vocabulary embeds otherwise.
    reversed_vocab = tmp_path / "elsewhere" / ASSET
    _reversed_vocab(model, reversed_vocab)
    (snapshot / "assets" / ASSET).unlink()
    (snapshot / "assets" / ASSET).symlink_to(reversed_vocab)
    assert not np.array_equal(embed(snapshot), healthy)


def test_a_snapshot_still_refuses_asset_names_outside_assets(
    models: dict[str, Path], tmp_path: Path
) -> None:
    """Following links is no licence for names: "../x" in saved_model.pb is still refused."""
    model = models["tf2"]
    _rename_assets(model, "../../outside_vocab.txt")
    snapshot = _as_hugging_face_snapshot(model, tmp_path / "hf")
    with pytest.raises(errors.UnsafeAssetError, match=r"points outside the model's assets/"):
        _embed_tf2(snapshot)


def test_a_text_format_saved_model_loads_with_tags(models: dict[str, Path]) -> None:
    """With tags= given, hub.load read saved_model.pb for its tag sets and refused a folder
    holding only saved_model.pbtxt ("holds no saved_model.pb"), which TensorFlow loads
    (review47c L-b): its tag sets are read from the text form."""
    model = models["tf2"]
    expected = _embed_tf2(model)
    _to_text_form(model)
    np.testing.assert_allclose(_embed_tf2(model, tags=["serve"]), expected)
    with pytest.raises(errors.UnknownTagsError, match="train"):
        _embed_tf2(model, tags=["train"])

"""An export of a module whose graph names an asset file it cannot copy (review49a-F1, session
49): a tfhub error naming the asset constant, the file and the export folder, raised before
anything is copied, and no folder left behind (before: TensorFlow's bare NotFoundError or
InvalidArgumentError, a load error's wording, a UnicodeDecodeError; `out/assets` left)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _vocab_module_fn(vocab: str | bytes) -> Callable[[], None]:
    """A module_fn looking strings up in the vocabulary file `vocab` (an asset)."""

    def module_fn() -> None:
        strings = tf1.placeholder(tf.string, [None])
        init = tf.lookup.TextFileInitializer(
            vocab,
            tf.string,
            tf.lookup.TextFileIndex.WHOLE_LINE,
            tf.int64,
            tf.lookup.TextFileIndex.LINE_NUMBER,
        )
        table = tf.lookup.StaticHashTable(init, -1)
        hub.add_signature(inputs=strings, outputs=table.lookup(strings))

    return module_fn


def _asset_module_fn(asset: Any) -> Callable[[], None]:
    """A module_fn listing `asset` (a tensor maker) in ASSET_FILEPATHS."""

    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None])
        tf1.add_to_collection(tf1.GraphKeys.ASSET_FILEPATHS, asset())
        hub.add_signature(inputs=x, outputs=x)

    return module_fn


def _export(module_fn: Callable[[], None], out: Path) -> None:
    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf1.Session() as session:
            module.export(str(out), session)


def test_a_missing_vocabulary_is_refused_naming_it_and_nothing_is_left(tmp_path):
    vocab = tmp_path / "vocab.txt"  # Never written: a typo in module_fn.
    out = tmp_path / "out"
    with pytest.raises(errors.AssetNotFoundError) as info:
        _export(_vocab_module_fn(str(vocab)), out)
    err = info.value
    assert isinstance(err, tf.errors.NotFoundError)  # What upstream let through.
    assert isinstance(err, errors.AssetSourceError) and isinstance(err, errors.ExportError)
    assert (err.path, err.source) == (str(out), str(vocab))
    message = str(err)
    assert str(out) in message and str(vocab) in message
    assert "asset_filepaths" in message and "does not exist" in message
    assert "Fix the file name in the module_fn" in message
    assert not out.exists()
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and (again.path, again.source) == (err.path, err.source)


def test_a_missing_vocabulary_in_spec_export_leaves_nothing(tmp_path):
    with tf.Graph().as_default():
        variable = tf1.get_variable("unused", [1])
        with tf1.Session() as session:
            session.run(variable.initializer)
            checkpoint = tf1.train.Saver().save(session, str(tmp_path / "ck"))
    spec = hub.create_module_spec(_vocab_module_fn(str(tmp_path / "vocab.txt")))
    out = tmp_path / "out"
    with pytest.raises(errors.AssetNotFoundError):
        spec.export(str(out), checkpoint_path=checkpoint)
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("vocabdir", "a folder"),
        ("vocabdir/", "no file"),
        ("", "no file"),
    ],
)
def test_an_asset_that_is_no_file_is_refused_and_nothing_is_left(tmp_path, name, problem):
    (tmp_path / "vocabdir").mkdir()
    (tmp_path / "vocabdir" / "a.txt").write_text("x\n")
    source = f"{tmp_path}/{name}" if name else ""
    out = tmp_path / "out"
    with pytest.raises(errors.AssetSourceError, match=problem) as info:
        _export(_asset_module_fn(lambda: tf.constant(source)), out)
    assert not isinstance(info.value, tf.errors.NotFoundError)
    assert info.value.source == source and str(out) in str(info.value)
    assert not out.exists()


def test_an_asset_name_that_is_not_utf8_is_refused_and_nothing_is_left(tmp_path):
    out = tmp_path / "out"
    source = bytes(tmp_path / "voc") + b"\xe9.txt"
    with pytest.raises(errors.AssetSourceError, match="not UTF-8") as info:
        _export(_asset_module_fn(lambda: tf.constant(source)), out)
    assert isinstance(info.value, ValueError)  # As upstream's failed decoding.
    assert info.value.source.endswith("voc\\xe9.txt")
    assert not out.exists()


def test_an_asset_that_is_no_constant_leaves_no_folder(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(errors.AssetNodeError, match="must be a constant"):
        _export(_asset_module_fn(lambda: tf.strings.join(["a", "b"])), out)
    assert not out.exists()


def test_an_export_into_an_existing_folder_keeps_it(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(errors.AssetNotFoundError):
        _export(_vocab_module_fn(str(tmp_path / "vocab.txt")), out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("vocab", ["foo://bucket/vocab.txt", "http://127.0.0.1:9/vocab.txt"])
def test_an_asset_on_a_file_system_tensorflow_cannot_read_is_an_asset_error(tmp_path, vocab):
    """review49f-F3: the loading side's DownloadError ("copy the model to a local folder, or
    serve it over http(s)"), naming neither the asset constant nor the export."""
    out = tmp_path / "out"
    with pytest.raises(errors.AssetSourceError) as info:
        _export(_vocab_module_fn(vocab), out)
    message = str(info.value)
    assert vocab in message and str(out) in message and "asset_filepaths" in message
    assert "cannot read" in message and "copy the file to a local path" in message
    assert "serve it" not in message and not out.exists()


def test_a_failed_export_removes_the_parent_folders_it_made_too(tmp_path):
    """review49f-F4: `new/deep/` stayed behind a refused export whose message says nothing was
    written; a parent that existed before stays."""
    out = tmp_path / "new" / "deep" / "out"
    with pytest.raises(errors.AssetNotFoundError):
        _export(_vocab_module_fn(str(tmp_path / "missing.txt")), out)
    assert not (tmp_path / "new").exists()
    assert tmp_path.is_dir()

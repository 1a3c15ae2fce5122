"""Models whose vocabulary asset is empty (review rf55b).

F1: a text model (a TF1 Hub module or a TF2 SavedModel) whose lookup table reads its vocabulary
    from an asset file of 0 bytes failed with TensorFlow's bare OutOfRangeError ("Read less
    bytes than requested ... node text_file_init/InitializeTableFromTextFileV2"), naming neither
    the file nor the model: in `hub.load`, `hub.KerasLayer`, the TF2 column, and in a graph at
    the user's own `tables_initializer()` run (hub.Module, the TF1 columns). Each must raise
    `EmptyAssetError`: still the OutOfRangeError TensorFlow raised, and a DamagedModelError that
    names the asset, the model and what to do; in a graph, when the module is read.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1
_VOCAB = "tokens.txt"


def _emptied(upstream_copy: Path, name: str) -> Path:
    """The upstream-made text model `name` with its vocabulary asset truncated to 0 bytes."""
    model = upstream_copy / name
    (model / "assets" / _VOCAB).write_bytes(b"")
    return model


def _check(error: BaseException, model: Path) -> None:
    """`error` is TensorFlow's class and a DamagedModelError saying what, where, what to do."""
    assert isinstance(error, tf.errors.OutOfRangeError)
    assert isinstance(error, errors.DamagedModelError)
    assert type(error) is errors.EmptyAssetError
    message = str(error)
    assert f"assets/{_VOCAB} is empty" in message
    assert str(model) in message
    assert "copy or export the model there again" in message
    assert error.path == str(model) and error.problem.startswith(f"assets/{_VOCAB} is empty")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == message and vars(again) == vars(error)


@pytest.mark.parametrize("name", ["tf2_text_embedding", "tf1_text_vocab"])
def test_hub_load_names_the_empty_vocabulary(upstream_copy: Path, name: str) -> None:
    model = _emptied(upstream_copy, name)
    with pytest.raises(tf.errors.OutOfRangeError) as caught:
        hub.load(str(model))
    _check(caught.value, model)


def test_the_tf2_column_names_the_empty_vocabulary(upstream_copy: Path) -> None:
    tf_keras = pytest.importorskip("tf_keras")
    model = _emptied(upstream_copy, "tf2_text_embedding")
    with pytest.raises(tf.errors.OutOfRangeError) as caught:
        column = hub.text_embedding_column_v2("text", str(model))
        tf_keras.layers.DenseFeatures([column])({"text": tf.constant(["a b"])})
    _check(caught.value, model)


def test_hub_module_in_a_graph_names_the_empty_vocabulary_when_read(upstream_copy: Path) -> None:
    model = _emptied(upstream_copy, "tf1_text_vocab")
    with tf.Graph().as_default(), pytest.raises(tf.errors.OutOfRangeError) as caught:
        hub.Module(str(model))  # Before: no error here, the bare one at tables_initializer().
    _check(caught.value, model)


def test_a_tf1_column_in_input_layer_names_the_empty_vocabulary(upstream_copy: Path) -> None:
    model = _emptied(upstream_copy, "tf1_text_vocab")
    with tf.Graph().as_default(), pytest.raises(tf.errors.OutOfRangeError) as caught:
        column = hub.text_embedding_column("text", str(model))
        v1.feature_column.input_layer({"text": tf.constant(["a b"])}, [column])
    _check(caught.value, model)


def test_an_empty_asset_no_table_reads_still_loads(tmp_path: Path) -> None:
    """Only a vocabulary a lookup table reads is refused: an empty asset used otherwise (here its
    path is an output) loads as before, in a graph and eagerly."""
    source = tmp_path / "notes.txt"
    source.write_text("kept")

    def module_fn() -> None:
        path = tf.constant(str(source))
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, path)
        x = v1.placeholder(tf.string, [None])
        hub.add_signature(inputs=x, outputs=tf.strings.length(x) + tf.strings.length(path))

    module = tmp_path / "module"
    with tf.Graph().as_default():
        made = hub.Module(hub.create_module_spec(module_fn))
        with v1.Session() as session:
            made.export(str(module), session)
    (module / "assets" / "notes.txt").write_bytes(b"")
    with tf.Graph().as_default():
        out = hub.Module(str(module))(tf.constant(["ab"]))
        with v1.Session() as session:
            session.run(v1.tables_initializer())
            assert session.run(out).shape == (1,)
    assert hub.load(str(module)) is not None

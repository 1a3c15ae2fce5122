"""A model that uses an op this process has not registered (tensorflow_text's tokenizers, in BERT
preprocessors and multilingual sentence encoders): one `MissingOpError` naming the op, the
library that registers it and how to get it, from every loader.

TensorFlow said "Op type not registered 'SentencepieceOp' in binary running on <host>. Make
sure the Op and Kernel are registered in the binary running in this process. Note that if you
are loading a saved graph which used ops from tf.contrib ..." (a RuntimeError for TF2
SavedModels, a NotFoundError for TF1 modules): the most asked question about hub text models.
The models here are real SavedModels whose `saved_model.pb` names an op TensorFlow lacks, as a
model saved with tensorflow_text imported does in a process without it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf

TEXT_ADVICE = (
    "It comes from tensorflow_text, which registers its ops when imported: install it (pip "
    "install 'tensorflow-text=={version}.*') and `import tensorflow_text` before loading the "
    "model."
)


def _rename_op(model: Path, old: str, new: str) -> None:
    """Renames every node of op `old` to `new` in the model's graph and functions."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((model / "saved_model.pb").read_bytes())
    renamed = 0
    for meta_graph in proto.meta_graphs:
        graph = meta_graph.graph_def
        nodes = [*graph.node, *(n for f in graph.library.function for n in f.node_def)]
        for node in nodes:
            if node.op == old:
                node.op, renamed = new, renamed + 1
    assert renamed
    (model / "saved_model.pb").write_bytes(proto.SerializeToString())


@pytest.fixture(scope="module")
def tf2_model(tmp_path_factory) -> Path:
    import tensorflow as tf

    class Lowered(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            return tf.strings.length(tf.strings.lower(text))

    path = tmp_path_factory.mktemp("tf2") / "model"
    tf.saved_model.save(Lowered(), str(path))
    return path


@pytest.fixture(scope="module")
def tf1_module(tmp_path_factory) -> Path:
    import tensorflow as tf

    def module_fn():
        text = tf.compat.v1.placeholder(tf.string, [None])
        hub.add_signature(inputs=text, outputs=tf.strings.length(tf.strings.lower(text)))

    path = tmp_path_factory.mktemp("tf1") / "module"
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            module.export(str(path), session)
    return path


def _with_op(model: Path, tmp_path: Path, op: str) -> Path:
    copy = tmp_path / model.name
    shutil.copytree(model, copy)
    _rename_op(copy, "StringLower", op)
    return copy


def _version() -> str:
    import tensorflow as tf

    return ".".join(tf.__version__.split(".")[:2])


def test_hub_load_and_keras_layer_name_tensorflow_text(tf2_model, tmp_path):
    model = _with_op(tf2_model, tmp_path, "SentencepieceOp")
    for load in (hub.load, hub.KerasLayer):
        with pytest.raises(errors.MissingOpError) as caught:
            load(str(model))
        assert str(caught.value) == (
            f"The model {model} uses the TensorFlow op 'SentencepieceOp', which this process "
            f"has not registered. {TEXT_ADVICE.format(version=_version())}"
        )
        assert isinstance(caught.value, RuntimeError)  # As TensorFlow's error was.
        assert "Op type not registered" in str(caught.value.__cause__)
        err = caught.value
        assert (err.op, err.library, err.path) == ("SentencepieceOp", "tensorflow_text", str(model))


def test_tf1_module_in_a_graph_eagerly_and_loaded(tf1_module, tmp_path):
    import tensorflow as tf

    module = _with_op(tf1_module, tmp_path, "CaseFoldUTF8")
    spec = hub.load_module_spec(str(module))  # Reading the spec needs no op.

    def in_a_graph():
        with tf.Graph().as_default():
            hub.Module(spec)

    for build in (in_a_graph, lambda: hub.Module(str(module)), lambda: hub.load(str(module))):
        with pytest.raises(errors.MissingOpError, match="'CaseFoldUTF8'") as caught:
            build()
        assert caught.value.library == "tensorflow_text"
        assert str(caught.value).startswith(f"The model {module} uses the TensorFlow op ")


@pytest.mark.parametrize(
    ("op", "library", "advice"),
    [
        ("SentencepieceEncodeSparse", "tf_sentencepiece", "whose last release was for TensorFlow"),
        ("SimpleMLInferenceOpWithHandle", "tensorflow_decision_forests", "tensorflow-decision-"),
        ("NoSuchOpAnywhere", None, "or from a TensorFlow newer than this one"),
    ],
)
def test_other_libraries_and_unknown_ops(tf2_model, tmp_path, op, library, advice):
    model = _with_op(tf2_model, tmp_path, op)
    with pytest.raises(errors.MissingOpError, match=advice) as caught:
        hub.load(str(model))
    assert (caught.value.op, caught.value.library) == (op, library)

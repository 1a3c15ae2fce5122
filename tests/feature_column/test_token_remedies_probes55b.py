"""Tokens over a TF2 text model: the columns' remedies must lead somewhere (review rf55b).

F2: `sparse_text_embedding_column` over a TF2 SavedModel said "use hub.text_embedding_column_v2";
    that column, given the tokens (a tf.SparseTensor), said "use hub.sparse_text_embedding_column,
    or make the tensor dense with tf.sparse.to_dense(tokens, default_value='')", and given the
    dense tokens, "to embed several tokens per example use hub.sparse_text_embedding_column":
    a circle, each remedy refused in turn. The sparse column takes TF1 Hub modules only
    (upstream's too); for a TF2 model the remedy that works is to join each example's tokens into
    one string, which these messages must give, and which the test follows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

_JOIN = "tf.strings.reduce_join(tf.RaggedTensor.from_sparse(tokens), axis=-1, separator=' ')"


def _tokens() -> tf.SparseTensor:
    return tf.sparse.from_dense(tf.constant([["cat", "dog"], ["cat", ""]]))


@pytest.fixture
def tf2_model(upstream_dir: Path) -> str:
    return str(upstream_dir / "tf2_text_embedding")


def test_the_sparse_column_over_a_tf2_model_says_to_join_the_tokens(tf2_model: str) -> None:
    with pytest.raises(errors.NotATF1ModuleError) as caught:
        hub.sparse_text_embedding_column("tokens", tf2_model, "sum", None)
    message = str(caught.value)
    assert "TF1 Hub modules only" in message and _JOIN in message
    assert "hub.text_embedding_column_v2" in message


@pytest.mark.parametrize("dense", [False, True], ids=["sparse", "dense"])
def test_the_v2_column_given_tokens_says_to_join_them(tf2_model: str, dense: bool) -> None:
    column = hub.text_embedding_column_v2("tokens", tf2_model)
    tokens = _tokens()
    feature = tf.sparse.to_dense(tokens, default_value="") if dense else tokens
    with pytest.raises(errors.CallInputSpecError) as caught:
        tf_keras.layers.DenseFeatures([column])({"tokens": feature})
    message = str(caught.value)
    assert "tf.strings.reduce_join" in message
    assert "use hub.sparse_text_embedding_column" not in message  # It refuses a TF2 model.


def test_joining_the_tokens_as_told_embeds_them(tf2_model: str) -> None:
    """`_JOIN`, the remedy the messages give, run: one string per example."""
    tokens = _tokens()
    joined = tf.strings.reduce_join(tf.RaggedTensor.from_sparse(tokens), axis=-1, separator=" ")
    column = hub.text_embedding_column_v2("tokens", tf2_model)
    embeddings = tf_keras.layers.DenseFeatures([column])({"tokens": joined})
    assert embeddings.shape[0] == 2


def test_the_tf1_text_column_still_points_to_the_sparse_column(upstream_dir: Path) -> None:
    """A TF1 module's tokens do go to hub.sparse_text_embedding_column over the same module."""
    column = hub.text_embedding_column("tokens", str(upstream_dir / "tf1_text_vocab"))
    dense = tf.sparse.to_dense(_tokens(), default_value="")
    with pytest.raises(errors.CallInputSpecError) as caught:
        tf_keras.layers.DenseFeatures([column])({"tokens": dense})
    assert "use hub.sparse_text_embedding_column" in str(caught.value)

"""Shared pieces of the nearest-neighbour tests: tiny text modules, lines, reading TFRecords."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
from pathlib import Path

import numpy as np
from tests._helpers.models import VOCAB, save_text_embedding, text_embedding_expected

DATA = Path(__file__).resolve().parents[1] / "data" / "nearest_neighbour"
UPSTREAM_EMBEDS = DATA / "embeds"
DIM = 8


def lines(count: int = 40) -> list[str]:
    """Distinct lowercase sentences over the text module's vocabulary (distinct embeddings)."""
    words = VOCAB[1:]
    found: list[str] = []
    seen: set[tuple[float, ...]] = set()
    for size in (1, 2, 3):
        for combo in itertools.product(words, repeat=size):
            sentence = " ".join(combo)
            key = tuple(np.round(text_embedding_expected([sentence], dim=DIM)[0], 4))
            if key not in seen:
                seen.add(key)
                found.append(sentence)
            if len(found) == count:
                return found
    return found


def write_lines(path: Path, items: list[str]) -> str:
    path.write_text("\n".join(items) + "\n", encoding="utf-8")
    return str(path)


def save_tf1_text_module(path: str, *, dim: int = DIM) -> str:
    """A TF1 Hub text module (input and output `default`) computing save_text_embedding's values."""
    import tensorflow as tf

    import tfhub as hub

    rows = np.arange(len(VOCAB) + 1, dtype=np.float32)[:, None] + 0.1 * np.arange(
        dim, dtype=np.float32
    )

    def module_fn() -> None:
        sentences = tf.compat.v1.placeholder(tf.string, [None])
        table = tf.lookup.StaticVocabularyTable(
            tf.lookup.KeyValueTensorInitializer(
                VOCAB, list(range(len(VOCAB))), value_dtype=tf.int64
            ),
            1,
        )
        embeddings = tf.compat.v1.get_variable("embeddings", initializer=rows)
        tokens = tf.strings.split(tf.strings.lower(sentences))
        vectors = tf.nn.embedding_lookup(
            embeddings, tf.ragged.map_flat_values(table.lookup, tokens)
        )
        counts = tf.cast(tf.expand_dims(tokens.row_lengths(), 1), tf.float32)
        mean = tf.math.divide_no_nan(tf.reduce_sum(vectors, axis=1), counts)
        hub.add_signature(inputs=sentences, outputs=mean)

    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())
            module.export(os.fspath(path), session)
    return str(path)


def read_records(folder: str) -> tuple[list[str], np.ndarray]:
    """Reads emb-*.tfrecords with TensorFlow's own parser (not the code under test)."""
    import tensorflow as tf

    items, vectors = [], []
    for path in sorted(glob.glob(os.path.join(glob.escape(folder), "*.tfrecords"))):
        for record in tf.data.TFRecordDataset(path):
            example = tf.train.Example.FromString(record.numpy())
            items.append(example.features.feature["item"].bytes_list.value[0].decode())
            vectors.append(list(example.features.feature["embedding"].float_list.value))
    return items, np.array(vectors, np.float32)


def write_records(path: Path, records: list[tuple[bytes, list[float]]]) -> str:
    """Writes (item, embedding) records as `generate` does: tf.train.Example with an `item`
    bytes_list and an `embedding` float_list (TensorFlow's own writer, not the code under test)."""
    import tensorflow as tf

    with tf.io.TFRecordWriter(os.fspath(path)) as writer:
        for item, embedding in records:
            feature = {
                "item": tf.train.Feature(bytes_list=tf.train.BytesList(value=[item])),
                "embedding": tf.train.Feature(float_list=tf.train.FloatList(value=embedding)),
            }
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            writer.write(example.SerializeToString())
    return os.fspath(path)


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The ids of the k most cosine-similar rows (brute force), per query."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    return np.argsort(-(q @ unit.T), axis=1)[:, :k]


def copy_upstream_embeds(target: Path) -> Path:
    shutil.copytree(UPSTREAM_EMBEDS, target)
    for name in os.listdir(target):
        os.chmod(target / name, 0o644)
    return target


__all__ = ["save_text_embedding", "text_embedding_expected"]

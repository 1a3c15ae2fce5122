"""A TF1 Hub module with a partitioned variable, as TF1 text-embedding modules hold them.

`emb` ([4, 2], rows 1..8) is split by `tf.compat.v1.fixed_size_partitioner(2)` into
`emb/part_0` and `emb/part_1`; `scale` ([2]) multiplies the looked-up rows; `count` is a
non-trainable variable added to them. The module maps int64 ids [batch] to floats [batch, 2].
TensorFlow's `tf.compat.v1.saved_model.load_v2` lists each partition of such a module twice
(a second copy lives in the loader's function graph and cannot be read eagerly).
"""

from __future__ import annotations

from typing import Any

import numpy as np

EMB = np.arange(1.0, 9.0, dtype=np.float32).reshape(4, 2)
SCALE = np.array([1.0, 10.0], np.float32)
COUNT = np.float32(0.5)


def _rows_of_emb(shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
    """Initializes a partition of `emb` with its rows of EMB (TF1 passes partition_info)."""
    offset = 0 if partition_info is None else partition_info.single_offset(shape)
    return EMB[offset : offset + shape[0]]


def expected(ids: Any, *, emb: np.ndarray = EMB, scale: np.ndarray = SCALE) -> np.ndarray:
    """What the module returns for `ids` with the given variable values."""
    return emb[np.asarray(ids)] * scale + COUNT


def save_partitioned_module(path: str) -> str:
    """Exports the module to `path` (create_module_spec + hub.Module.export, eagerly)."""
    import tensorflow as tf

    import tfhub as hub

    v1 = tf.compat.v1

    def module_fn() -> None:
        ids = v1.placeholder(tf.int64, [None])
        emb = v1.get_variable(
            "emb", [4, 2], initializer=_rows_of_emb, partitioner=v1.fixed_size_partitioner(2)
        )
        scale = v1.get_variable("scale", initializer=SCALE)
        count = v1.get_variable("count", initializer=COUNT, trainable=False)
        hub.add_signature(inputs=ids, outputs=tf.nn.embedding_lookup(emb, ids) * scale + count)

    hub.Module(hub.create_module_spec(module_fn)).export(path)
    return path

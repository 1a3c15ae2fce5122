"""Checkpoints of real SavedModels rewritten for tests of damaged models: every tensor read,
some replaced, all written back with TensorFlow's own SaveV2 (a checkpoint TensorFlow reads,
holding what a model copied from elsewhere would hold)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def checkpoint_tensors(model: Path) -> dict[str, Any]:
    """Every tensor of the checkpoint in `model`/variables/, by its key."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(model / "variables" / "variables"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_dtype_map()}


def write_checkpoint(model: Path, tensors: dict[str, Any]) -> None:
    """Replaces the checkpoint in `model`/variables/ by one holding `tensors` (by key)."""
    import tensorflow as tf

    shutil.rmtree(model / "variables")
    (model / "variables").mkdir()
    names = sorted(tensors)
    tf.raw_ops.SaveV2(
        prefix=str(model / "variables" / "variables"),
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[tf.constant(tensors[name]) for name in names],
    )

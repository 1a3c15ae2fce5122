"""Every use of TensorFlow's and Keras's private APIs in tfhub, in one place.

This module replicates or reaches TensorFlow/Keras internals that are not in the public API
(`tensorflow.python.*`, `tf.__internal__`, `keras.src.*`, `tf_keras.src.*`). After a TensorFlow
or Keras upgrade, this is the one file to check: each function says what it reaches and the
versions it was checked on. Nothing here imports TensorFlow or Keras at module import time.

To add a use: write a small function here (name what it reaches, the version checked, and the
public alternative if one exists), and call it instead of importing the private module.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .utils.lazy import tensorflow as tf

CHECKED_ON = "TensorFlow 2.21, Keras 3.12 and tf_keras 2.21"


# --- Keras 3 ------------------------------------------------------------------------------------


def keras3_compute_output_spec(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Traces `fn` on symbolic inputs and returns its output KerasTensors.

    Reaches `keras.src.backend.compute_output_spec` (what `keras.Layer.compute_output_spec`
    itself calls; it has no public name). Checked on Keras 3.12.
    """
    from keras.src import backend

    return backend.compute_output_spec(fn, *args, **kwargs)


def keras3_running_layer() -> Any:
    """The outermost Keras 3 layer whose `call` is running, or None. Imports nothing.

    Reads the call context in `keras.src.backend.common.global_state` (only if Keras 3 is
    already imported). Checked on Keras 3.12.
    """
    state = sys.modules.get("keras.src.backend.common.global_state")
    if state is None:
        return None
    context = state.get_global_attribute("current_call_ctx")
    return None if context is None else getattr(context, "entry_layer", context)


@contextlib.contextmanager
def keras3_fit_without_first_batch_reduce(model: Any, data_batch: Any) -> Iterator[bool]:
    """While the block runs, Keras 3's `fit`/`evaluate` of `model` (made under a
    tf.distribute strategy) skip averaging their first batch over the replicas, which fails
    for batches that do not split evenly; the compiled loss, metrics and optimizer are built
    first from `data_batch` (KerasTensors shaped like a batch), under the strategy.

    Reaches `Model._distribute_strategy` (`TensorFlowTrainer._maybe_symbolic_build` averages
    only when it is set) and `Trainer._symbolic_build`; inside the strategy's scope
    `model.distribute_strategy` is still that strategy. Checked on Keras 3.12-3.15; no public
    alternative. Yields False, doing nothing, for a model without a strategy or on a Keras
    without these names; True otherwise. On exit the model has its strategy again.
    """
    strategy = getattr(model, "_distribute_strategy", None)
    symbolic_build = getattr(model, "_symbolic_build", None)
    if strategy is None or symbolic_build is None:
        yield False
        return
    with strategy.scope():
        symbolic_build(data_batch=data_batch)
        model._distribute_strategy = None
        try:
            yield True
        finally:
            model._distribute_strategy = strategy


def keras3_archive_set_call(
    archive: Any,
    fn: Callable[..., Any],
    input_signature: list[Any],
    regularization_losses: Sequence[Callable[[], Any]] = (),
) -> None:
    """Makes the object that `archive` (a `keras.export.ExportArchive`) saves a reusable
    SavedModel, as `tf.saved_model.save` of a tf_keras model is: `fn`, traced on
    `input_signature`, becomes the `__call__` of what `tf.saved_model.load` returns, without
    being a signature (which TF Serving and the TFLite converter would list), and each of
    `regularization_losses` (no arguments, a scalar) one of its `regularization_losses`
    (what `hub.KerasLayer(..., trainable=True)` adds to the model's losses).

    Reaches `ExportArchive._tf_trackable`, the object `write_out` saves (`add_endpoint` sets
    each endpoint as its attribute and also makes it a signature). Checked on Keras 3.12-3.15.
    On a Keras without it, falls back to the public `add_endpoint("__call__", ...)`: the
    SavedModel is callable the same, with a `__call__` signature besides the others, and
    without regularization losses.
    """
    root = getattr(archive, "_tf_trackable", None)
    if root is None:
        archive.add_endpoint("__call__", fn, input_signature=input_signature)
        return
    root.__call__ = tf.function(fn, input_signature=input_signature, autograph=False)
    root.regularization_losses = [
        tf.function(loss, input_signature=[], autograph=False) for loss in regularization_losses
    ]


# --- tf_keras -----------------------------------------------------------------------------------


def tf_keras_running_layer() -> Any:
    """The innermost tf_keras layer whose `call` is running, or None. Imports nothing.

    Reads `tf_keras.src.engine.base_layer_utils.call_context()` (only if tf_keras is already
    imported). Checked on tf_keras 2.21.
    """
    utils = sys.modules.get("tf_keras.src.engine.base_layer_utils")
    if utils is None:
        return None
    context = utils.call_context()
    return context.layer if context.in_call else None


# --- TensorFlow ---------------------------------------------------------------------------------


def feature_column_base_classes() -> tuple[type, type]:
    """Returns (v1 `_DenseColumn`, v2 `DenseColumn`), the classes hub feature columns extend.

    Reaches `tensorflow.python.feature_column.feature_column(_v2)`; TensorFlow exports no base
    class for user-defined columns. Checked on TensorFlow 2.21.
    """
    tf.initialize()  # The install hint if TensorFlow is missing.
    from tensorflow.python.feature_column import feature_column as fc_v1
    from tensorflow.python.feature_column import feature_column_v2 as fc_v2

    return fc_v1._DenseColumn, fc_v2.DenseColumn


def register_feature_column(cls: type) -> type:
    """Registers a column class so `DenseFeatures.from_config` finds it by name.

    Reaches `tensorflow.python.feature_column.serialization.register_feature_column`.
    Checked on TensorFlow 2.21.
    """
    from tensorflow.python.feature_column import serialization

    return serialization.register_feature_column(cls)


def decode_structure(proto: Any) -> Any:
    """Decodes a `StructuredValue` proto of a SavedModel (e.g. a function's input signature).

    Reaches `tensorflow.python.saved_model.nested_structure_coder.decode_proto`.
    Checked on TensorFlow 2.21.
    """
    tf.initialize()  # The install hint if TensorFlow is missing.
    from tensorflow.python.saved_model import nested_structure_coder

    return nested_structure_coder.decode_proto(proto)


def trackable_class() -> type:
    """Returns TensorFlow's `Trackable` base class (what `tf.saved_model.save` accepts).

    Reaches `tf.__internal__.tracking.Trackable`. Checked on TensorFlow 2.21.
    """
    return tf.__internal__.tracking.Trackable


def load_context_options() -> Any:
    """The `tf.saved_model.LoadOptions` of the Keras model being loaded, or None outside a load.

    tf_keras's `load_model(path, options=...)` holds its options in TensorFlow's load context
    (`tf.__internal__.load_context(options)`) while it rebuilds the layers of a SavedModel
    folder or `.h5` file; tensorflow_hub's KerasLayer (0.10+) read them there. Reaches
    `tensorflow.python.distribute.load_context.get_load_options` (TensorFlow exports the
    context manager, but no getter). Checked on TensorFlow 2.21; returns None on a TensorFlow
    without that module.
    """
    try:
        from tensorflow.python.distribute import load_context
    except ImportError:
        return None
    return load_context.get_load_options()


def in_xla_compilation() -> bool:
    """Whether the graph being built will be compiled by XLA: inside `tf.function(jit_compile=
    True)` at any depth (tf_keras's `jit_compile=True` included). False when executing eagerly.

    Reaches `tensorflow.python.ops.control_flow_util.GraphOrParentsInXlaContext` (no public
    name). Checked on TensorFlow 2.21.
    """
    if tf.executing_eagerly():
        return False
    from tensorflow.python.ops import control_flow_util

    return bool(control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()))


def mirrored_instance_key_table(strategy: Any) -> dict[int, dict[str, int]] | None:
    """The next all-reduce instance key of a MirroredStrategy's collectives, by group key and
    device (its `CollectiveKeys`), which the caller may raise; None where there is none.

    Reaches `strategy.extended._collective_keys._instance_key_table` (TensorFlow's own tests
    raise `MirroredStrategy._collective_key_base` instead). No public alternative. Checked on
    TensorFlow 2.21.
    """
    keys = getattr(getattr(strategy, "extended", None), "_collective_keys", None)
    table = getattr(keys, "_instance_key_table", None)
    return table if isinstance(table, dict) else None


# --- TensorFlow: the TF1 Hub format (tfhub/tf1) -------------------------------------------------


def build_tensor_info(tensor: Any) -> Any:
    """The `TensorInfo` proto of a graph tensor (dense, sparse or composite).

    Reaches `tensorflow.python.saved_model.utils_impl.build_tensor_info_internal`, the builder
    behind `tf.compat.v1.saved_model.utils.build_tensor_info` without its deprecation warning
    (which would point at tfhub's code). Checked on TensorFlow 2.21.
    """
    from tensorflow.python.saved_model import utils_impl

    return utils_impl.build_tensor_info_internal(tensor)


def is_composite_tensor(value: Any) -> bool:
    """True for a `CompositeTensor` (SparseTensor, RaggedTensor, ...); its `_type_spec` is set.

    Reaches `tensorflow.python.framework.composite_tensor.CompositeTensor` (public only as
    `tf.__internal__.CompositeTensor`). Checked on TensorFlow 2.21.
    """
    return isinstance(value, tf.__internal__.CompositeTensor)


def is_state_op_type(op_type: str) -> bool:
    """True if `op_type` is a registered stateful op that takes no inputs (e.g. VarHandleOp).

    Reaches `tensorflow.python.framework.op_def_registry.get`. Checked on TensorFlow 2.21.
    """
    from tensorflow.python.framework import op_def_registry

    op_def = op_def_registry.get(op_type)
    return op_def is not None and op_def.is_stateful and not op_def.input_arg


def op_outputs_strings(op_type: str) -> bool:
    """True if `op_type` is a registered op with an output of the fixed type string (e.g.
    AsString, whose attributes name only its input's type); False for an unknown op.

    Reaches `tensorflow.python.framework.op_def_registry.get`. Checked on TensorFlow 2.21.
    """
    from tensorflow.python.framework import op_def_registry

    op_def = op_def_registry.get(op_type)
    string = tf.string.as_datatype_enum
    return op_def is not None and any(arg.type == string for arg in op_def.output_arg)


def import_scoped_meta_graph(meta_graph: Any, *, import_scope: str, input_map: Any) -> None:
    """Imports a MetaGraphDef (graph and collections) into the default graph, building no Saver.

    Reaches `tensorflow.python.framework.meta_graph.import_scoped_meta_graph` (what the public
    `tf.compat.v1.train.import_meta_graph` calls before it builds a Saver of every variable).
    Checked on TensorFlow 2.21.
    """
    from tensorflow.python.framework import meta_graph as tf_meta_graph

    tf_meta_graph.import_scoped_meta_graph(
        meta_graph, import_scope=import_scope, input_map=input_map
    )


def set_checkpoint_initializer(variable: Any, checkpoint_path: str, name: str) -> None:
    """Makes `variable` (or its list of partitions) initialize from `name` in the checkpoint.

    Reaches `tensorflow.python.training.checkpoint_utils._set_variable_or_list_initializer`,
    what `tf.compat.v1.train.init_from_checkpoint` does per variable, without its folder
    lookup. Checked on TensorFlow 2.21.
    """
    from tensorflow.python.training import checkpoint_utils

    checkpoint_utils._set_variable_or_list_initializer(variable, checkpoint_path, name)


def saver_var_list_to_dict(var_list: Any) -> dict[str, Any]:
    """The {checkpoint key: variable or partitions} dict that a `tf.compat.v1.train.Saver` saves.

    Reaches `tensorflow.python.training.saving.saveable_object_util.op_list_to_dict`.
    Checked on TensorFlow 2.21.
    """
    from tensorflow.python.training.saving import saveable_object_util

    return dict(saveable_object_util.op_list_to_dict(var_list))


def rename_eager_variable(variable: Any, name: str) -> bool:
    """Renames an eager resource variable in place: `name` becomes `name:0` (`_shared_name` too).

    Returns False, renaming nothing, for variables of a graph (their name is their op's) and for
    distributed ones (their replicas keep a name of their own). Reaches
    `BaseResourceVariable._handle_name`, what `Variable.name` returns (no public setter).
    Checked on TensorFlow 2.21.
    """
    if getattr(variable, "_in_graph_mode", True) or "_handle_name" not in vars(variable):
        return False
    variable._handle_name = f"{name}:0"
    return True

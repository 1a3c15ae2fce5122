"""`hub.Module` outside a graph: the TF1 module loaded eagerly (beyond upstream).

Upstream's hub.Module only works inside a `tf.Graph` ("Exporting/importing meta graphs is not
supported when eager execution is enabled"). Here the module's MetaGraph is loaded with
TensorFlow's TF1-in-TF2 loader (`tf.compat.v1.saved_model.load_v2`): variables become eager
variables restored from the module's checkpoint, tables are initialized, and each signature is
a pruned function that returns eager tensors. A spec built in memory (`create_module_spec`)
is first written to a temporary folder with its initial variable values. Trainable variables,
regularization losses and UPDATE_OPS are answered by `tfhub.loaded_model.LoadedModel`.
"""

from __future__ import annotations

import logging
import tempfile
import weakref
from collections.abc import Mapping
from typing import Any

from ..loaded_model import LoadedModel
from ..utils.lazy import tensorflow as tf
from . import tensor_info
from .graph_state import group_partitions
from .module_spec import ModuleSpec, export_spec

logger = logging.getLogger(__name__)


def _flatten_inputs(info_map: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Turns {name: dense/sparse/ragged} into the keyword arguments of a loaded signature."""
    kwargs = {}
    for name, value in inputs.items():
        if info_map[name].is_sparse:
            kwargs[f"{name}_indices"] = value.indices
            kwargs[f"{name}_values"] = value.values
            kwargs[f"{name}_dense_shape"] = value.dense_shape
        elif info_map[name].is_composite:
            for index, part in enumerate(tf.nest.flatten(value, expand_composites=True)):
                kwargs[f"{name}_component_{index}"] = part
        else:
            kwargs[name] = value
    return kwargs


class EagerModuleImpl:
    """The eager counterpart of `ModuleImpl`: a loaded MetaGraph with callable signatures."""

    def __init__(self, spec: ModuleSpec, *, trainable: bool, tags: set[str]) -> None:
        self._spec = spec
        self._trainable = trainable
        self._tags = tags
        path = getattr(spec, "module_path", None)
        if path is None:  # Built in memory: written with its initial values first.
            temp_dir = tempfile.TemporaryDirectory(prefix="tfhub_eager_module_")
            self._cleanup = weakref.finalize(self, temp_dir.cleanup)
            path = f"{temp_dir.name}/module"
            export_spec(spec, path, tags=tags)
        meta_graph = spec.get_meta_graph(tags)  # type: ignore[attr-defined]
        self._model = LoadedModel(
            tf.compat.v1.saved_model.load_v2(path, tags=sorted(tags)),
            module_path=path,
            tags=tuple(sorted(tags)),
            is_hub_module_v1=True,
            meta_graph=meta_graph,
        )
        self._variables = {_strip_output(v.name): v for v in self._model.variables}
        self._variable_map = group_partitions(self._variables, _partition_slices(meta_graph))
        self._training_functions: dict[str, Any] = {}

    def apply(self, signature: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Runs `signature` eagerly on `inputs` (keys already checked); returns its outputs.

        A trainable module also runs the UPDATE_OPS that the signature's inputs can feed.

        Raises:
            tfhub.errors.SignatureInputError: if an input has the wrong dtype or shape.
        """
        info_map = self._spec.get_input_info_dict(signature=signature, tags=self._tags)
        tensors = tensor_info.convert_dict_to_compatible_tensor(inputs, info_map)
        if self._trainable and signature not in self._training_functions:
            self._training_functions[signature] = self._model.training_function(signature)
        training = self._training_functions.get(signature)
        if training is not None:
            return dict(training(**tensors))
        function = self._model.obj.signatures[signature]
        return dict(function(**_flatten_inputs(info_map, tensors)))

    @property
    def variable_map(self) -> dict[str, Any]:
        """{variable name in the module: eager tf.Variable (or list of partitions)}."""
        return dict(self._variable_map)

    @property
    def trainable_variables(self) -> list[Any]:
        """The module's trainable variables (sorted by name) if `trainable=True`, else []."""
        if not self._trainable:
            return []
        return sorted(self._model.trainable_variables(), key=lambda v: v.name)

    def regularization_losses(self) -> list[Any]:
        """Computes the module's regularization losses eagerly (empty unless trainable)."""
        return [loss() for loss in self._model.regularization_losses()] if self._trainable else []

    def export(self, path: str) -> None:
        """Writes the module with the current values of the eager variables."""
        values = {name: v.numpy() for name, v in self._variables.items()}
        export_spec(self._spec, path, tags=self._tags, values=values)


def _partition_slices(meta_graph: Any) -> dict[str, tuple[str, int]]:
    """{name of a partition: (name of the whole variable, offset)}, read from the MetaGraph."""
    from tensorflow.core.framework import variable_pb2

    collection = meta_graph.collection_def.get("variables")
    variable_defs = [
        variable_pb2.VariableDef.FromString(raw)
        for raw in (collection.bytes_list.value if collection is not None else [])
    ]
    return {
        _strip_output(d.variable_name): (
            d.save_slice_info_def.full_name,
            d.save_slice_info_def.var_offset[0],
        )
        for d in variable_defs
        if d.HasField("save_slice_info_def")
    }


def _strip_output(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name

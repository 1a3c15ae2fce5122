"""`hub.Module` outside a graph: the TF1 module loaded eagerly (beyond upstream).

Upstream's hub.Module only works inside a `tf.Graph` ("Exporting/importing meta graphs is not
supported when eager execution is enabled"). Here the module's MetaGraph is loaded with
TensorFlow's TF1-in-TF2 loader (`tf.compat.v1.saved_model.load_v2`): variables become eager
variables restored from the module's checkpoint, tables are initialized, and each signature is
a pruned function that returns eager tensors. A spec built in memory (`create_module_spec`)
is first written to a temporary folder with its initial variable values.
"""

from __future__ import annotations

import logging
import tempfile
import weakref
from collections.abc import Mapping
from typing import Any

from ..utils.lazy import import_tensorflow
from . import tensor_info
from .module_spec import ModuleSpec

logger = logging.getLogger(__name__)


def _materialize(spec: ModuleSpec, tags: set[str]) -> tuple[str, tempfile.TemporaryDirectory[str]]:
    """Writes an in-memory spec (with initial or checkpoint values) to a temporary folder."""
    tf = import_tensorflow()
    from .module import Module

    temp_dir = tempfile.TemporaryDirectory(prefix="tfhub_eager_module_")
    path = f"{temp_dir.name}/module"
    with tf.Graph().as_default():
        module = Module(spec, tags=tags)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    return path, temp_dir


def _flatten_inputs(info_map: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Turns {name: dense/sparse/ragged} into the keyword arguments of a loaded signature."""
    tf = import_tensorflow()
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
        tf = import_tensorflow()
        self._spec = spec
        self._trainable = trainable
        self._tags = tags
        path = getattr(spec, "module_path", None)
        if path is None:
            path, temp_dir = _materialize(spec, tags)
            self._cleanup = weakref.finalize(self, temp_dir.cleanup)
        self._loaded = tf.compat.v1.saved_model.load_v2(path, tags=sorted(tags))
        self._variables = {_strip_output(v.name): v for v in self._loaded.variables}
        meta_graph = spec.get_meta_graph(tags)  # type: ignore[attr-defined]
        self._variable_map = _group_partitions(self._variables, meta_graph)
        self._updating_functions: dict[str, Any] = {}

    def apply(self, signature: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Runs `signature` eagerly on `inputs` (keys already checked); returns its outputs.

        Raises:
            tfhub.errors.SignatureInputError: if an input has the wrong dtype or shape.
        """
        info_map = self._spec.get_input_info_dict(signature=signature, tags=self._tags)
        tensors = tensor_info.convert_dict_to_compatible_tensor(inputs, info_map)
        updating = self._updating_function(signature) if self._trainable else None
        if updating is not None:
            return updating(tensors)
        function = self._loaded.signatures[signature]
        return dict(function(**_flatten_inputs(info_map, tensors)))

    def _updating_function(self, signature: str) -> Any:
        """Returns a function that computes the outputs and runs the signature's UPDATE_OPS.

        Returns None if the graph has no update ops that this signature's inputs can feed.
        """
        if signature not in self._updating_functions:
            meta_graph = self._spec.get_meta_graph(self._tags)  # type: ignore[attr-defined]
            self._updating_functions[signature] = _build_updating_function(
                self._loaded, meta_graph, signature
            )
        return self._updating_functions[signature]

    @property
    def variable_map(self) -> dict[str, Any]:
        """{variable name in the module: eager tf.Variable (or list of partitions)}."""
        return dict(self._variable_map)

    @property
    def trainable_variables(self) -> list[Any]:
        """The module's trainable variables if `trainable=True`, else []."""
        if not self._trainable:
            return []
        names = {
            _strip_output(v.name) for v in self._loaded.graph.get_collection("trainable_variables")
        }
        return [v for name, v in sorted(self._variables.items()) if name in names]

    def regularization_losses(self) -> list[Any]:
        """Computes the module's regularization losses eagerly (empty unless trainable)."""
        losses = self._loaded.graph.get_collection("regularization_losses")
        if not self._trainable or not losses:
            return []
        return list(self._loaded.prune(feeds=[], fetches=losses)())

    def export(self, path: str) -> None:
        """Writes the module with the current values of the eager variables."""
        tf = import_tensorflow()
        from .module import Module

        values = {name: v.numpy() for name, v in self._variables.items()}
        with tf.Graph().as_default():
            module = Module(self._spec, tags=self._tags, name="module")
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                for variable in module.variables:  # Partitions too: "module/w/part_0:0".
                    name = _strip_output(variable.name)[len("module/") :]
                    session.run(tf.compat.v1.assign(variable, values[name]))
                module.export(path, session)


def _input_placeholders(graph: Any, meta_graph: Any) -> set[str]:
    """Names of the ops that feed the inputs of any signature."""
    names: set[str] = set()
    for signature_def in meta_graph.signature_def.values():
        for info in signature_def.inputs.values():
            names.update(graph.as_graph_element(n).op.name for n in tensor_info.tensor_names(info))
    return names


def _ancestor_names(op: Any) -> set[str]:
    seen: set[str] = set()
    stack = [op]
    while stack:
        current = stack.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        stack.extend(t.op for t in current.inputs)
        stack.extend(current.control_inputs)
    return seen


def _build_updating_function(loaded: Any, meta_graph: Any, signature: str) -> Any:
    """Prunes the loaded graph to (outputs + feedable UPDATE_OPS) of one signature."""
    graph = loaded.graph
    update_ops = [getattr(u, "op", u) for u in graph.get_collection("update_ops")]
    signature_def = meta_graph.signature_def[signature]
    input_names = [
        name
        for key in sorted(signature_def.inputs)
        for name in tensor_info.tensor_names(signature_def.inputs[key])
    ]
    feeds = [graph.as_graph_element(name) for name in input_names]
    fed = {feed.op.name for feed in feeds}
    placeholders = _input_placeholders(graph, meta_graph)
    usable = [op for op in update_ops if (_ancestor_names(op) & placeholders) <= fed]
    if not usable:
        return None
    output_names = sorted(
        {n for info in signature_def.outputs.values() for n in tensor_info.tensor_names(info)}
    )
    fetches = [graph.as_graph_element(name) for name in output_names]
    pruned = loaded.prune(feeds=feeds, fetches=fetches + usable)
    logger.info("Eager hub.Module runs %d UPDATE_OPS with signature %r.", len(usable), signature)

    def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
        tf = import_tensorflow()
        flat = [
            t
            for key in sorted(inputs)
            for t in tf.nest.flatten(inputs[key], expand_composites=True)
        ]
        values = dict(zip(output_names, pruned(*flat)[: len(output_names)], strict=True))
        return tensor_info.build_output_map(signature_def.outputs, values.__getitem__)

    return run


def _group_partitions(variables: Mapping[str, Any], meta_graph: Any) -> dict[str, Any]:
    """Groups the parts of partitioned variables into offset-ordered lists, as in a graph."""
    from tensorflow.core.framework import variable_pb2

    slices: dict[str, tuple[str, int]] = {}
    if "variables" in meta_graph.collection_def:
        for raw in meta_graph.collection_def["variables"].bytes_list.value:
            variable_def = variable_pb2.VariableDef.FromString(raw)
            if variable_def.HasField("save_slice_info_def"):
                info = variable_def.save_slice_info_def
                slices[_strip_output(variable_def.variable_name)] = (
                    info.full_name,
                    info.var_offset[0],
                )
    result: dict[str, Any] = {}
    parts: dict[str, dict[int, Any]] = {}
    for name, variable in variables.items():
        if name in slices:
            full_name, offset = slices[name]
            parts.setdefault(full_name, {})[offset] = variable
        else:
            result[name] = variable
    for full_name, by_offset in parts.items():
        result[full_name] = [variable for _, variable in sorted(by_offset.items())]
    return result


def _strip_output(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name

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
import shutil
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from ..loaded_model import LoadedModel
from ..model_damage import load_diagnosed
from ..utils.lazy import tensorflow as tf
from ..utils.temp_folders import make_temporary_folder
from . import tensor_info
from .graph_state import group_partitions
from .meta_graph_lib import (
    collection_variable_defs,
    split_tensor_name,
    trainable_reference_variables,
)
from .module_spec import ModuleSpec, export_spec

logger = logging.getLogger(__name__)


class EagerModuleImpl:
    """The eager counterpart of `ModuleImpl`: a loaded MetaGraph with callable signatures."""

    def __init__(self, spec: ModuleSpec, *, trainable: bool, tags: set[str]) -> None:
        self._spec = spec
        self._trainable = trainable
        self._tags = tags
        path = getattr(spec, "module_path", None)
        if path is None:  # Built in memory: written with its initial values first.
            folder = make_temporary_folder(
                "tfhub_eager_module_", needer="hub.Module of a module spec built in memory"
            )
            self._cleanup = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
            path = f"{folder}/module"
            export_spec(spec, path, tags=tags)
        meta_graph = spec.get_meta_graph(tags)  # type: ignore[attr-defined]
        # Also imports tensorflow_text for its ops, if installed; a missing op is a
        # ModuleMissingOpError (also NotFoundError), as TensorFlow's TF1 loader's error is.
        loaded = load_diagnosed(
            lambda: tf.compat.v1.saved_model.load_v2(path, tags=sorted(tags)), path
        )
        self._model = LoadedModel(
            loaded,
            module_path=path,
            tags=tuple(sorted(tags)),
            is_hub_module_v1=True,
            meta_graph=meta_graph,
        )
        self._variables = {split_tensor_name(v.name)[0]: v for v in self._model.variables}
        if trainable:
            _warn_reference_variables(meta_graph, path)
        self._variable_map = group_partitions(self._variables, _partition_slices(meta_graph))
        self._functions: dict[str, Callable[..., Any]] = {}

    def apply(self, signature: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Runs `signature` eagerly on `inputs` (keys already checked); returns its outputs.

        A trainable module also runs the UPDATE_OPS that the signature's inputs can feed.

        Raises:
            tfhub.errors.SignatureInputError: if an input has the wrong dtype or shape.
        """
        info_map = self._spec.get_input_info_dict(signature=signature, tags=self._tags)
        tensors = tensor_info.convert_dict_to_compatible_tensor(
            inputs, info_map, signature=signature
        )
        return dict(self._function(signature)(**tensors))

    def _function(self, signature: str) -> Callable[..., Any]:
        """The signature's pruned function (with its UPDATE_OPS if trainable), made once."""
        if signature not in self._functions:
            train = self._model.training_function(signature) if self._trainable else None
            signature_def = self._model.meta_graph.signature_def[signature]
            self._functions[signature] = train or self._model.signature_function(signature_def)
        return self._functions[signature]

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


def _warn_reference_variables(meta_graph: Any, path: str) -> None:
    """Warns that a trainable eager module has variables it cannot train: TF1 reference
    variables (`get_variable(use_resource=False)`, TF1's default), of which TensorFlow's eager
    loader makes no Python object (they are read inside the signature functions only), so
    `trainable_variables` leaves them out and training never changes them."""
    variables = trainable_reference_variables(meta_graph)
    if not variables:
        return
    logger.warning(
        "hub.Module(%s, trainable=True) in eager mode cannot train %s: they are TF1 reference "
        "variables, which TensorFlow's eager loader does not make Python objects of, so "
        "m.trainable_variables and m.variables leave them out and training does not change "
        "them. To fine-tune them, use the module in a graph (`with tf.Graph().as_default():` "
        "and a tf.compat.v1.Session), or a version of it exported with resource variables.",
        path,
        variables,
    )


def _partition_slices(meta_graph: Any) -> dict[str, tuple[str, int]]:
    """{name of a partition: (name of the whole variable, offset)}, read from the MetaGraph."""
    return {
        split_tensor_name(d.variable_name)[0]: (
            d.save_slice_info_def.full_name,
            d.save_slice_info_def.var_offset[0],
        )
        for d in collection_variable_defs(meta_graph, "variables")
        if d.HasField("save_slice_info_def")
    }

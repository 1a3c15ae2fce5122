"""`hub.Module`: a TF1 Hub module instantiated in a graph (or, beyond upstream, eagerly).

Also `hub.load_module_spec`, which asks the loader registry (as upstream's `module.py` did).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

from .. import errors, gfile_io, model_folder_checks, saved_model, saved_model_proto
from ..utils.lazy import tensorflow as tf
from . import registry, saved_model_lib, tensor_info
from .eager_module import EagerModuleImpl
from .module_checks import (
    check_eager_module_context,
    check_function_graph,
    check_inputs_of_graph,
    check_no_eager_inputs,
    check_session_open,
    check_variables_initialized,
    uninitialized_variables_op,
    warn_if_variables_not_mirrored,
    where_called,
)
from .module_impl import signature_name
from .module_scope import check_scope_name, scope_part, state_scope
from .module_spec import ModuleSpec, export_folder
from .signature_io import check_no_sentinel, prepare_dict_inputs, prepare_outputs

__all__ = ["Module", "as_module_spec", "load_module_spec"]

logger = logging.getLogger(__name__)


class Module:
    """Part of a TensorFlow 1 model that can be transferred between models.

    In a `tf.Graph`, instantiating adds the module's variables, tables and assets to the
    graph under an unused name scope; each call adds ops for one application of a signature,
    and all applications share the variables. Outside a graph (eager execution), the module is
    loaded once and each call computes eager tensors (see `docs/tf1.md`).

    Example:
        m = hub.Module("/tmp/text-embedding")
        embeddings = m(sentences)
    """

    # hub.Module(...) and its instances run as-is inside a tf.function: the marker of
    # tf.autograph.experimental.do_not_convert, set without importing TensorFlow (AutoGraph
    # leaves any callable that has it unconverted).
    autograph_info__ = None

    def __init__(
        self,
        spec: ModuleSpec | str | os.PathLike[str],
        trainable: bool = False,
        name: str = "module",
        tags: Iterable[str] | None = None,
    ) -> None:
        """Constructs a Module in the current graph (or eagerly).

        Args:
            spec: a ModuleSpec, or a handle for `hub.load_module_spec` (a str or a path).
            trainable: if True, the variables go to TRAINABLE_VARIABLES and the
                regularization losses to REGULARIZATION_LOSSES (and UPDATE_OPS of
                applications are kept).
            name: variable scope name for the module (made unique).
            tags: the graph variant to use (default: the empty set); a lone string is one
                tag, as in `tf.saved_model.load` (not a set of its letters).

        Raises:
            tfhub.errors.UnknownTagsError: if there is no graph variant for `tags`.
            tfhub.errors.NotATF1ModuleError: if the handle is not a TF1 Hub module.
            tfhub.errors.ModuleSpecError: (a ValueError) if `spec` is neither a ModuleSpec
                nor a str or os.PathLike handle.
            tfhub.errors.TFHubError: from resolving and loading the handle, as for
                `hub.load_module_spec`.
        """
        self._spec = as_module_spec(spec)
        self._trainable = trainable
        self._tags = set(saved_model_lib.tag_set(tags))
        if self._tags not in self._spec.get_tags():
            path = getattr(self._spec, "module_path", None)
            where = f" (at {path})" if path else ""
            tag_sets = self._spec.get_tags()
            raise errors.UnknownTagsError(
                saved_model_lib.unknown_tags_message(self._tags, tag_sets, where, tags),
                available=sorted(sorted(t) for t in self._spec.get_tags()),
            )
        self._eager = tf.executing_eagerly()
        if self._eager:
            self._init_eager(name)
        else:
            self._init_in_graph(name)
        warn_if_variables_not_mirrored(self._trainable, self._name)

    def _init_eager(self, name: str) -> None:
        self._graph: Any = None
        self._name = name
        self._impl: Any = EagerModuleImpl(self._spec, trainable=self._trainable, tags=self._tags)

    def _init_in_graph(self, name: str) -> None:
        self._graph = tf.compat.v1.get_default_graph()
        self._uninitialized: Any = None  # Module.export's check, built on its first call.
        check_function_graph(self._graph)
        check_scope_name(name)
        abs_state_scope = state_scope(name)
        check_scope_name(name, abs_state_scope)
        self._name = abs_state_scope.split("/")[-2]
        parent = "/".join(abs_state_scope.split("/")[:-2])
        with tf.name_scope(parent + "/" if parent else ""):
            self._impl = self._spec._create_impl(
                name=self._name, trainable=self._trainable, tags=self._tags
            )

    def __call__(
        self,
        inputs: Any = None,
        _sentinel: None = None,
        signature: str | None = None,
        as_dict: bool | None = None,
    ) -> Any:
        """Applies a signature to `inputs`.

        Args:
            inputs: a dict {input name: value}, or a single value if the signature has one
                input, or None if it has none.
            _sentinel: prevents positional arguments besides `inputs`.
            signature: the signature name (default "default").
            as_dict: if True, return all outputs as a dict; else the output "default".

        Returns:
            A tensor (dense, sparse or ragged) or a dict of them.

        Raises:
            tfhub.errors.UnknownSignatureError: for an unknown signature (lists them).
            tfhub.errors.SignatureInputError: for missing/extra keys or incompatible inputs.
            tfhub.errors.ModuleSpecError: (a ValueError) for a signature with an input or
                output of a type hub.Module does not take or return (e.g. IndexedSlices).
            tfhub.errors.ModuleGraphError: (a RuntimeError) if used in another graph than the
                one it was created in.
        """
        check_no_sentinel(_sentinel)
        signature = signature_name(signature)
        input_info = self._spec.get_input_info_dict(signature=signature, tags=self._tags)
        output_info = self._spec.get_output_info_dict(signature=signature, tags=self._tags)
        tensor_info.check_supported_types(signature, input_info, output_info)
        dict_inputs = prepare_dict_inputs(inputs, input_info, signature)
        if self._eager:
            check_eager_module_context()
            outputs = self._impl.apply(signature, dict_inputs)
        else:
            outputs = self._apply_in_graph(signature, dict_inputs, input_info)
        return prepare_outputs(outputs, as_dict, signature)

    def _apply_in_graph(
        self, signature: str, dict_inputs: dict[str, Any], input_info: Mapping[str, Any]
    ) -> dict[str, Any]:
        graph = tf.compat.v1.get_default_graph()
        while graph is not self._graph and getattr(graph, "outer_graph", None) is not None:
            graph = graph.outer_graph  # A tf.cond / tf.while_loop body inside the module's graph.
        if graph is not self._graph:
            raise errors.ModuleGraphError(
                "Module must be applied in the graph it was instantiated for. (Module "
                f"{self._name!r}: {where_called()})"
            )
        check_no_eager_inputs(dict_inputs, signature)
        tensors = tensor_info.convert_dict_to_compatible_tensor(
            dict_inputs, input_info, signature=signature
        )
        check_inputs_of_graph(tensors, tf.compat.v1.get_default_graph(), signature)
        name = f"{self._name}_apply_{scope_part(signature)}"
        return self._impl.create_apply_graph(signature=signature, input_tensors=tensors, name=name)

    def get_signature_names(self) -> list[str]:
        """Returns the module's signature names."""
        return self._spec.get_signature_names(tags=self._tags)

    def get_input_info_dict(self, signature: str | None = None) -> dict[str, Any]:
        """Describes a signature's inputs (see `ModuleSpec.get_input_info_dict`)."""
        return self._spec.get_input_info_dict(signature=signature, tags=self._tags)

    def get_output_info_dict(self, signature: str | None = None) -> dict[str, Any]:
        """Describes a signature's outputs (see `ModuleSpec.get_output_info_dict`)."""
        return self._spec.get_output_info_dict(signature=signature, tags=self._tags)

    def get_attached_message(self, key: str, message_type: Any, required: bool = False) -> Any:
        """Returns the attached message (see `ModuleSpec.get_attached_message`)."""
        return self._spec.get_attached_message(
            key, message_type, tags=self._tags, required=required
        )

    def export(self, path: str | bytes | os.PathLike[str], session: Any = None) -> None:
        """Writes the module to `path` with the variable values held by `session`.

        Assets (e.g. vocabulary files) are copied into `<path>/assets`. In eager mode, pass
        no session: the current values of the eager variables are written.

        Args:
            path: the folder to write the module to (str, bytes or os.PathLike).
            session: the Session that holds the variable values (graph mode).

        Raises:
            tfhub.errors.ModuleGraphError: (a RuntimeError) if there is no session in graph
                mode, the session is closed or has not initialized the module's variables, or
                the session or default graph is not the module's graph.
            tfhub.errors.ExportError: if `path` is empty, or another graph variant of the
                module needs a variable that this module's lacks (nothing is written).
            tfhub.errors.ArgumentTypeError: if `path` is not a str, bytes or os.PathLike.
            tfhub.errors.NotASessionError: (an ArgumentTypeError and AttributeError) if
                `session` is no session (graph mode).
        """
        path = export_folder(path)
        saved_model_lib.refuse_incomplete_export(self._spec, self._tags, path)
        if self._eager:
            self._impl.export(path)
            return
        if self._graph is not tf.compat.v1.get_default_graph():
            raise errors.ModuleGraphError(
                "default graph differs from the graph where the module was instantiated. "
                "Call export() inside `with graph.as_default():` of the module's graph."
            )
        if session is None:
            raise errors.ModuleGraphError(
                "Module.export(path, session) in a graph needs the tf.compat.v1.Session that "
                "holds the variable values. Received: session=None"
            )
        check_session_open(session)
        if self._graph is not session.graph:
            raise errors.ModuleGraphError(
                "session graph differs from the graph where the module was instantiated. Pass "
                "a session of the module's graph: tf.compat.v1.Session(graph=<that graph>)."
            )
        if self.variables:
            if self._uninitialized is None:  # Built once: each export would add ops.
                self._uninitialized = uninitialized_variables_op(self._graph, self.variables)
            check_variables_initialized(session, self._uninitialized)
        self._impl.export(path, session)

    @property
    def variable_map(self) -> dict[str, Any]:
        """{variable name in the module: tf.Variable (or list of partitions)}."""
        return self._impl.variable_map

    @property
    def variables(self) -> list[Any]:
        """All variables created by instantiating the module, sorted by name."""
        result: list[Any] = []
        for _, value in sorted(self.variable_map.items()):
            result.extend(value if isinstance(value, list) else [value])
        return result

    def get_regularization_losses(self) -> list[Any]:
        """The module's regularization losses (empty unless `trainable=True`).

        In a graph these are the tensors added to REGULARIZATION_LOSSES by this module; in
        eager mode they are computed now, as eager tensors. A module of one's own ModuleImpl
        (without tfhub's `scope_name`) has none that can be told apart: [].
        """
        if self._eager:
            return self._impl.regularization_losses()
        if not hasattr(self._impl, "scope_name"):
            return []
        scope = self._impl.scope_name + "/"
        losses = self._graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
        return [loss for loss in losses if loss.name.startswith(scope)]

    @property
    def trainable_variables(self) -> list[Any]:
        """The trainable variables (empty unless `trainable=True`); e.g. for tf.GradientTape."""
        if self._eager:
            return self._impl.trainable_variables
        trainable = {
            id(v) for v in self._graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
        }
        return [v for v in self.variables if id(v) in trainable]


def load_module_spec(path: str | os.PathLike[str]) -> ModuleSpec:
    """Loads a ModuleSpec from any handle the resolver understands (URL, path, ...).

    Args:
        path: a handle: a local folder, a file:// / http(s):// / gs:// URL, ...

    Returns:
        A ModuleSpec, from the first registered loader that supports the folder.

    Raises:
        tfhub.errors.NotATF1ModuleError: if the model is not in the TF1 Hub format (the
            message says if it is a TF2 SavedModel and what to use instead).
        tfhub.errors.ModelPathEncodingError: the model's folder path is not UTF-8.
        tfhub.errors.DamagedModelError: a model file is a named pipe or another special file,
            or tfhub_module.pb is too large or damaged to parse.
        tfhub.errors.HandleTypeError: (an InvalidHandleError and a TypeError) if `path` is
            not text, e.g. bytes (upstream's TypeError) or None.
        tfhub.errors.TFHubError: from resolving the handle.
    """
    if isinstance(path, os.PathLike):  # A pathlib.Path, as hub.load takes.
        path = os.fspath(path)
    # Not text (bytes, None, a number): the resolver's HandleTypeError, a TypeError as upstream's.
    module_path = saved_model.resolve_for_tensorflow(path)
    saved_model_proto.refuse_special_files(module_path, handle=path)  # A FIFO would hang.
    try:
        return registry.loader.load(module_path, handle=path)
    except errors.UnsupportedHandleError as err:
        raise _not_a_module_error(module_path, path) from err


def _not_a_module_error(path: str, handle: str) -> errors.NotATF1ModuleError:
    where = f"{handle!r} (at {path})" if handle != path else path
    marker = saved_model_proto.TF1_MODULE_MARKER
    if not gfile_io.exists(os.path.join(path, saved_model_proto.SAVED_MODEL_FILENAME_PB)):
        problem, todo = model_folder_checks.no_pb_problem(path)  # E.g. the modules are below.
        hint = f" {problem[:1].upper()}{problem[1:]}. {todo}" if todo else ""
        return errors.NotATF1ModuleError(
            f"{where} is not a TF1 Hub module: it has neither {marker} nor saved_model.pb.{hint}"
        )
    if _is_tf1_saved_model(path):
        return errors.NotATF1ModuleError(
            f"{where} is not a TF1 Hub module ({marker} is missing): it is a TF1 SavedModel, "
            "written by tf.compat.v1.saved_model (or by a Module.export that was interrupted "
            f"before it wrote {marker}: export it again). Make a module spec of it "
            "with hub.create_module_spec_from_saved_model(path), or load it with "
            "hub.load(handle)."
        )
    return errors.NotATF1ModuleError(
        f"{where} is not a TF1 Hub module ({marker} is missing): it is a TF2 SavedModel. Load it "
        "with hub.load(handle) or hub.KerasLayer(handle) instead of hub.Module / "
        "hub.load_module_spec."
    )


def _is_tf1_saved_model(path: str) -> bool:
    """Whether the folder's readable saved_model.pb holds no TF2 object graph."""
    try:
        proto = saved_model_proto.read_saved_model_proto(path)
    except errors.TFHubLoadError:  # Damaged: say what the folder lacks, as for TF2.
        return False
    return not any(meta_graph.HasField("object_graph_def") for meta_graph in proto.meta_graphs)


def as_module_spec(spec: ModuleSpec | str | os.PathLike[str]) -> ModuleSpec:
    """Returns `spec` itself, or the spec loaded from the handle `spec`.

    Raises:
        tfhub.errors.ModuleSpecError: if `spec` is neither a ModuleSpec, a string nor a path.
    """
    if isinstance(spec, ModuleSpec):
        return spec
    if isinstance(spec, str | os.PathLike):
        return load_module_spec(spec)
    raise errors.ModuleSpecError(
        f"Unknown module spec type: {type(spec)!r}. Pass a hub.ModuleSpec (from "
        "hub.load_module_spec or hub.create_module_spec) or a handle as a str or os.PathLike "
        f"(a path or URL). Received: spec={spec!r}"
    )

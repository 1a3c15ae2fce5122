"""A TF1 Hub module instantiated in a graph: its state once, its signatures per application."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from typing import Any

from .. import errors
from ..model_damage import (
    as_upstream_raised,
    diagnose,
    file_not_found_error,
    is_access_error,
    missing_ops_named,
)
from ..model_graph_checks import (
    graph_node_names,
    missing_signature_tensor,
    signature_tensor_error,
    variables_mismatch,
    variables_mismatch_error,
)
from ..op_libraries import import_for_graph
from ..utils.lazy import tensorflow as tf
from . import meta_graph_lib, tensor_info
from .checkpoint import init_from_checkpoint, missing_file
from .colocation import fix_colocation_after_import
from .control_flow import refuse_update_ops_in_control_flow
from .graph_state import (
    get_state_map,
    list_state_op_types,
    replace_apply_state,
    variable_map_from_tensor_map,
)
from .module_apply import apply_feed_map, prune_for_apply
from .module_collections import (
    APPLY_COLLECTIONS,
    REGULARIZATION_LOSSES,
    STATE_COLLECTIONS,
    TRAINABLE_VARIABLES,
    UPDATE_OPS,
)
from .module_collections import MODULE_COLLECTIONS as MODULE_COLLECTIONS
from .module_scope import refuse_foreign_variables

logger = logging.getLogger(__name__)


def signature_name(signature: str | None) -> str:
    """The signature a call names: `signature`, or "default" if it names none (None or "")."""
    return signature or "default"


def raw_session(session: Any) -> Any:
    """Returns the tf.compat.v1.Session inside a (Singular)MonitoredSession, else `session`."""
    if hasattr(session, "raw_session"):
        return session.raw_session()
    inner = getattr(session, "_tf_sess", None)  # MonitoredSession keeps it private.
    return inner() if callable(inner) else session


def is_tpu_graph_function() -> bool:
    """True while building a function inside a TPU replication context (as upstream checks)."""
    graph = tf.compat.v1.get_default_graph()
    context = graph._get_control_flow_context()
    return bool(graph.building_function) and type(context).__name__.endswith("TPUReplicateContext")


def _check_function_use(graph: Any, meta_graph: Any) -> None:
    """Refuses collections in a TPU function (as upstream); warns in other function graphs.

    Raises:
        tfhub.errors.FunctionCollectionsError: (a NotImplementedError, as upstream) if the
            applied graph still has collections (assets, control flow contexts, update ops) in
            a TPU function.
    """
    if not graph.building_function:
        return
    if is_tpu_graph_function():
        if meta_graph.collection_def:
            raise errors.FunctionCollectionsError(
                "Applying modules with collections inside TPU functions is not supported. "
                f"Collections found: {sorted(meta_graph.collection_def)}. (Apply this module "
                "outside the TPU function, or build it without these collections.)"
            )
        return
    logger.warning(  # Upstream's words first: code that filters logs matches them.
        "Using `hub.Module` while building a function: %s. This can lead to errors if the "
        "function is not pruned. (It works where the function is pruned to what its outputs "
        "need, e.g. tf.compat.v1.wrap_function, not where every op runs, e.g. tf.data map "
        "functions.)",
        graph.name,
    )


class ModuleImpl:
    """What a `hub.Module` delegates to: upstream's interface, which a `ModuleSpec` of one's
    own returns from `_create_impl` (a subclass defines the three methods raising here)."""

    def create_apply_graph(
        self, signature: str, input_tensors: Mapping[str, Any], name: str
    ) -> dict[str, Any]:
        """Applies the signature `signature` to `input_tensors` under the name scope `name`;
        returns its outputs {name: tensor}."""
        raise NotImplementedError()

    def get_signature_name(self, signature: str | None) -> str:
        """The signature a call names: `signature`, or "default" if it names none."""
        return signature_name(signature)

    def export(self, path: str, session: Any) -> None:
        """Writes the module to `path` (see `Module.export()`)."""
        raise NotImplementedError()

    @property
    def variable_map(self) -> dict[str, Any]:
        """{variable name in the module: Variable (or list of partitions)}."""
        raise NotImplementedError()


@dataclasses.dataclass
class CheckpointChecks:
    """What of a module spec's checkpoint was found whole: each check runs once per spec (and
    graph), not on every hub.Module, since each reads the checkpoint's index again. The spec
    owns one and hands it to each `NativeModuleImpl` it makes.

    Attributes:
        sizes: its data files hold the bytes its index lists (`NativeModuleSpec._create_impl`).
        graphs: the tag sets (sorted) of the graphs whose checkpoint files are all there and
            whose variables' dtypes the checkpoint matches (`_init_from_own_checkpoint`).
    """

    sizes: bool = False
    graphs: set[tuple[str, ...]] = dataclasses.field(default_factory=set)


class NativeModuleImpl(ModuleImpl):
    """A TF1 Hub format module's state in the current graph, plus the means to apply its
    signatures."""

    def __init__(
        self,
        *,
        spec: Any,
        meta_graph: Any,
        trainable: bool,
        checkpoint_path: str | None,
        name: str,
        checks: CheckpointChecks,
    ) -> None:
        self._spec = spec
        self._checks = checks
        self._meta_graph = meta_graph
        self._trainable = trainable
        self._checkpoint_path = checkpoint_path
        self._state_op_types = list_state_op_types(meta_graph.graph_def)
        self._node_names: set[str] | None = None  # Of the graph, on the first application.
        # Modules may be built deep inside control dependencies; the state must not be. In a
        # TPU function (as upstream) the state goes to the outer graph, so that it is
        # initialized once and not on every call of the function.
        scope = tf.init_scope if is_tpu_graph_function() else lambda: tf.control_dependencies(None)
        import_for_graph(meta_graph.graph_def)  # tensorflow_text for its ops, if installed.
        with scope(), missing_ops_named(getattr(spec, "module_path", None), tf1_module=True):
            self._init_state(name)

    def _init_state(self, name: str) -> None:
        tensor_map, self._state_map = self._create_state_graph(name)
        self._variable_map = variable_map_from_tensor_map(tensor_map)
        if self._variable_map and self._checkpoint_path:
            self._init_from_own_checkpoint(self._checkpoint_path)
        self._graph = tf.compat.v1.get_default_graph()
        self._saver: Any = None  # Built on first export: most modules are never exported.

    def _init_from_own_checkpoint(self, checkpoint_path: str) -> None:
        """Initializes the variables from the module's own `variables/` checkpoint.

        Raises:
            tfhub.errors.ModelFileNotFoundError: (a MissingModelFileError and, as upstream
                raised, a tf.errors.NotFoundError) if `variables/`, its index or a data file
                is missing.
            tfhub.errors.DamagedModelError: (a ValueError, as TensorFlow raised) if the
                checkpoint lacks a variable of the graph or holds it in another shape;
                `VariablesMismatchError` (also a tf.errors.InvalidArgumentError, as TensorFlow's
                restore raised) in another dtype; `CorruptCheckpointError` (also TensorFlow's
                DataLossError, an OpError as it raised) if TensorFlow cannot read the index.
        """
        path = self._folder() or checkpoint_path
        tags = tuple(sorted(self._meta_graph.meta_info_def.tags))
        checked = tags in self._checks.graphs
        if not checked:
            problem = missing_file(checkpoint_path)
            if problem is not None:
                raise file_not_found_error(path, problem)
        try:
            init_from_checkpoint(checkpoint_path, self._variable_map)
        except tf.errors.OpError as err:  # An index that is no sstable, say.
            # No access or a network failure (a 403 on gs://) is said as TensorFlow said it.
            cause = diagnose(path) if self._folder() and not is_access_error(err) else None
            if cause is None:
                raise
            raise as_upstream_raised(cause, err) from err
        except errors.TFHubLoadError as err:
            raise errors.DamagedModelError(
                f"The module at {path} is damaged: its variables do not fit its graph. {err} "
                "(Was its variables/ folder copied from another module?) Download or export it "
                f"again. Received: module path={path!r}",
                path=path,
                problem="variables/ does not hold the graph's variables",
            ) from err
        # Shapes are checked above (ValueError, as upstream); a dtype only by the restore, at
        # the session's initialization, as TensorFlow's InvalidArgumentError naming no module.
        if not checked:
            problem = variables_mismatch(checkpoint_path, [self._meta_graph])
            if problem is not None:
                raise variables_mismatch_error(path, problem)
            self._checks.graphs.add(tags)

    def _folder(self) -> str | None:
        """The module's folder: its spec's, or for a spec made from a TF1 SavedModel
        (`create_module_spec_from_saved_model`), the SavedModel's, above its checkpoint
        `<folder>/variables/variables`; None for a spec built in memory."""
        path = getattr(self._spec, "module_path", None)
        if path is None and self._checkpoint_path:
            path = os.path.dirname(os.path.dirname(self._checkpoint_path))
        return None if path is None else str(path)

    def _copy_meta_graph(self) -> Any:
        meta_graph = tf.compat.v1.MetaGraphDef()
        meta_graph.CopyFrom(self._meta_graph)
        return meta_graph

    def _create_state_graph(self, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Imports the whole graph under `name`; returns (variables by name, state tensors)."""
        graph = tf.compat.v1.get_default_graph()
        collections = list(STATE_COLLECTIONS)
        if self._trainable:
            collections += [TRAINABLE_VARIABLES, REGULARIZATION_LOSSES]
        absolute_scope = graph.unique_name(name, mark_as_used=False)
        relative_scope = absolute_scope.split("/")[-1]
        self.scope_name = absolute_scope
        meta_graph = self._copy_meta_graph()
        meta_graph_lib.filter_collections(meta_graph, collections)
        meta_graph_lib.prefix_shared_name_attributes(meta_graph, absolute_scope)
        meta_graph_lib.import_meta_graph(meta_graph, input_map={}, import_scope=relative_scope)
        prefix = absolute_scope + "/"
        tensor_map = {
            var.name[len(prefix) :]: var
            for var in tf.compat.v1.global_variables()
            if var.op.name.startswith(prefix)
        }
        refuse_foreign_variables(tensor_map, self._meta_graph, absolute_scope)

        def get_tensor(tensor_name: str) -> Any:
            scoped = meta_graph_lib.prepend_name_scope(tensor_name, absolute_scope)
            return graph.get_tensor_by_name(scoped)

        state_map = get_state_map(meta_graph, self._state_op_types, get_tensor)
        return tensor_map, state_map

    def create_apply_graph(
        self, signature: str, input_tensors: Mapping[str, Any], name: str
    ) -> dict[str, Any]:
        """Imports the graph again under `name`, fed with the state and `input_tensors`.

        Returns:
            The signature's outputs, {name: Tensor / SparseTensor / RaggedTensor}.

        Raises:
            tfhub.errors.SignatureTensorError: (a KeyError, as TensorFlow raised) if the
                module folder's signature names a tensor its graph lacks.
            tfhub.errors.ControlFlowModuleError: (a RuntimeError) a trainable module with
                update ops applied inside a tf.cond / tf.while_loop.
        """
        self._check_signature_tensors(signature)
        graph = tf.compat.v1.get_default_graph()
        signature_def = self._meta_graph.signature_def[signature]
        meta_graph = self._copy_meta_graph()
        prune_for_apply(meta_graph, signature_def, trainable=self._trainable)
        replace_apply_state(meta_graph, self._state_op_types, self._state_map)
        feed_map, all_feeds = apply_feed_map(
            graph,
            meta_graph,
            signature_def,
            input_tensors,
            state_map=self._state_map,
            scope_name=self.scope_name,
        )
        absolute_scope = graph.unique_name(name, mark_as_used=False)
        relative_scope = absolute_scope.split("/")[-1]
        collections = list(APPLY_COLLECTIONS) + ([UPDATE_OPS] if self._trainable else [])
        meta_graph_lib.filter_collections(meta_graph, collections)
        update_ops = meta_graph_lib.collection_node_names(meta_graph, UPDATE_OPS)
        refuse_update_ops_in_control_flow(graph, update_ops, self.scope_name)
        _check_function_use(graph, meta_graph)
        meta_graph_lib.prefix_shared_name_attributes(meta_graph, absolute_scope)
        meta_graph_lib.import_meta_graph(
            meta_graph, input_map=feed_map, import_scope=relative_scope
        )
        fix_colocation_after_import(feed_map, absolute_scope)

        def get_tensor(tensor_name: str) -> Any:
            if tensor_name in all_feeds:  # An output that is also an input.
                return all_feeds[tensor_name]
            scoped = meta_graph_lib.prepend_name_scope(tensor_name, absolute_scope)
            return graph.get_tensor_by_name(scoped)

        return tensor_info.build_output_map(signature_def.outputs, get_tensor)

    def _check_signature_tensors(self, signature: str) -> None:
        """Refuses a signature of a module folder that names a tensor its graph lacks (a
        damaged saved_model.pb), before TensorFlow's bare KeyError at the lookup."""
        path = self._folder()
        if path is None:  # Built in memory: add_signature took the graph's own tensors.
            return
        if self._node_names is None:
            self._node_names = graph_node_names(self._meta_graph)
        problem = missing_signature_tensor(
            [self._meta_graph], signature=signature, nodes=self._node_names
        )
        if problem is not None:
            raise signature_tensor_error(path, problem)

    def export(self, path: str, session: Any) -> None:
        """Writes the module to `path` with the variable values held by `session`."""

        def variables_saver(variables_path: str) -> None:
            saver = self._get_saver()
            if saver is not None:
                raw = raw_session(session)
                saver.save(raw, variables_path, write_meta_graph=False, write_state=False)

        self._spec._export(path, variables_saver)

    def _get_saver(self) -> Any:
        """Returns the Saver of the module's variables (None if it has none), built once.

        A graph finalized by a MonitoredSession is briefly unfinalized to add the save ops.
        """
        if self._saver is not None or not self._variable_map:
            return self._saver
        finalized = self._graph.finalized
        if finalized:
            self._graph._unsafe_unfinalize()
        try:
            with self._graph.as_default(), tf.control_dependencies(None):
                self._saver = tf.compat.v1.train.Saver(
                    self._variable_map, sharded=True, write_version=tf.compat.v1.train.SaverDef.V2
                )
        finally:
            if finalized:
                self._graph.finalize()
        return self._saver

    @property
    def variable_map(self) -> dict[str, Any]:
        """{variable name in the module: Variable (or list of partitions)}."""
        return self._variable_map

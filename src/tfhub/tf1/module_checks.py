"""When a `hub.Module` may be built, applied and exported: the checks `Module` runs before it
adds to a graph or writes a module (not inside a tf.function, a tf.cond branch or a
tf.while_loop body; an eager module not applied in a tf.Graph; an open session for export),
each refusal a tfhub error saying what to do instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf
from .control_flow import refuse_creation_in_control_flow
from .module_impl import is_tpu_graph_function, raw_session

logger = logging.getLogger(__name__)


def check_eager_module_context() -> None:
    """Refuses to apply an eagerly created module inside a tf.Graph (not a tf.function).

    Raises:
        tfhub.errors.ModuleGraphError: if the default graph is a TF1 graph.
    """
    if not tf.executing_eagerly() and not tf.compat.v1.get_default_graph().building_function:
        raise errors.ModuleGraphError(
            "This hub.Module was created eagerly, so it cannot add ops to a tf.Graph. Create "
            "the hub.Module inside `with graph.as_default():` to use it in that graph (or call "
            "it eagerly or inside a tf.function)."
        )


def check_no_eager_inputs(inputs: Mapping[str, Any], signature: str) -> None:
    """Refuses an input made eagerly (a tensor, sparse or ragged tensor, or tf.Variable made
    outside any graph, e.g. before `with tf.Graph().as_default():`) to a module made in a
    tf.Graph (a function graph captures it), before anything is added to it (TensorFlow
    said "Attempting to capture an EagerTensor without building a function.").

    Raises:
        tfhub.errors.EagerInputError: (a SignatureInputError, and the RuntimeError upstream let
            through) naming the input and the signature.
    """
    if tf.compat.v1.get_default_graph().building_function:
        return  # A function graph (wrap_function, Defun) captures eager values.
    for key, value in sorted(inputs.items()):
        if not tf.is_tensor(value):  # numpy values, lists: converted in the graph.
            continue
        parts = tf.nest.flatten(value, expand_composites=True)
        # An eager tensor's `.graph` raises AttributeError ("undefined when eager ...").
        if all(getattr(part, "graph", None) is not None for part in parts):
            continue
        raise errors.EagerInputError(
            f"Input {key!r} of signature {signature!r} is made eagerly, outside any graph, but "
            "this hub.Module was created in a graph: make the input inside the same `with "
            "graph.as_default():` block as the call, or pass its value as numpy (`x.numpy()`; "
            "a tf.compat.v1.SparseTensorValue for a sparse input). "
            f"Received: {key}={type(value).__name__} of shape {value.shape} and dtype "
            f"{value.dtype.name}"
        )


def check_inputs_of_graph(inputs: Mapping[str, Any], graph: Any, signature: str) -> None:
    """Refuses an input tensor of another graph than `graph` (the one applying the module) or
    its outer graphs (a tf.cond branch captures those): the module's graph is imported with
    its inputs mapped by tensor name, which would find this graph's own tensor of that name.

    Raises:
        tfhub.errors.SignatureInputError: (a ValueError and TypeError) naming the input and
            the signature.
    """
    graphs = [graph]
    while getattr(graphs[-1], "outer_graph", None) is not None:
        graphs.append(graphs[-1].outer_graph)
    for key, value in sorted(inputs.items()):
        for tensor in tf.nest.flatten(value, expand_composites=True):
            if not any(getattr(tensor, "graph", None) is g for g in graphs):
                raise errors.SignatureInputError(
                    f"Input {key!r} of signature {signature!r} is a tensor of another graph "
                    "than the one the module is applied in: make it in that graph (inside the "
                    "same `with graph.as_default():` as the call), or pass a numpy value. "
                    f"Received: {key}={value!r}"
                )


def check_function_graph(graph: Any) -> None:
    """Refuses to build a module's state inside a function graph whose every call would run it.

    Allowed, as in upstream: tf.compat.v1.wrap_function and function.Defun graphs (pruned to
    their outputs), and any function inside a TPU replication context (the state then goes to
    the outer graph, initialized once).

    Raises:
        tfhub.errors.EagerNotSupportedError: inside a tf.function (outside a TPU context).
        tfhub.errors.ControlFlowModuleError: (a RuntimeError) inside a tf.cond branch or a
            tf.while_loop body (`refuse_creation_in_control_flow`).
    """
    refuse_creation_in_control_flow(graph)
    if not graph.building_function or is_tpu_graph_function():
        return
    # tf.function adds automatic control dependencies: every stateful op (the module's variable
    # and table initializers too) would run on every call. wrap_function and Defun do not.
    if not getattr(graph, "_add_control_dependencies", False):
        return
    raise errors.EagerNotSupportedError(
        "hub.Module(...) cannot be created inside a tf.function: its variables and tables "
        "would be re-created on every trace and re-initialized on every call. Create the "
        "hub.Module outside the function (eagerly; it then runs its signatures as functions) "
        "and call it inside, or build it inside tf.compat.v1.wrap_function, or use "
        "hub.load(handle).signatures[...] / hub.KerasLayer."
    )


def where_called() -> str:
    """Says where a graph-mode module was applied instead of its graph, and what to do."""
    if tf.executing_eagerly():
        return (
            "it was called in eager mode, outside any graph; call it inside `with "
            "graph.as_default():` of the graph it was created in, or create the hub.Module "
            "in eager mode to get eager tensors."
        )
    return "the default graph is another one; create a hub.Module in each graph."


def check_session_open(session: Any) -> None:
    """Raises ModuleGraphError if `session` is closed, before anything is written.

    Before: TensorFlow's bare "Attempted to use a closed Session." once the export folder was
    made (a closed MonitoredSession, whose graph is None, was said to have another graph).

    Raises:
        tfhub.errors.NotASessionError: (an AttributeError, as upstream's) if `session` has no
            `graph` and `run`.
        tfhub.errors.ModuleGraphError: if the session is closed.
    """
    if not hasattr(session, "graph") or not callable(getattr(session, "run", None)):
        raise errors.NotASessionError(
            "Module.export(path, session) needs the session that holds the variable values: a "
            "tf.compat.v1.Session (or a (Singular)MonitoredSession) of the module's graph. "
            f"Received: session={session!r}"
        )
    closed = session.graph is None  # A closed (Singular)MonitoredSession.
    if not closed:
        raw = raw_session(session)
        flag = getattr(raw, "_closed", None)  # tf.compat.v1.Session's own flag.
        if flag is not None:
            closed = bool(flag)
        else:  # Another session class: ask it.
            try:
                raw.run([])  # Runs nothing; raises if the session is closed.
            except RuntimeError as err:  # Not "The Session graph is empty.": that one is open.
                closed = "closed" in str(err)
    if closed:
        raise errors.ModuleGraphError(
            "Module.export(path, session) needs an open session holding the variable values, "
            "but this one is closed: call export() inside the `with tf.compat.v1.Session() as "
            "session:` (or MonitoredSession) block. "
            f"Received: session={session!r}"
        )


def uninitialized_variables_op(graph: Any, variables: list[Any]) -> Any:
    """An op naming which of `variables` are not initialized, added to `graph` (a graph
    finalized by a MonitoredSession is briefly unfinalized, as for the export's Saver)."""
    finalized = graph.finalized
    if finalized:
        graph._unsafe_unfinalize()
    try:
        with graph.as_default(), tf.control_dependencies(None):
            return tf.compat.v1.report_uninitialized_variables(variables)
    finally:
        if finalized:
            graph.finalize()


def check_variables_initialized(session: Any, report: Any) -> None:
    """Refuses to export from a session in which the module's variables were never
    initialized, before anything is written.

    Args:
        session: the session given to Module.export (a MonitoredSession too).
        report: the module's `uninitialized_variables_op`.

    Raises:
        tfhub.errors.ModuleGraphError: (a RuntimeError) naming the variables. Before:
            TensorFlow's bare FailedPreconditionError from the Saver, once the export folder
            was made.
    """
    names = [name.decode() for name in raw_session(session).run(report)]
    if names:
        raise errors.ModuleGraphError(
            "Module.export(path, session) saves the variable values the session holds, but "
            f"the session has not initialized {names[:10]}: run "
            "tf.compat.v1.global_variables_initializer() (or restore a checkpoint) in it "
            f"before exporting. Received: session={session!r}"
        )


def warn_if_variables_not_mirrored(trainable: bool, name: str) -> None:
    """Warns that a trainable hub.Module created under a distribution strategy with several
    replicas (MirroredStrategy) cannot be trained there: its variables are made by importing the
    module's graph, outside the strategy's variable creator, so they are not mirrored, and the
    failure would come later, in TensorFlow's code ("destinations can not be empty", as upstream
    0.10.0). Applying the module works, so nothing is refused."""
    if not trainable or not tf.distribute.has_strategy():
        return
    strategy = tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    if replicas < 2:
        return
    logger.warning(
        "hub.Module %r is trainable under %s (%d replicas), but its variables are not mirrored: "
        "they are made by importing the module's graph, outside the strategy's variable "
        "creator. Applying it works; training it there does not (TensorFlow fails with "
        "'destinations can not be empty' when it aggregates the gradients, or in the "
        "optimizer's update eagerly). Train it without a distribution strategy, or fine-tune a "
        "TF2 SavedModel with hub.KerasLayer(handle, trainable=True), whose weights the strategy "
        "mirrors (docs/tf1.md, 'hub.Module and tf.distribute').",
        name,
        type(strategy).__name__,
        replicas,
    )

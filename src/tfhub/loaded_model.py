"""`LoadedModel`: what tfhub's users of a loaded model (Keras layers, feature columns) ask of it.

A loaded model is the object `tf.saved_model.load` returns for a TF2 SavedModel or a TF1 Hub
module (`hub.load`), or any Python callable following the same conventions. The TF1 and TF2
answers differ (a TF1 module keeps its trainable variables, regularization losses and UPDATE_OPS
in graph collections); this module gives each answer once. How to call it in training or
inference mode is `model_calls.py`'s, its gradient built at once in a graph
`graph_gradients.py`'s (their names are importable from here too).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from . import errors, saved_model_proto

# Re-exported: tools, model_info and keras_layer import these names from here.
from .graph_gradients import build_gradient_in_graph as build_gradient_in_graph
from .model_calls import call_with_training as call_with_training
from .model_calls import saved_training_values as saved_training_values
from .model_calls import smart_cond as smart_cond
from .model_calls import static_training as static_training
from .model_calls import takes_training as takes_training
from .model_calls import traced_functions as traced_functions
from .tf1 import tensor_info
from .tf1.meta_graph_lib import collection_variable_defs, needing_unfed_placeholders
from .utils.lazy import tensorflow as tf

LossFn = Callable[[], Any]


@dataclasses.dataclass(frozen=True)
class LoadedModel:
    """A loaded model plus where it came from.

    Attributes:
        obj: the loaded object (or a Python callable).
        module_path: the local folder it was loaded from; None for an object loaded elsewhere.
        tags: the tags of the MetaGraph loaded (TF1 Hub modules: [] by default).
        is_hub_module_v1: the model is in the TF1 Hub format.
        meta_graph: the TF1 module's MetaGraph proto, if the caller has it (e.g. from a
            `hub.ModuleSpec`); otherwise it is read from `module_path` when needed.
    """

    obj: Any
    module_path: str | None = None
    tags: tuple[str, ...] = ()
    is_hub_module_v1: bool = False
    meta_graph: Any = None

    @classmethod
    def of(cls, obj: Any) -> LoadedModel:
        """Wraps an object that was loaded elsewhere (e.g. `hub.load` by the user), or a callable.

        Without a folder (or MetaGraph), a TF1 module's `training_function` returns None.
        """
        return cls(obj, is_hub_module_v1=bool(getattr(obj, "_is_hub_module_v1", False)))

    def __post_init__(self) -> None:
        if self.is_hub_module_v1:
            self._drop_dead_variable_copies()

    @property
    def variables(self) -> list[Any]:
        """All variables of the model: what `obj.variables` reports (for a TF1 module, without
        the unreadable copies `_outside_graph` drops, see `_drop_dead_variable_copies`), or,
        for a TF2 object that lists none (`_tracked_variables`), the variables it tracks."""
        tracked = self._tracked_variables
        if tracked is not None:
            return list(tracked)
        return _listed(getattr(self.obj, "variables", None))

    def _drop_dead_variable_copies(self) -> None:
        """Makes a TF1-format model's tracked `obj.variables` the readable ones, once, as the
        model is wrapped: checkpoints and SavedModel exports walk that list (and so does
        `variables`), and TensorFlow's TF1 loader puts into it a dead copy of each part of a
        partitioned variable (`_outside_graph`), which made every such save fail ("is out of
        scope"). Nothing else changes."""
        listed = getattr(self.obj, "variables", None)
        if not hasattr(self.obj, "prune") or listed is None:  # Not a TF1 loader's root.
            return
        live = _outside_graph(list(listed), getattr(self.obj, "graph", None))
        if len(live) < len(listed):
            self.obj.variables = live

    @property
    def variables_unlisted(self) -> bool:
        """True for a TF2 model that lists neither `variables` nor `trainable_variables` (its
        variables were found by tracking): upstream's layer gave it no weights."""
        return self._tracked_variables is not None

    @functools.cached_property
    def _tracked_variables(self) -> list[Any] | None:
        """The tf.Variables among the objects a TF2 model tracks, if it lists neither
        `variables` nor `trainable_variables` (a `tf.Module` saved with `tf.saved_model.save`:
        the restored object has no such attributes, so upstream's layer found no weights and
        could not fine-tune it); None for a model that lists them, a TF1 module or a plain
        Python callable. A trainable variable that none of its functions reads is left out
        (when it has functions): a Keras 3 model saved with `tf.saved_model.save` after `fit`
        tracks, over a hub.KerasLayer, a second copy of the hub model's variables (its
        optimizer's Keras variables, saved apart from the ones the functions read), which
        would be trainable weights that never train."""
        if self.is_hub_module_v1 or any(
            hasattr(self.obj, name) for name in ("variables", "trainable_variables")
        ):
            return None
        try:
            tracked = tf.train.TrackableView(self.obj).descendants()
        except (TypeError, ValueError, AttributeError):  # Not a trackable object.
            return None
        variables = [item for item in tracked if isinstance(item, tf.Variable)]
        read = _captured_tensor_ids([*tracked, *_signature_functions(self.obj)])
        return [v for v in variables if not (read and v.trainable) or id(v.handle) in read]

    def trainable_variables(self) -> list[Any]:
        """The variables the model trains.

        TF2: `obj.trainable_variables`. TF1: those in the graph's TRAINABLE_VARIABLES collection,
        matched by name; loading a module twice into one `tf.Graph` uniquifies the loaded names
        (`embeddings` -> `embeddings_1`), so they are matched in order with the `variables`
        collection as saved in the module's folder (the loaded graph's own collections already
        hold the uniquified names).
        """
        if not self.is_hub_module_v1:
            tracked = self._tracked_variables
            if tracked is not None:  # Each variable says whether it trains, as saved.
                return [variable for variable in tracked if variable.trainable]
            return _listed(getattr(self.obj, "trainable_variables", None))
        variables = self.variables
        names = [v.name for v in variables]
        saved, trainable = self._tf1_variable_names()
        if len(saved) == len(names) and all(map(_is_uniquified, names, saved)):
            names = list(saved)
        return [v for v, name in zip(variables, names, strict=True) if name in trainable]

    def weights(self) -> list[tuple[Any, bool]]:
        """Every variable once, as (variable, trainable) pairs: the trainable ones first."""
        trainable = self.trainable_variables()
        pairs = [(variable, True) for variable in trainable]
        seen = {id(v) for v in trainable}
        for variable in self.variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                pairs.append((variable, False))
        return pairs

    def upstream_weight_order(self) -> list[Any]:
        """Every variable once, in the order tensorflow_hub's KerasLayer listed them as weights.

        Weight files that Keras writes and reads by position (tf_keras `.h5` and `.keras`, the
        legacy `.h5` of Keras 3) hold a layer's weights in this order. A TF1 module's follow
        `obj.variables` (upstream could not train them and added them all as non-trainable);
        any other model's trainable ones come first, as in `weights()`.
        """
        if not self.is_hub_module_v1:
            return [variable for variable, _ in self.weights()]
        return list({id(variable): variable for variable in self.variables}.values())

    def regularization_losses(self) -> list[LossFn]:
        """Zero-argument callables, one per scalar regularization loss of the model.

        TF2: `obj.regularization_losses`. TF1: the graph's REGULARIZATION_LOSSES, pruned into
        one function.

        Raises:
            tfhub.errors.ArgumentError: (a ValueError) if `obj.regularization_losses` holds
                something that is not callable.
        """
        if self.is_hub_module_v1:
            return self._tf1_regularization_losses()
        losses = list(getattr(self.obj, "regularization_losses", None) or [])
        for loss in losses:
            if not callable(loss):
                raise errors.ArgumentError(
                    "hub.KerasLayer(obj) expects obj.regularization_losses to be an iterable "
                    "of callables, each returning a scalar loss term (upstream's words; this "
                    f"holds for every loaded model). Received: {loss!r}"
                )
        return losses

    def training_function(self, signature: str) -> Callable[..., Any] | None:
        """For a TF1 module with UPDATE_OPS, the signature's function that also runs them.

        The function is `signature_function`'s, and calling it also runs the graph's
        UPDATE_OPS (e.g. batch-norm moving averages) that this signature's inputs can feed, as
        a graph's `hub.Module` lists them: an update op that needs a placeholder input of
        another signature (not one behind this signature's inputs) is left out.

        Returns:
            None for a TF2 model, a TF1 module without such UPDATE_OPS, or one whose MetaGraph
            is unknown (loaded elsewhere).

        Raises:
            tfhub.errors.UnknownSignatureError: the module has no such signature.
        """
        if not self.is_hub_module_v1:
            return None
        graph = self.obj.graph
        update_ops = graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        meta_graph = self._saved_meta_graph() if update_ops else None
        if meta_graph is None:
            return None
        signature_def = saved_model_proto.signature_def_of(meta_graph, signature, self.module_path)
        fed = _input_tensors(graph, [signature_def])
        inputs = _input_tensors(graph, meta_graph.signature_def.values())
        usable = _feedable(graph, update_ops, fed=fed, inputs=inputs)
        return self.signature_function(signature_def, also_run=usable) if usable else None

    def signature_function(
        self, signature_def: Any, *, also_run: Sequence[Any] = ()
    ) -> Callable[..., Any]:
        """A TF1 module's signature as one function pruned from its graph.

        The function takes the signature's inputs (positionally in sorted key order, or by
        keyword; dense, sparse or ragged) and returns its dict of outputs, like
        `obj.signatures[name]`; calling it also runs the ops `also_run`.
        """
        graph = self.obj.graph
        names = sorted(signature_def.inputs)
        feeds = [
            graph.as_graph_element(tensor)
            for name in names
            for tensor in tensor_info.tensor_names(signature_def.inputs[name])
        ]
        # TensorInfo fetches are decoded by prune (dense, sparse or composite), as TensorFlow's
        # own loader does for `obj.signatures`; the ops `also_run` come back as None.
        fetches = (dict(signature_def.outputs), list(also_run))
        specs = tuple(tf.TensorSpec(feed.shape, feed.dtype) for feed in feeds)
        pruned = self.obj.prune(feeds=feeds, fetches=fetches, input_signature=(specs, {}))

        def call(*args: Any, **kwargs: Any) -> Any:
            values = list(args) if args else [kwargs[name] for name in names]
            flat = [t for value in values for t in tf.nest.flatten(value, expand_composites=True)]
            return pruned(*flat)[0]

        return call

    def _collection(self, key: str) -> list[Any]:
        graph = getattr(self.obj, "graph", None)
        return [] if graph is None else list(graph.get_collection(key))

    def _saved_meta_graph(self) -> Any:
        """The MetaGraph proto as saved (given, or read from the folder), or None if unknown."""
        if self.meta_graph is None and self.module_path is not None:
            return saved_model_proto.read_meta_graph(self.module_path, self.tags)
        return self.meta_graph

    def _tf1_variable_names(self) -> tuple[list[str], set[str]]:
        """(all variable names in order, trainable names) of the TF1 module as saved."""
        meta_graph = self._saved_meta_graph()
        if meta_graph is None:  # Loaded elsewhere: what the loaded graph says.
            keys = tf.compat.v1.GraphKeys
            saved = [v.name for v in self._collection(keys.GLOBAL_VARIABLES)]
            return saved, {v.name for v in self._collection(keys.TRAINABLE_VARIABLES)}
        saved = collection_variable_defs(meta_graph, "variables")
        trainable = collection_variable_defs(meta_graph, "trainable_variables")
        return [d.variable_name for d in saved], {d.variable_name for d in trainable}

    def _tf1_regularization_losses(self) -> list[LossFn]:
        tensors = self._collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
        if not tensors:
            return []
        pruned = self.obj.prune(feeds=[], fetches=tensors)

        def loss_at(index: int) -> LossFn:
            return lambda: pruned()[index]

        return [loss_at(index) for index in range(len(tensors))]


def _listed(variables: Any) -> list[Any]:
    """A model's `variables` / `trainable_variables` list without its None entries: tf_keras
    saves an adapted TextVectorization's lookup table so (`[None, embeddings]`), while the model
    runs; a None would fail every user of the list (weight names, Keras weights)."""
    return [variable for variable in variables or [] if variable is not None]


def _outside_graph(variables: list[Any], graph: Any) -> list[Any]:
    """The `variables` whose handle was not made inside `graph` (a loaded TF1 module's function
    graph, `obj.graph`), in their order.

    For a module with a partitioned variable, TensorFlow's TF1 loader
    (`tf.compat.v1.saved_model.load_v2`) lists each partition twice: the variable its functions
    read (lifted out of that graph, as every other variable) and a copy whose handle stays in
    the graph, which nothing can read outside it ("is out of scope") and which no function
    reads. Only such copies are dropped; with no graph, `variables` as they are.
    """
    if graph is None:
        return list(variables)
    return [
        v for v in variables if not (tf.is_symbolic_tensor(v.handle) and v.handle.graph is graph)
    ]


def _signature_functions(obj: Any) -> list[Any]:
    """The concrete functions of a loaded object's signatures (none if it has none)."""
    signatures = getattr(obj, "signatures", None)
    return list(signatures.values()) if isinstance(signatures, Mapping) else []


def _captured_tensor_ids(objects: Iterable[Any]) -> set[int]:
    """The ids of the tensors (variable handles) that the functions among `objects` capture:
    every concrete function of a restored `tf.function`, and concrete functions themselves."""
    captured: set[int] = set()
    for item in objects:
        for concrete in getattr(item, "concrete_functions", None) or [item]:
            captured.update(id(tensor) for tensor in getattr(concrete, "captured_inputs", ()))
    return captured


def _input_tensors(graph: Any, signature_defs: Iterable[Any]) -> set[str]:
    """Names of the tensors (`op:index`) that are the inputs of the given signatures."""
    return {
        graph.as_graph_element(name).name
        for signature_def in signature_defs
        for info in signature_def.inputs.values()
        for name in tensor_info.tensor_names(info)
    }


def _feedable(graph: Any, update_ops: list[Any], *, fed: set[str], inputs: set[str]) -> list[Any]:
    """The ops of `update_ops` (ops or tensors of `graph`) that a call feeding the tensors
    named `fed` (`op:index`) can run, in their order: those that need no placeholder among
    `inputs` (every signature's input tensors) that the call does not feed, by the graph
    path's rule (`meta_graph_lib.needing_unfed_placeholders`).
    """
    ops = [getattr(update, "op", update) for update in update_ops]
    reached = needing_unfed_placeholders(
        _op_edges(graph),
        inputs=inputs,
        fed=fed,
        op_type=lambda name: graph.get_operation_by_name(name).type,
    )
    return [op for op in ops if op.name not in reached]


def _op_edges(graph: Any) -> Iterator[tuple[str, str | None, str]]:
    """The edges of `graph`'s ops as `meta_graph_lib.reached_from` reads them (a tensor name,
    or None for a control input)."""
    for op in graph.get_operations():
        for tensor in op.inputs:
            yield tensor.op.name, tensor.name, op.name
        for control in op.control_inputs:
            yield control.name, None, op.name


def _is_uniquified(name: str, original: str) -> bool:
    """True for `name == original` or a graph-uniquified copy (`a/b:0` -> `a/b_1:0`)."""
    op_name, _, port = original.rpartition(":")
    return (
        name == original
        or re.fullmatch(rf"{re.escape(op_name)}_\d+:{re.escape(port)}", name) is not None
    )

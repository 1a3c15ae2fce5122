"""Members of the Keras 2 `Layer` that upstream documented on `hub.KerasLayer` (its API page
lists them) and that tf_keras 2.21 or Keras 3 no longer have: a hub.KerasLayer keeps them, so
code written against tensorflow_hub 0.10's page runs.

`Keras2Aliases` (both flavours): the deprecated `apply`, `get_losses_for`, `get_updates_for`.
`Keras2NodeApi` (Keras 3): `dynamic`, `updates`, the masks, Keras 2's `compute_mask(inputs,
mask=None)` and the `get_*_at(node_index)` accessors of the layer's calls in functional models.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf


def _deprecated(name: str, instead: str) -> None:
    warnings.warn(
        f"`layer.{name}` is deprecated (Keras 2's API): use {instead} instead.",
        UserWarning,
        stacklevel=3,
    )


class Keras2Aliases:
    """`apply`, `get_losses_for` and `get_updates_for`, deprecated in Keras 2 and since removed."""

    def apply(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Deprecated alias of `layer(inputs, *args, **kwargs)`."""
        _deprecated("apply", "`layer(inputs)`")
        return self(inputs, *args, **kwargs)  # type: ignore[operator]

    def get_losses_for(self, inputs: Any) -> list[Any]:
        """Deprecated: `layer.losses`, whatever `inputs` (as Keras 2 answered in TF2)."""
        del inputs
        _deprecated("get_losses_for", "`layer.losses`")
        return list(self.losses)  # type: ignore[attr-defined]

    def get_updates_for(self, inputs: Any) -> list[Any]:
        """Deprecated: `layer.updates`, whatever `inputs` (as Keras 2 answered in TF2)."""
        del inputs
        _deprecated("get_updates_for", "`layer.updates`")
        return []


class Keras2NodeApi(Keras2Aliases):
    """Keras 2's node accessors over Keras 3's `_inbound_nodes` (one per call on KerasTensors)."""

    @property
    def dynamic(self) -> bool:
        """False: the layer runs in graphs (`tf.function`), not only eagerly."""
        return False

    @property
    def updates(self) -> list[Any]:
        """[]: in TF2 updates (e.g. batch-norm statistics) are applied as the layer runs."""
        return []

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """Keras 2's `compute_mask(inputs, mask=None)`: None, as the layer supports no masking.

        (Keras 3's own took `(inputs, previous_mask)`, both required. Keras 3 asks for a mask
        only from layers whose `supports_masking` is True; the layer sets it False.)

        Raises:
            tfhub.errors.ArgumentTypeError: if a mask is given (a TypeError, as Keras 2 raised).
        """
        del inputs
        given = [m for m in tf.nest.flatten(mask) if m is not None]
        if given:
            shape = getattr(given[0], "shape", None)
            raise errors.ArgumentTypeError(
                f"Layer {self.name} does not support masking, but was passed an input_mask: "  # type: ignore[attr-defined]
                "a hub.KerasLayer passes no mask to its model. Call compute_mask(inputs) "
                f"without one. Received: mask={type(given[0]).__name__} of shape {shape}"
            )
        return None

    def _node_attribute(self, node_index: int, attribute: str, what: str) -> Any:
        nodes = self._inbound_nodes  # type: ignore[attr-defined]
        if not nodes:
            raise errors.LayerNotCalledError(
                f"The layer {self.name!r} has never been called on a keras.Input, so it has no "  # type: ignore[attr-defined]
                f"{what}."
            )
        if not -len(nodes) <= node_index < len(nodes):  # Keras 2 indexed its list: -1 is last.
            raise errors.ArgumentError(
                f"Asked to get {what} at node {node_index}, but the layer has only {len(nodes)} "
                f"inbound nodes. Received: node_index={node_index}"
            )
        values = getattr(nodes[node_index], attribute)
        return values[0] if isinstance(values, (list, tuple)) and len(values) == 1 else values

    def _single_node_mask(self, attribute: str, what: str) -> Any:
        if len(self._inbound_nodes) > 1:  # type: ignore[attr-defined]
            raise AttributeError(
                f"The layer {self.name!r} has multiple inbound nodes, hence the notion of "  # type: ignore[attr-defined]
                f"'layer {what}' is ill-defined. Use `get_{what.replace(' ', '_')}_at("
                "node_index)` instead."
            )
        return _masks(self._node_attribute(0, attribute, what))

    @property
    def input_mask(self) -> Any:
        """The mask of the input (None without masking), for a layer called once."""
        return self._single_node_mask("input_tensors", "input mask")

    @property
    def output_mask(self) -> Any:
        """The mask of the output (None without masking), for a layer called once."""
        return self._single_node_mask("output_tensors", "output mask")

    def get_input_at(self, node_index: int) -> Any:
        """The input tensor(s) of the layer's call number `node_index`."""
        return self._node_attribute(node_index, "input_tensors", "input")

    def get_output_at(self, node_index: int) -> Any:
        """The output tensor(s) of the layer's call number `node_index`."""
        return self._node_attribute(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index: int) -> Any:
        """The input shape(s) of the layer's call number `node_index`, as tuples."""
        return _shapes_of(self.get_input_at(node_index))

    def get_output_shape_at(self, node_index: int) -> Any:
        """The output shape(s) of the layer's call number `node_index`, as tuples."""
        return _shapes_of(self.get_output_at(node_index))

    def get_input_mask_at(self, node_index: int) -> Any:
        """The mask(s) of the inputs of call number `node_index` (None without masking)."""
        return _masks(self.get_input_at(node_index))

    def get_output_mask_at(self, node_index: int) -> Any:
        """The mask(s) of the outputs of call number `node_index` (None without masking)."""
        return _masks(self.get_output_at(node_index))


def _shapes_of(tensors: Any) -> Any:
    return tf.nest.map_structure(lambda tensor: tuple(tensor.shape), tensors)


def _masks(tensors: Any) -> Any:
    return tf.nest.map_structure(lambda tensor: getattr(tensor, "_keras_mask", None), tensors)

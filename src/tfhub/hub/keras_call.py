"""How hub.KerasLayer calls a model, read from its signature summary (no TensorFlow needed).

The starter doc's usage snippet, the model page's `hub.KerasLayer(...)` line and `tfhub
inspect`'s hint all show the call this module chooses, and hub.KerasLayer's own
SignatureRequiredError suggests it too, so they never disagree. The choice among signatures
(`KerasCall`, `signature_call`) lives in keras/_arguments.py, which keras/ uses without
importing hub/ (the server side); `keras_call` adapts a `SignatureSummary` to it:

- a model with `__call__` (a TF2 reusable SavedModel): the handle alone;
- a TF1 Hub module: the handle alone when its `default` signature has a `default` output
  (what hub.KerasLayer calls by default); else a signature (`default` first) and its output;
  both among the signatures of its default (empty) tag set, the graph hub.KerasLayer loads
  without `tags=`; if that one has none, a signature of another tag set, with `tags=`;
- any other model (a SavedModel with only signatures): a signature (`serving_default`
  first, `keras._arguments.suggested_signature`) and its output: `output_key=` for a
  signature of one output, else `signature_outputs_as_dict=True` (hub.KerasLayer refuses a
  signature without either);
- a model without `__call__` and without signatures: none (hub.KerasLayer cannot use it).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..keras._arguments import (
    TF1_DEFAULT_OUTPUT,
    TF1_DEFAULT_SIGNATURE,
    KerasCall,
    signature_call,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .signatures import MetaGraphInfo, SignatureSummary

TF1_HUB_FORMAT = "TF1 Hub format"
__all__ = ["TF1_HUB_FORMAT", "KerasCall", "keras_call", "signature_call", "tf1_hub_call"]


def keras_call(summary: SignatureSummary) -> KerasCall | None:
    """How hub.KerasLayer calls the model `summary` describes (the module docstring's rules).

    Returns:
        The arguments besides the handle (`KerasCall()`: the handle alone), or None for a
        model hub.KerasLayer cannot use (no `__call__`, no signatures).
    """
    if summary.call is not None:
        return KerasCall()
    if summary.format == TF1_HUB_FORMAT:
        return tf1_hub_call([(meta.tags, _outputs([meta])) for meta in summary.meta_graphs])
    outputs = _outputs(summary.meta_graphs)
    return signature_call(outputs, preferred="serving_default") if outputs else None


def why_a_signature(call: KerasCall, *, tf1_hub: bool) -> str:
    """Why hub.KerasLayer(handle) alone does not call a model for which `call` names a
    signature (`tf1_hub`: a TF1 Hub module), as the starter doc and `tfhub inspect` say it."""
    if call.tags is not None:
        return (
            "hub.KerasLayer(handle) alone loads the default (empty) tag set, whose graph has "
            "no signatures here"
        )
    if tf1_hub:
        return (
            "hub.KerasLayer(handle) alone calls the 'default' output of its 'default' "
            "signature, which this module lacks"
        )
    return "it has no __call__"


def tf1_hub_call(
    graphs: Sequence[tuple[Sequence[str], dict[str, list[str]]]],
) -> KerasCall | None:
    """How hub.KerasLayer calls a TF1 Hub module whose meta graphs are `graphs` (each one's
    tags, and its signatures' output names): from the signatures of the default (empty) tag
    set, which hub.KerasLayer loads without `tags=`, if it has any (else `_tagged_call`'s,
    with `tags=`); the handle alone when the `default` signature has a `default` output.
    None: no signatures."""
    default = [outputs for tags, outputs in graphs if not tags and outputs]
    if not default:
        return _tagged_call(graphs)
    if TF1_DEFAULT_OUTPUT in default[0].get(TF1_DEFAULT_SIGNATURE, []):
        return KerasCall()  # hub.KerasLayer's TF1 defaults: signature and output `default`.
    return signature_call(default[0], preferred=TF1_DEFAULT_SIGNATURE)


def _tagged_call(
    graphs: Sequence[tuple[Sequence[str], dict[str, list[str]]]],
) -> KerasCall | None:
    """`tf1_hub_call` for a module whose default tag set has no signatures: a signature
    (`default` first) of the first tag set holding `default` (else the first with signatures),
    named with its `tags=` and its signature even if `default`/`default` (the handle alone
    loads the default tag set). None: no signatures."""
    tagged = [(tags, outputs) for tags, outputs in graphs if outputs]
    if not tagged:
        return None
    with_default = [graph for graph in tagged if TF1_DEFAULT_SIGNATURE in graph[1]]
    tags, outputs = (with_default or tagged)[0]
    call = signature_call(outputs, preferred=TF1_DEFAULT_SIGNATURE)
    return dataclasses.replace(call, tags=tuple(sorted(tags)) or None)


def _outputs(meta_graphs: Sequence[MetaGraphInfo]) -> dict[str, list[str]]:
    """Each signature's output names (sorted), over `meta_graphs`."""
    return {
        signature.name: sorted(tensor.name for tensor in signature.outputs)
        for meta in meta_graphs
        for signature in meta.signatures
    }

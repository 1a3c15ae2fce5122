"""How hub.KerasLayer calls a model, read from its signature summary (no TensorFlow needed).

The starter doc's usage snippet, the model page's `hub.KerasLayer(...)` line and `tfhub
inspect`'s hint all show the call this module chooses, and hub.KerasLayer's own
SignatureRequiredError suggests it too, so they never disagree. The choice among signatures
(`KerasCall`, `signature_call`) lives in keras/_arguments.py, which keras/ uses without
importing hub/ (the server side); `keras_call` adapts a `SignatureSummary` to it:

- a model with `__call__` (a TF2 reusable SavedModel): the handle alone;
- a TF1 Hub module: the handle alone when its `default` signature has a `default` output
  (what hub.KerasLayer calls by default); else a signature (`default` first) and its output;
- any other model (a SavedModel with only signatures): a signature (`serving_default`
  first, `keras._arguments.suggested_signature`) and its output: `output_key=` for a
  signature of one output, else `signature_outputs_as_dict=True` (hub.KerasLayer refuses a
  signature without either);
- a model without `__call__` and without signatures: none (hub.KerasLayer cannot use it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..keras._arguments import (
    TF1_DEFAULT_OUTPUT,
    TF1_DEFAULT_SIGNATURE,
    KerasCall,
    signature_call,
)

if TYPE_CHECKING:
    from .signatures import SignatureSummary

TF1_HUB_FORMAT = "TF1 Hub format"
__all__ = ["TF1_HUB_FORMAT", "KerasCall", "keras_call", "signature_call"]


def keras_call(summary: SignatureSummary) -> KerasCall | None:
    """How hub.KerasLayer calls the model `summary` describes (the module docstring's rules).

    Returns:
        The arguments besides the handle (`KerasCall()`: the handle alone), or None for a
        model hub.KerasLayer cannot use (no `__call__`, no signatures).
    """
    if summary.call is not None:
        return KerasCall()
    outputs = {
        signature.name: sorted(tensor.name for tensor in signature.outputs)
        for meta in summary.meta_graphs
        for signature in meta.signatures
    }
    if not outputs:
        return None
    if summary.format != TF1_HUB_FORMAT:
        return signature_call(outputs, preferred="serving_default")
    if TF1_DEFAULT_OUTPUT in outputs.get(TF1_DEFAULT_SIGNATURE, []):
        return KerasCall()  # hub.KerasLayer's TF1 defaults: signature and output `default`.
    return signature_call(outputs, preferred=TF1_DEFAULT_SIGNATURE)

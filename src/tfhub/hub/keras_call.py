"""How hub.KerasLayer calls a model: the one home of that choice (no TensorFlow needed).

The starter doc's usage snippet, the model page's `hub.KerasLayer(...)` line and `tfhub
inspect`'s hint all show the call this module chooses, so they never disagree:

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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..keras._arguments import TF1_DEFAULT_OUTPUT, TF1_DEFAULT_SIGNATURE, suggested_signature

if TYPE_CHECKING:
    from .signatures import SignatureSummary

TF1_HUB_FORMAT = "TF1 Hub format"


@dataclass(frozen=True)
class KerasCall:
    """The keyword arguments hub.KerasLayer needs besides the handle (none: the handle alone).

    `outputs` are the chosen signature's output names (empty without a signature).
    """

    signature: str | None = None
    output_key: str | None = None
    outputs_as_dict: bool = False
    outputs: tuple[str, ...] = ()

    def keywords(self) -> list[str]:
        """The keyword arguments as Python text, e.g. `["signature='s'", "output_key='y'"]`;
        [] for the handle alone.

        Each name is written by `repr`, which Python reads back as the same name whatever it
        holds (json.dumps writes a character outside the BMP as a surrogate pair, which Python
        reads as two lone surrogates), on one line (repr escapes a line break, so a name
        cannot end a Markdown code block: a fence closes only on a line of its own).
        """
        if self.signature is None:
            return []
        words = [f"signature={self.signature!r}"]
        if self.output_key is not None:
            return [*words, f"output_key={self.output_key!r}"]
        return [*words, "signature_outputs_as_dict=True"]


def signature_call(outputs_by_signature: dict[str, list[str]], *, preferred: str) -> KerasCall:
    """The call of one of the signatures (`outputs_by_signature`: each one's output names; not
    empty): `preferred` if there is one, else `suggested_signature`'s; `output_key=` for one
    output, else `signature_outputs_as_dict=True`."""
    if preferred in outputs_by_signature:
        name, names = preferred, outputs_by_signature[preferred]
    else:
        name, names = suggested_signature(outputs_by_signature)
    if len(names) == 1:
        return KerasCall(signature=name, output_key=names[0], outputs=tuple(names))
    return KerasCall(signature=name, outputs_as_dict=True, outputs=tuple(names))


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

"""Which function of a loaded model a `hub.KerasLayer` calls: the object itself or one of its
signatures, and which of its outputs, checked against what the model has."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors
from ..loaded_model import LoadedModel
from . import _arguments


def endpoint(
    model: LoadedModel,
    signature: str | None,
    signature_outputs_as_dict: bool | None,
    output_key: str | None,
) -> tuple[str | None, bool | None, str | None]:
    """(signature, signature_outputs_as_dict, output_key) checked against the model's
    signatures, with the TF1 defaults filled in (`_arguments.check_output_options`).

    Raises:
        As `make_hub_callable` for `signature`, `signature_outputs_as_dict` and `output_key`.
    """
    signatures = getattr(model.obj, "signatures", None) or {}
    signature = _arguments.check_signature_name(signature, available=sorted(signatures.keys()))
    named = signatures.get(signature) if signature else None
    return _arguments.check_output_options(
        is_hub_module_v1=model.is_hub_module_v1,
        signature=signature,
        signature_outputs_as_dict=signature_outputs_as_dict,
        output_key=output_key,
        outputs=_arguments.output_names(getattr(named, "structured_outputs", None)),
    )


def select_function(obj: Any, signature: str | None, handle: Any) -> Callable[..., Any]:
    """Returns `obj` itself (if callable and no signature) or `obj.signatures[signature]`.

    Raises:
        tfhub.errors.UnknownSignatureError: the signature does not exist (lists the others).
        tfhub.errors.SignatureRequiredError: (a ValueError) `obj` is not callable and no
            signature was named (suggests one, with its output).
        tfhub.errors.TFHubLoadError: (a ValueError) it has no signatures.
    """
    if callable(obj) and not signature:
        return obj
    signatures = getattr(obj, "signatures", None)
    if not signatures:
        what = "has no signatures" if signature else "is not callable and has no signatures"
        raise errors.TFHubLoadError(  # Upstream's words first.
            f"Loaded object {what}. It was loaded from {handle!r}. Received: {obj!r}"
        )
    if signature is None:
        raise _signature_required_error(signatures, handle)
    if signature not in signatures:
        raise errors.UnknownSignatureError(
            f"Unknown signature {signature!r} in {handle!r} (available signatures: "
            f"{sorted(signatures.keys())}). Received: signature={signature!r}",
            available=sorted(signatures.keys()),
        )
    return signatures[signature]


def _signature_required_error(signatures: Any, handle: Any) -> errors.SignatureRequiredError:
    """The error for a model that is not callable, loaded without `signature`: names its
    signatures and suggests the call `_arguments.signature_call` chooses (the one the starter
    doc, the model page and `tfhub inspect` show): its serving signature (else the first by
    name) with `output_key=` for one output, else `signature_outputs_as_dict=True`."""
    call = _arguments.signature_call(
        {
            name: _arguments.output_names(getattr(function, "structured_outputs", None))
            for name, function in signatures.items()
        },
        preferred="serving_default",
    )
    shown = ", ".join(call.keywords())
    if len(call.outputs) > 1:
        shown += f" (its outputs: {list(call.outputs)})"
    return errors.SignatureRequiredError(
        "Signature name has to be specified for non-callable saved models (if not legacy "
        f"TF1 Hub format). The object loaded from {handle!r} is not callable (a Keras "
        "model saved with tf.saved_model.save or exported with model.export is not): pass "
        f"one of its signatures ({sorted(signatures.keys())}) as `signature=` and the "
        "output to return as `output_key=` (or `signature_outputs_as_dict=True` for all its "
        f"outputs), e.g. {shown}. Received: signature=None",
        available=sorted(signatures.keys()),
        suggested=(
            None
            if call.signature is None or call.output_key is None
            else (call.signature, call.output_key)
        ),
    )

"""Checks of the KerasLayer arguments, shared by both flavours, and the call to suggest for a
model that is not callable (`signature_call`, which hub/keras_call.py shows too; no TensorFlow
needed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from .. import errors
from ..utils.redact import redact

logger = logging.getLogger(__name__)

TF1_DEFAULT_SIGNATURE = "default"
TF1_DEFAULT_OUTPUT = "default"


def check_sentinel(sentinel: Any) -> None:
    """Raises ArgumentError (a ValueError) if an argument after `arguments` came positionally."""
    if sentinel is not None:
        raise errors.ArgumentError(
            "hub.KerasLayer takes `handle`, `trainable` and `arguments` positionally; "
            f"pass the rest by keyword. Received: _sentinel={sentinel!r}"
        )


def check_signature_name(signature: Any, *, available: list[str]) -> str | None:
    """Returns the signature to call: `signature`, or None (call the object itself) for None
    or an empty string, as upstream, which tested `if signature` (and left an empty one out of
    the config).

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError, as upstream's "unhashable type", and a
            ValueError) a `signature` that is not a string; the message lists `available`.
    """
    if signature is None or signature == "":
        return None
    if not isinstance(signature, str):
        raise errors.ArgumentTypeError(
            f"`signature` names one of the model's signatures ({available}): pass that name as "
            f"a string. Received: signature={signature!r}"
        )
    return signature


def check_output_options(
    *,
    is_hub_module_v1: bool,
    signature: str | None,
    signature_outputs_as_dict: bool | None,
    output_key: str | None,
    outputs: list[str] | None = None,
) -> tuple[str | None, bool | None, str | None]:
    """Applies the TF1 defaults and checks the signature/output arguments.

    `outputs`, the signature's output names if known, are named in the error.

    Returns:
        (signature, signature_outputs_as_dict, output_key) after defaults.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) if `signature` comes without exactly one
            of `output_key` and `signature_outputs_as_dict`, or `signature_outputs_as_dict`
            without a signature.
    """
    if is_hub_module_v1:
        signature = signature or TF1_DEFAULT_SIGNATURE
        if not signature_outputs_as_dict:
            output_key = output_key or TF1_DEFAULT_OUTPUT
    if signature and (output_key is not None) == bool(signature_outputs_as_dict):
        named = f" Its outputs: {outputs}." if outputs else ""
        if output_key is not None:  # And signature_outputs_as_dict: both given.
            named = f" Set one of them, not both.{named}"
        raise errors.ArgumentError(
            "When using a signature, either output_key or signature_outputs_as_dict=True "
            f"should be set.{named} Received: signature={signature!r}, output_key="
            f"{output_key!r}, signature_outputs_as_dict={signature_outputs_as_dict!r}"
        )
    if not signature and signature_outputs_as_dict:
        raise errors.ArgumentError(
            "signature_outputs_as_dict is only valid if specifying a signature (or using a "
            "legacy TF1 Hub format). Received: signature=None, signature_outputs_as_dict=True"
        )
    return signature, signature_outputs_as_dict, output_key


def check_arguments(arguments: dict[str, Any] | None) -> dict[str, Any]:
    """Returns a copy of `arguments`; it must be a dict (JSON-ness is checked on save)."""
    if arguments is None:
        return {}
    if not isinstance(arguments, dict):
        raise errors.ArgumentError(f"`arguments` must be a dict. Received: arguments={arguments!r}")
    return dict(arguments)


def warn_if_training_given(arguments: dict[str, Any], *, handle: Any) -> None:
    """Warns once per layer if `arguments` gives `training` to a function that the layer passes
    `training` to itself: the layer's value wins, as upstream's layer let it (its call's
    `functools.partial` keywords gave way to its own `training=`), so the value given is
    ignored."""
    if "training" in arguments:
        logger.warning(
            "hub.KerasLayer(%s): `arguments` gives training=%r, which the layer passes itself "
            "to the model's __call__ (the call's `training` while the layer is trainable, else "
            "False), so the value given is ignored, as upstream's layer ignored it. Leave it "
            "out of `arguments`; to keep the model in inference mode, keep trainable=False.",
            redact(repr(handle)),  # Without the credentials a URL may carry.
            arguments["training"],
        )


def check_arguments_taken(
    arguments: dict[str, Any], parameters: Any, *, handle: Any, signature: str | None
) -> None:
    """Raises if the function a layer calls takes some of `arguments` by no parameter of that
    name, or needs a parameter besides its input that `arguments` lacks (TensorFlow would say
    so only at the first call, naming neither the layer nor what it takes). `parameters`:
    the function's `hub_callable.FunctionParameters` (names, required).

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError, as TensorFlow's at the call, and a
            ValueError) naming the arguments it does not take, or those it lacks.
    """
    target = f"signature {signature!r}" if signature else "the model's __call__"
    unknown = sorted(set(arguments) - set(parameters.names))
    if unknown:
        raise errors.ArgumentTypeError(
            f"`arguments` names {unknown}, which {target} of {handle!r} does not take: it "
            f"takes {parameters.names}. Pass only those. Received: arguments={arguments!r}"
        )
    # A signature takes its inputs by name (they come in the call's dict); a __call__ takes
    # its input first: any other parameter without a default must come from `arguments`.
    given_by_call = {parameters.names[0], "training"}  # The input, and what the layer passes.
    needed = [] if signature else [n for n in parameters.required if n not in given_by_call]
    missing = [name for name in needed if name not in arguments]
    if missing:
        raise errors.ArgumentTypeError(
            f"{target} of {handle!r} needs {missing} besides its input: pass "
            f"arguments={{{', '.join(f'{name!r}: ...' for name in missing)}}}. Received: "
            f"arguments={arguments!r}"
        )


def output_names(outputs: Any) -> list[str]:
    """The sorted names of a signature's `structured_outputs` ([] if not a dict)."""
    return sorted(outputs) if isinstance(outputs, dict) else []


def suggested_signature(outputs_by_signature: dict[str, list[str]]) -> tuple[str, list[str]]:
    """The signature to suggest for a model that is not callable, and its output names: the
    serving signature if there is one, else the first by name. `outputs_by_signature` must not
    be empty."""
    name = (
        "serving_default"
        if "serving_default" in outputs_by_signature
        else sorted(outputs_by_signature)[0]
    )
    return name, outputs_by_signature[name]


@dataclass(frozen=True)
class KerasCall:
    """The keyword arguments hub.KerasLayer needs besides the handle (none: the handle alone).

    `outputs` are the chosen signature's output names (empty without a signature). `tags`: the
    tag set of a TF1 Hub module's graph that holds the signature, when it is not the default
    (empty) one hub.KerasLayer loads without `tags=` (None: that one; only with a signature).
    """

    signature: str | None = None
    output_key: str | None = None
    outputs_as_dict: bool = False
    outputs: tuple[str, ...] = ()
    tags: tuple[str, ...] | None = None

    def keywords(self) -> list[str]:
        """The keyword arguments as Python text, e.g. `["signature='s'", "output_key='y'"]`,
        and `"tags={'train'}"` (a set, as hub.KerasLayer takes it) if `tags`; [] for the
        handle alone.

        Each name is written by `repr`, which Python reads back as the same name whatever it
        holds (json.dumps writes a character outside the BMP as a surrogate pair, which Python
        reads as two lone surrogates), on one line (repr escapes a line break, so a name
        cannot end a Markdown code block: a fence closes only on a line of its own).
        """
        if self.signature is None:
            return []
        words = [f"signature={self.signature!r}"]
        if self.output_key is not None:
            words.append(f"output_key={self.output_key!r}")
        else:
            words.append("signature_outputs_as_dict=True")
        if self.tags is not None:
            words.append(f"tags={{{', '.join(repr(tag) for tag in self.tags)}}}")
        return words


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


def check_output_key(outputs: Any, output_key: str) -> None:
    """Raises UnknownOutputKeyError early if a signature's known outputs lack `output_key`."""
    if isinstance(outputs, dict) and output_key not in outputs:
        raise errors.UnknownOutputKeyError(
            f"KerasLayer output does not contain the output key {output_key!r} (available: "
            f"{sorted(outputs)}). Received: output_key={output_key!r}",
            available=sorted(outputs),
        )

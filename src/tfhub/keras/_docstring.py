"""The class docstring of both `hub.KerasLayer` flavours: upstream's arguments and what the
layer promises, written once."""

from __future__ import annotations

from . import _compat

_DOCSTRING = """Wraps a SavedModel (TF2 or TF1 Hub format), or a callable, as {what}.

    The arguments are upstream's; see also `docs/keras.md`.{note}

    Args:
        handle: a string for `hub.load` (path, URL, ...; required to save the layer's config) or
            a callable following the conventions: one positional input (tensor, list or dict),
            `training=` if it accepts one, optional `variables`, `trainable_variables` and
            `regularization_losses` (zero-argument callables) attributes.
        trainable: report the model's trainable variables as trainable weights, add its
            regularization losses, and pass `training` through.
        arguments: extra keyword arguments for every call; JSON-serializable to save the layer.
        _sentinel: blocks further positional arguments.
        tags: the MetaGraph's tags (TF1 Hub modules default to the empty set); a string is
            one tag, as for `tf.saved_model.load`.
        signature: call this signature instead of the object (TF1 modules: `default`).
        signature_outputs_as_dict: return the signature's whole dict of outputs.
        output_key: return this output of a dict of outputs (TF1 modules: `default`).
        output_shape: the output shape(s) without the batch size, nested like the outputs.
        load_options: a `tf.saved_model.LoadOptions` for a string handle.
        **kwargs: Keras Layer arguments (`input_shape`, `dtype`, `name`, ...).

    Attributes (stable, for code that builds on the layer, e.g. `hub.export_layer`):
        resolved_object: what `hub.load(handle)` returned (or the callable passed).
        hub_callable: a `tfhub.keras.hub_callable.HubCallable`: `.fn` is the function the layer
            calls, `.signature`/`.output_key` the chosen endpoint, `.arguments` the extra kwargs.
        handle: the handle string (or callable) the layer was built from.
        output_shape_spec: the `output_shape` as a nest of `tf.TensorShape` (or None).

    Raises:
        ValueError: a `signature` without exactly one of `output_key` and
            `signature_outputs_as_dict`, a callable `handle` with `tags` or `load_options`, or
            a non-dict `arguments`.
        tfhub.errors.ArgumentTypeError: (a ValueError and a TypeError) a keyword argument
            Keras's Layer refuses, such as one it does not know.
        tfhub.errors.UnknownSignatureError: `signature` is not one of the model's signatures.
        tfhub.errors.UnknownOutputKeyError: the signature has no output `output_key`.
    """

FLAVOUR_NAMES: dict[_compat.Flavour, str] = {"keras3": "Keras 3", "tf_keras": "tf_keras"}


def layer_docstring(flavour: _compat.Flavour, *, note: str = "") -> str:
    """The class docstring of the KerasLayer of `flavour` (`note`: an extra paragraph)."""
    return _DOCSTRING.format(
        what=f"a {FLAVOUR_NAMES[flavour]} layer", note=note and f"\n    {note}"
    )

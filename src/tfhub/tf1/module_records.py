"""What a module_fn records in its graph, and how a MetaGraphDef stores it: signatures
(`add_signature`, one SignatureDef each) and attached messages (`attach_bytes`, serialized
`ModuleAttachment` protos in the `hub_module_attachments` collection, a bytes_list).

Inside a module_fn they are collected in graph collections with tuple keys, which stay invisible
to `get_all_collection_keys()` and thus to user code; `SavedModelHandler.add_graph_copy`
(`saved_model_lib.py`) writes them into the MetaGraphDef of each graph variant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _tf_private, errors
from ..protos import ModuleAttachment
from ..saved_model_proto import damaged_model_error
from ..utils.lazy import tensorflow as tf

SIGNATURE_COLLECTION = ("__saved_model_lib_signatures",)
ATTACHMENT_COLLECTION_INTERNAL = ("__hub_module_attachments",)
ATTACHMENT_COLLECTION_SAVED = "hub_module_attachments"


def add_signature(key: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> None:
    """Records a signature in the current graph (read back by `SavedModelHandler`).

    Raises:
        tfhub.errors.SignatureValueTypeError: (a TypeError, as upstream) if a value is not a
            Tensor or composite tensor, or is one of another graph.
        tfhub.errors.EagerSignatureValueError: (a SignatureValueTypeError and upstream's
            AttributeError) for an eager tensor (made outside the module_fn).
    """
    for kind, tensors in (("inputs", inputs), ("outputs", outputs)):
        for name, value in tensors.items():
            if not isinstance(value, tf.Tensor | tf.SparseTensor | tf.RaggedTensor):
                raise errors.SignatureValueTypeError(
                    f"Value for key '{name}' should be a Tensor or CompositeTensor object, found "
                    f"{type(value)}. (Signature {key!r}: {kind}[{name!r}] should have one of the "
                    "types tf.Tensor, tf.SparseTensor or tf.RaggedTensor; for a tf.Variable pass "
                    f"variable.value().) Received: {name}={value!r}"
                )
            _check_of_this_graph(key, kind, name, value)
    signature = tf.compat.v1.saved_model.signature_def_utils.build_signature_def(
        {name: _tf_private.build_tensor_info(t) for name, t in inputs.items()},
        {name: _tf_private.build_tensor_info(t) for name, t in outputs.items()},
    )
    tf.compat.v1.add_to_collection(SIGNATURE_COLLECTION, (key, signature))


def _check_of_this_graph(key: str, kind: str, name: str, value: Any) -> None:
    """Refuses a signature value whose tensors are not of the graph being built: an eager
    tensor, or one of another graph (the SignatureDef records only a tensor's name, which
    would find the module graph's own tensor of that name, or none).

    Raises:
        tfhub.errors.EagerSignatureValueError: (also upstream's AttributeError) for an eager
            tensor, naming the signature, the key and the tensor.
        tfhub.errors.SignatureValueTypeError: likewise for a tensor of another graph.
    """
    graph = tf.compat.v1.get_default_graph()
    for tensor in tf.nest.flatten(value, expand_composites=True):
        # An eager tensor's `.graph` raises AttributeError ("undefined when eager ...").
        tensor_graph = getattr(tensor, "graph", None)
        if tensor_graph is graph:
            continue
        eager = tensor_graph is None
        what = "an eager tensor" if eager else "a tensor of another graph"
        error_class = errors.EagerSignatureValueError if eager else errors.SignatureValueTypeError
        raise error_class(
            f"Value for key '{name}' of signature {key!r} ({kind}) is {what}: a signature's "
            "tensors must be made inside the module_fn, in the graph hub.create_module_spec "
            "builds (e.g. move the tf.constant(...) into the module_fn). "
            f"Received: {name}={value!r}"
        )


def attach_bytes(key: str, the_bytes: bytes) -> None:
    """Records an attached message (serialized) in the current graph."""
    tf.compat.v1.add_to_collection(ATTACHMENT_COLLECTION_INTERNAL, (key, the_bytes))


def get_attached_bytes_map(meta_graph: Any, *, source: str | None = None) -> dict[str, bytes]:
    """Returns the attached messages {key: serialized bytes} stored in `meta_graph` (of the
    module folder `source`, if read from one: it names it in errors).

    Raises:
        tfhub.errors.TFHubLoadError: if the attachments collection is not a bytes_list.
        tfhub.errors.DamagedMessageError: (a DamagedModelError and, as upstream raised,
            protobuf's DecodeError) if an attachment cannot be parsed.
    """
    if ATTACHMENT_COLLECTION_SAVED not in meta_graph.collection_def:
        return {}
    collection_def = meta_graph.collection_def[ATTACHMENT_COLLECTION_SAVED]
    where = f" (in the module at {source})" if source else ""
    if collection_def.WhichOneof("kind") != "bytes_list":
        raise errors.TFHubLoadError(
            f"The collection of attached messages must be a bytes_list{where}. "
            f"Received: kind={collection_def.WhichOneof('kind')!r}"
        )
    result = {}
    for index, value in enumerate(collection_def.bytes_list.value):
        try:
            attachment = ModuleAttachment.FromString(value)
        except Exception as err:  # protobuf's DecodeError and friends.
            tags = sorted(meta_graph.meta_info_def.tags)
            problem = (
                f"saved_model.pb's attached message #{index} ({len(value)} bytes, "
                f"{ATTACHMENT_COLLECTION_SAVED} of the graph variant tags={tags!r}) is damaged"
            )
            raise damaged_message_error(source, problem) from err
        result[attachment.key] = attachment.value
    return result


def damaged_message_error(
    path: str | None, problem: str, *, handle: str | None = None
) -> errors.DamagedModelError:
    """The error for a module file protobuf cannot parse: a `DamagedMessageError`, both a
    DamagedModelError (worded as `damaged_model_error` words it) and, as upstream let it
    through, protobuf's DecodeError. `path` None: a module built in memory."""
    if path is None:
        message = f"The module built in memory is damaged: {problem}. Build it again."
        found = errors.DamagedModelError(message, path="", problem=problem)
    else:
        found = damaged_model_error(path, problem, handle=handle)
    error: errors.DamagedModelError = errors.DamagedMessageError(
        str(found), path=found.path, problem=found.problem
    )
    return error


def export_signatures(graph: Any, meta_graph: Any) -> None:
    """Copies the signatures `graph`'s module_fn added into `meta_graph`'s SignatureDefs.

    Raises:
        tfhub.errors.ModuleSpecError: if it added none, or two of one name.
    """
    named_signatures = graph.get_collection(SIGNATURE_COLLECTION)
    where = f"the graph variant tags={sorted(meta_graph.meta_info_def.tags)!r}"
    if not named_signatures:
        raise errors.ModuleSpecError(
            "No signatures present. Please call hub.add_signature(...) at least once in the "
            f"module_fn. (It added none when building {where}.)"
        )
    seen: set[str] = set()
    for key, signature in named_signatures:
        if key in seen:
            raise errors.ModuleSpecError(
                f"hub.add_signature() was called twice with the same name in one module_fn "
                f"(building {where}). Received: name={key!r}"
            )
        seen.add(key)
        meta_graph.signature_def[key].CopyFrom(signature)


def export_attachments(graph: Any, meta_graph: Any) -> None:
    """Stores the messages `graph`'s module_fn attached in `meta_graph` (the last one of a key
    wins); nothing if it attached none."""
    added = graph.get_collection(ATTACHMENT_COLLECTION_INTERNAL)
    if not added:
        return
    unique = dict(added)  # The last value for a key wins, first insertion order kept.
    meta_graph.collection_def[ATTACHMENT_COLLECTION_SAVED].bytes_list.value[:] = [
        ModuleAttachment(key=key, value=value).SerializeToString() for key, value in unique.items()
    ]

"""The signature summary of a published model: `<version>.signatures.json` beside its doc.

Computed once at publish (or mirror) time, with TensorFlow, so that a server shows a model's
inputs and outputs without loading it; read back without TensorFlow. The JSON (schema 1)::

    {
      "schema": 1,
      "format": "TF2 SavedModel",        # or "TF1 Hub format", "TF1 SavedModel"
      "doc_format": "saved_model_2",     # the doc's `format` value: saved_model_2, hub, saved_model
      "files_bytes": 1234,               # total size of the model's files
      "variables": {"count": 4, "bytes": 96},
      "meta_graphs": [
        {"tags": ["serve"],
         "signatures": {"serving_default": {
            "inputs":  [{"name": "x", "dtype": "float32", "shape": [null, 3]}],
            "outputs": [{"name": "y", "dtype": "float32", "shape": [null, 2]}]}}}
      ],
      "call": {                          # TF2 only (null otherwise): the restored `__call__`
        "input_signatures": [[{"name": "", "dtype": "float32", "shape": [null, 3]}]],
        "takes_training": true
      },
      "op_libraries": ["tensorflow_text"] # libraries whose ops the model uses (absent: none)
    }

`op_libraries` may name only modules (dotted Python identifiers, as `tfhub.op_libraries`'
libraries are): the model page writes `import <name>` into its snippet, so a crafted file
naming `os; os.system(...)` would put code there. Other names are dropped when the file is read
and kept in `SignatureSummary.refused_op_libraries` for `tfhub validate` to report.

A SparseTensor or RaggedTensor input (what `tfhub inspect` shows as such) also has its "type",
its dtype and shape being the composite's (the values' dtype, the dense shape). A TF2 signature
takes it as its dense components, listed with the signature input key each is passed under::

    {"name": "x", "type": "SparseTensor", "dtype": "float32", "shape": [null, 5],
     "components": [{"key": "x", "part": "indices", "dtype": "int64", "shape": [null, 2]},
                    {"key": "x_1", "part": "values", "dtype": "float32", "shape": [null]},
                    {"key": "x_2", "part": "dense_shape", "dtype": "int64", "shape": [2]}]}

A TF1 Hub module's sparse input has "type" and no "components" (it is fed a SparseTensor). A
dense tensor has neither; summaries written before have neither, and are read as dense.

A shape is a list of dimensions (null: unknown size) or null for an unknown rank. The `__call__`
part is `tfhub.model_info`'s description of it (what `tfhub inspect` shows): each traced input
signature lists its tensors flattened, named by their path in the structure ("a" / "0/b" for
dicts and lists; a single tensor by its TensorSpec name), and `takes_training` says whether
`__call__` takes a `training` argument (as hub.KerasLayer decides). Summaries written before
named a single tensor ""; they are read the same way.
"""

from __future__ import annotations

import json
import keyword
import logging
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import cache, errors, model_info

logger = logging.getLogger(__name__)

SCHEMA = 1
DOC_FORMATS = {
    "TF1 Hub format": "hub",
    "TF1 SavedModel": "saved_model",
    "TF2 SavedModel": "saved_model_2",
}


Shape = tuple[int | None, ...] | None


@dataclass(frozen=True)
class ComponentInfo:
    """One dense component of a TF2 signature's composite input: the signature input key it
    is passed under (`x_1`), which part of the composite it is (`values`), dtype and shape."""

    key: str
    part: str
    dtype: str
    shape: Shape


@dataclass(frozen=True)
class TensorInfo:
    """One input or output: its name (key), dtype name and shape (None: unknown rank).

    A SparseTensor or RaggedTensor input also has its `type` (None: a dense tensor) and, in a
    TF2 signature (which takes it as its dense components), the `components` to pass; its
    dtype and shape are then the composite's (values' dtype, dense shape).
    """

    name: str
    dtype: str
    shape: Shape
    type: str | None = None
    components: tuple[ComponentInfo, ...] = ()


@dataclass(frozen=True)
class SignatureInfo:
    """One signature of a meta graph: its name, inputs and outputs (sorted by name)."""

    name: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]


@dataclass(frozen=True)
class MetaGraphInfo:
    """One meta graph: its tag set (sorted) and signatures (sorted by name)."""

    tags: tuple[str, ...]
    signatures: tuple[SignatureInfo, ...]


@dataclass(frozen=True)
class CallInfo:
    """A TF2 SavedModel's restored `__call__`: its traced input signatures, and `training`."""

    input_signatures: tuple[tuple[TensorInfo, ...], ...]
    takes_training: bool


@dataclass(frozen=True)
class SignatureSummary:
    """What a server shows about a model's interface (see the module docstring for the JSON)."""

    format: str
    doc_format: str
    files_bytes: int
    variable_count: int
    variable_bytes: int
    meta_graphs: tuple[MetaGraphInfo, ...]
    call: CallInfo | None = None
    op_libraries: tuple[str, ...] = ()
    refused_op_libraries: tuple[str, ...] = ()  # Read from a file, not known: not written.
    schema: int = field(default=SCHEMA)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the summary (schema 1)."""
        return {
            "schema": self.schema,
            "format": self.format,
            "doc_format": self.doc_format,
            "files_bytes": self.files_bytes,
            "variables": {"count": self.variable_count, "bytes": self.variable_bytes},
            "meta_graphs": [_meta_graph_json(meta) for meta in self.meta_graphs],
            "call": None if self.call is None else _call_json(self.call),
            "op_libraries": list(self.op_libraries),
        }


def _tensor_json(tensor: TensorInfo) -> dict[str, Any]:
    """A tensor's JSON object; "type" and "components" only for a composite (a dense
    tensor's object is the one older tfhub versions wrote)."""
    data: dict[str, Any] = {"name": tensor.name, "dtype": tensor.dtype}
    data["shape"] = _shape_json(tensor.shape)
    if tensor.type is not None:
        data["type"] = tensor.type
    if tensor.components:
        data["components"] = [
            {**asdict(component), "shape": _shape_json(component.shape)}
            for component in tensor.components
        ]
    return data


def _shape_json(shape: Shape) -> list[int | None] | None:
    return None if shape is None else list(shape)


def _meta_graph_json(meta: MetaGraphInfo) -> dict[str, Any]:
    return {
        "tags": list(meta.tags),
        "signatures": {
            sig.name: {
                "inputs": [_tensor_json(t) for t in sig.inputs],
                "outputs": [_tensor_json(t) for t in sig.outputs],
            }
            for sig in meta.signatures
        },
    }


def _call_json(call: CallInfo) -> dict[str, Any]:
    return {
        "input_signatures": [[_tensor_json(t) for t in sig] for sig in call.input_signatures],
        "takes_training": call.takes_training,
    }


def _tensor(data: dict[str, Any]) -> TensorInfo:
    """A tensor from its JSON object (or `model_info.describe`'s entry, which has the same
    keys); "type" and "components" are optional (summaries written before have neither)."""
    type_name = data.get("type")
    return TensorInfo(
        name=str(data["name"]),
        dtype=str(data["dtype"]),
        shape=_shape(data["shape"]),
        type=None if type_name is None else str(type_name),
        components=tuple(_component(c) for c in data.get("components") or ()),
    )


def _component(data: dict[str, Any]) -> ComponentInfo:
    return ComponentInfo(
        key=str(data["key"]),
        part=str(data["part"]),
        dtype=str(data["dtype"]),
        shape=_shape(data["shape"]),
    )


def _shape(shape: list[Any] | None) -> Shape:
    return None if shape is None else tuple(None if d is None else int(d) for d in shape)


def summary_from_json(data: dict[str, Any]) -> SignatureSummary:
    """Builds a summary from its JSON object.

    Raises:
        KeyError, TypeError, ValueError: if the object does not follow schema 1.
        OverflowError: for a count or dimension that is infinite (JSON's `Infinity`, `1e999`).
    """
    if data.get("schema") != SCHEMA:
        raise ValueError(f"unknown schema {data.get('schema')!r} (this tfhub reads {SCHEMA})")
    metas = tuple(_meta_graph(meta) for meta in data["meta_graphs"])
    call = data.get("call")
    libraries, refused = _op_libraries(data.get("op_libraries") or [])
    return SignatureSummary(
        format=str(data["format"]),
        doc_format=str(data["doc_format"]),
        files_bytes=int(data["files_bytes"]),
        variable_count=int(data["variables"]["count"]),
        variable_bytes=int(data["variables"]["bytes"]),
        meta_graphs=metas,
        call=None if call is None else _call(call),
        op_libraries=libraries,
        refused_op_libraries=refused,
    )


def _meta_graph(meta: dict[str, Any]) -> MetaGraphInfo:
    """A MetaGraphInfo from its JSON object (its tags, and its signatures' tensors)."""
    return MetaGraphInfo(
        tags=tuple(meta["tags"]),
        signatures=tuple(
            SignatureInfo(
                name=name,
                inputs=tuple(_tensor(t) for t in sig["inputs"]),
                outputs=tuple(_tensor(t) for t in sig["outputs"]),
            )
            for name, sig in meta["signatures"].items()
        ),
    )


def _call(call: dict[str, Any]) -> CallInfo:
    """A CallInfo from its JSON object (the `__call__` input signatures, `training`)."""
    return CallInfo(
        input_signatures=tuple(tuple(_tensor(t) for t in sig) for sig in call["input_signatures"]),
        takes_training=bool(call["takes_training"]),
    )


def is_module_name(name: object) -> bool:
    """True if `name` is a dotted Python identifier (`tensorflow_text`, `a.b`), which
    `import <name>` reads as an import and nothing more."""
    if not isinstance(name, str) or not name.isascii():
        return False
    parts = name.split(".")
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in parts)


def _op_libraries(names: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A file's `op_libraries` that are module names, and the others (refused)."""
    if not isinstance(names, list):
        raise ValueError(f"op_libraries must be a list of module names. Received: {names!r}")
    kept = tuple(name for name in names if is_module_name(name))
    return kept, tuple(str(name) for name in names if not is_module_name(name))


def read_summary(path: str | os.PathLike[str]) -> SignatureSummary:
    """Reads a `<version>.signatures.json` file (no TensorFlow needed).

    Args:
        path: the JSON file.

    Returns:
        The summary.

    Raises:
        SignatureSummaryError: if the file is missing, not JSON or not schema 1.
    """
    try:
        with open(path, encoding="utf-8") as file:
            return summary_from_json(json.load(file))
    # OverflowError: int() of an infinite number; RecursionError: arrays nested too deep.
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        OverflowError,
        RecursionError,
    ) as err:
        raise errors.SignatureSummaryError(
            f"Cannot read the signature summary {os.fspath(path)} ({type(err).__name__}: "
            f"{err}); write it again with `tfhub publish --force` or `tfhub mirror`.",
            path=os.fspath(path),
        ) from err


def write_summary(summary: SignatureSummary, path: str | os.PathLike[str]) -> None:
    """Writes the summary as JSON (sorted keys, 1-space indent) atomically."""
    text = json.dumps(summary.to_json(), indent=1, sort_keys=True) + "\n"
    cache.atomic_write_text(os.fspath(path), text)


def _tensors_from_describe(tensors: dict[str, dict[str, Any]]) -> tuple[TensorInfo, ...]:
    """`model_info.describe`'s {key: {dtype, shape[, type, components]}} of a signature."""
    return tuple(_tensor({**spec, "name": name}) for name, spec in sorted(tensors.items()))


def compute_summary(model_dir: str, *, loaded: Any = None) -> SignatureSummary:
    """Computes the summary of a model folder (imports TensorFlow).

    Args:
        model_dir: a TF2 SavedModel, TF1 SavedModel or TF1 Hub module folder.
        loaded: the object `tfhub.load(model_dir)` returned, if the caller loaded it already
            (a TF2 model's `__call__` is then described without loading it again).

    Returns:
        The summary.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder is not a readable model.
    """
    info = model_info.describe(model_dir, loaded=loaded)
    metas = tuple(
        MetaGraphInfo(
            tags=tuple(meta["tags"]),
            signatures=tuple(
                SignatureInfo(
                    name,
                    _tensors_from_describe(sig["inputs"]),
                    _tensors_from_describe(sig["outputs"]),
                )
                for name, sig in meta["signatures"].items()
            ),
        )
        for meta in info["meta_graphs"]
    )
    return SignatureSummary(
        format=info["format"],
        doc_format=DOC_FORMATS[info["format"]],
        files_bytes=int(info["files_bytes"]),
        variable_count=int(info["variables"]["count"]),
        variable_bytes=int(info["variables"]["bytes"]),
        meta_graphs=metas,
        call=_call_info(info.get("reusable")),
        op_libraries=tuple(info["op_libraries"]),
    )


def _call_info(reusable: dict[str, Any] | None) -> CallInfo | None:
    """The summary's `__call__`, from `model_info.describe`'s "reusable" (None without one)."""
    if not reusable or "call" not in reusable:
        return None
    calls = reusable["call"]
    return CallInfo(
        input_signatures=tuple(tuple(_tensor(t) for t in call["inputs"]) for call in calls),
        takes_training=bool(reusable["takes_training"]),
    )

"""`tfhub inspect HANDLE`: format, tags, signatures and variables of a model (uses TensorFlow).

For a TF2 reusable SavedModel it also shows `__call__` (how hub.KerasLayer calls it), the
trainable and non-trainable variables and the regularization losses.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .. import constants
from ..help_text import DOWNLOAD_VARIABLES, environment
from ..hub.keras_call import TF1_HUB_FORMAT, signature_call, tf1_hub_call, why_a_signature
from ..model_info import describe
from ..saved_model import resolve_for_tensorflow
from ._parsers import add_documented_parser, handle_text

INSPECT_ENV = environment(
    *DOWNLOAD_VARIABLES, constants.TF_CPP_MIN_LOG_LEVEL, constants.TFHUB_DEBUG
)


def add_commands(commands: Any) -> None:
    """Adds `tfhub inspect` to the `tfhub` parser."""
    parser = add_documented_parser(
        commands,
        "inspect",
        description="Resolve a handle (downloading it into the cache if needed) and show the "
        "model: its format (TF1 Hub module or TF2 SavedModel), tag sets, signatures with their "
        "inputs and outputs, variables, and the op libraries it needs; for a TF2 reusable "
        "SavedModel also how hub.KerasLayer calls it. Uses TensorFlow.",
        examples="  tfhub inspect https://host/models/m/1\n  tfhub inspect ./my_model --json",
        environment=INSPECT_ENV,
    )
    parser.add_argument("handle", type=handle_text)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_inspect)


def _format_reusable(reusable: dict[str, Any]) -> list[str]:
    if "error" in reusable:
        return [f"__call__: {reusable['error']}"]
    lines = ["__call__ (what hub.KerasLayer and hub.load(handle)(...) call):"]
    for call in reusable["call"]:
        args = [
            f"{i['name']}: {i['dtype']} shape={'unknown' if i['shape'] is None else i['shape']}"
            for i in call["inputs"]
        ]
        if call["training"] is None:
            args.append("(no training argument)")
        else:
            args.append("training=" + "|".join(str(value) for value in call["training"]))
        lines.append(f"  ({', '.join(args)})")
    for kind, label in (
        ("trainable_variables", "trainable"),
        ("non_trainable_variables", "non-trainable"),
    ):
        totals = reusable[kind]
        lines.append(f"{label} variables: {totals['count']} ({totals['bytes']} bytes)")
    losses = reusable["regularization_losses"]
    shown = ", ".join(f"{v:.6g}" if isinstance(v, float) else v for v in losses)
    lines.append(f"regularization losses: {len(losses)}" + (f" ({shown})" if losses else ""))
    return lines


def _not_callable(meta_graphs: list[dict[str, Any]]) -> str:
    """The line for a SavedModel without `__call__` (a Keras 3 `model.export`, a TF1 one): how
    hub.KerasLayer takes it, a call that runs as printed: `output_key=` for a signature with
    one output, `signature_outputs_as_dict=True` for one with several (or none), which
    hub.KerasLayer refuses to call without either."""
    signatures = {name: sig for meta in meta_graphs for name, sig in meta["signatures"].items()}
    if not signatures:
        return "__call__: none (not callable, and no signatures: hub.KerasLayer cannot use it)"
    call = signature_call(
        {key: sorted(signature["outputs"]) for key, signature in signatures.items()},
        preferred="serving_default",
    )
    keywords = ", ".join(call.keywords())
    return f"__call__: none (not callable): hub.KerasLayer(handle, {keywords}) calls a signature"


def is_callable(info: dict[str, Any]) -> bool | None:
    """Whether `describe`'s model has a `__call__` (a TF2 reusable SavedModel): what
    `hub.load(handle)(...)` and `hub.KerasLayer(handle)` without `signature=` call; None (not
    known) if `describe` could not load it (`reusable` is {"error": ...}: a missing op
    library, a damaged file), which says nothing of its `__call__`."""
    reusable = info.get("reusable", {})
    if "error" in reusable:
        return None
    return "call" in reusable


def hints(info: dict[str, Any]) -> list[str]:
    """What the text output adds on how to call `describe`'s model: for a SavedModel without
    `__call__` (TF2 or TF1 SavedModel) the hub.KerasLayer call that uses a signature
    (`_not_callable`); for a TF1 Hub module that the handle alone does not call, the call the
    model page and starter doc show (`_tf1_hub_call`); else none."""
    if info["format"] == TF1_HUB_FORMAT:
        return _tf1_hub_call(info["meta_graphs"])
    if "reusable" in info or info["format"] not in ("TF2 SavedModel", "TF1 SavedModel"):
        return []
    return [_not_callable(info["meta_graphs"])]


def _tf1_hub_call(meta_graphs: list[dict[str, Any]]) -> list[str]:
    """The line for a TF1 Hub module whose default signature (of its default tag set) has no
    `default` output: the hub.KerasLayer call of `keras_call.tf1_hub_call`; [] for a module
    the handle alone calls, or one without signatures."""
    graphs = [
        (meta["tags"], {name: sorted(sig["outputs"]) for name, sig in meta["signatures"].items()})
        for meta in meta_graphs
    ]
    call = tf1_hub_call(graphs)
    if call is None or not call.keywords():
        return []
    keywords = ", ".join(call.keywords())
    why = why_a_signature(call, tf1_hub=True)
    return [f"{why}: hub.KerasLayer(handle, {keywords}) calls a signature"]


def with_call_fields(info: dict[str, Any]) -> dict[str, Any]:
    """`describe`'s result for `--json`: its keys as they are, then "callable"
    (`is_callable`: true, false, or null when not known) and "hints" (`hints`: the lines the
    text output adds)."""
    return {**info, "callable": is_callable(info), "hints": hints(info)}


def _variables_line(variables: dict[str, Any]) -> str:
    """`variables: N (B bytes)`, and what the checkpoint stores when it holds more than the
    model lists (a Keras 3 `model.export` stores a copy of each variable)."""
    line = f"variables: {variables['count']} ({variables['bytes']} bytes)"
    stored = variables.get("stored")
    if stored is None:
        return line
    outside = stored["count"] - variables["count"]
    return (
        f"{line}; its checkpoint stores {stored['count']} ({stored['bytes']} bytes): "
        f"{outside} outside the model's `variables` list"
    )


def _tensor_text(spec: dict[str, Any]) -> str:
    """`float32 shape=[None, 3]`; `SparseTensor float32 shape=[None, 5]` for a composite, with
    the inputs a TF2 signature takes in its place: `(passed as 'x' indices, 'x_1' values, ...)`."""
    shape = "unknown" if spec["shape"] is None else spec["shape"]
    text = f"{spec['dtype']} shape={shape}"
    if "type" in spec:
        text = f"{spec['type']} {text}"
    if spec.get("components"):
        parts = ", ".join(f"{part['key']!r} {part['part']}" for part in spec["components"])
        text += f" (passed as {parts})"
    return text


def format_text(info: dict[str, Any]) -> str:
    """Renders `describe`'s result for people."""
    lines = [f"path: {info['path']}", f"format: {info['format']}"]
    if info["op_libraries"]:
        libraries = ", ".join(info["op_libraries"])
        lines.append(f"uses ops of: {libraries} (imported by tfhub when installed)")
    if "reusable" in info:
        lines += _format_reusable(info["reusable"])
    lines += hints(info)  # A model used by a signature: how hub.KerasLayer calls it.
    for meta in info["meta_graphs"]:
        lines.append(f"tags: {meta['tags']}")
        for name, sig in meta["signatures"].items():
            lines.append(f"  signature {name!r}:")
            if "note" in sig:
                lines.append(f"    ({sig['note']})")
            for kind in ("inputs", "outputs"):
                for key, spec in sig[kind].items():
                    lines.append(f"    {kind[:-1]} {key!r}: {_tensor_text(spec)}")
    lines.append(_variables_line(info["variables"]))
    lines.append(f"files: {info['files_bytes']} bytes")
    return "\n".join(lines)


def run_inspect(args: argparse.Namespace) -> int:
    """Resolves the handle and prints its description.

    The folder is resolved as for TensorFlow: one whose path is not UTF-8 is refused with
    `ModelPathEncodingError`, as `hub.load` refuses it (TensorFlow opens UTF-8 names only).
    """
    info = describe(resolve_for_tensorflow(args.handle))
    print(json.dumps(with_call_fields(info), indent=1) if args.json else format_text(info))
    return 0

"""`tfhub inspect HANDLE`: format, tags, signatures and variables of a model (uses TensorFlow)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from .. import cache, errors, saved_model
from ..saved_model import resolve
from ..utils.lazy import import_tensorflow


def add_commands(commands: Any) -> None:
    """Adds `tfhub inspect` to the `tfhub` parser."""
    parser = commands.add_parser("inspect", help="show a model's format, signatures, variables")
    parser.add_argument("handle")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_inspect)


def _shape(shape_proto: Any) -> list[int | None] | None:
    if shape_proto.unknown_rank:
        return None
    return [None if dim.size < 0 else int(dim.size) for dim in shape_proto.dim]


def _tensors(tensor_map: Any, tf: Any) -> dict[str, dict[str, Any]]:
    return {
        key: {
            "dtype": tf.dtypes.as_dtype(info.dtype).name if info.dtype else "composite",
            "shape": _shape(info.tensor_shape),
        }
        for key, info in sorted(tensor_map.items())
    }


def _variables(module_path: str, tf: Any) -> dict[str, int]:
    prefix = os.path.join(module_path, "variables", "variables")
    if not os.path.exists(prefix + ".index"):
        return {"count": 0, "bytes": 0}
    try:
        reader = tf.train.load_checkpoint(prefix)
    except tf.errors.OpError as err:
        raise errors.TFHubLoadError(
            f"Cannot read the variables of {module_path} ({type(err).__name__}: {err.message}); "
            "the folder is damaged: remove it from the cache (`tfhub cache rm`) and resolve again."
        ) from err
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    count = size = 0
    for name, shape in shapes.items():
        if name == "_CHECKPOINTABLE_OBJECT_GRAPH":
            continue
        count += 1
        elements = 1
        for dim in shape:
            elements *= int(dim)
        dtype = dtypes[name]
        size += elements * (dtype.size if dtype != tf.string else 0)
    return {"count": count, "bytes": size}


def describe(module_path: str) -> dict[str, Any]:
    """Returns what a model folder holds: format, meta graphs (tags, signatures), variables.

    Args:
        module_path: a resolved model folder.

    Returns:
        A JSON-serializable dict.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder holds no readable saved_model.pb.
    """
    tf = import_tensorflow("tfhub inspect")
    proto = saved_model.read_saved_model_proto(module_path)  # Clear error for non-SavedModels.
    is_tf1 = saved_model.is_tf1_hub_module(module_path)
    is_tf2 = any(meta.HasField("object_graph_def") for meta in proto.meta_graphs)
    meta_graphs = []
    for meta in proto.meta_graphs:
        signatures = {
            name: {"inputs": _tensors(sig.inputs, tf), "outputs": _tensors(sig.outputs, tf)}
            for name, sig in sorted(meta.signature_def.items())
            if not name.startswith("__")  # __saved_model_init_op: not callable.
        }
        meta_graphs.append({"tags": sorted(meta.meta_info_def.tags), "signatures": signatures})
    return {
        "path": module_path,
        "format": "TF1 Hub format"
        if is_tf1
        else ("TF2 SavedModel" if is_tf2 else "TF1 SavedModel"),
        "files_bytes": sum(cache.list_files(module_path).values()),
        "meta_graphs": meta_graphs,
        "variables": _variables(module_path, tf),
    }


def format_text(info: dict[str, Any]) -> str:
    """Renders `describe`'s result for people."""
    lines = [f"path: {info['path']}", f"format: {info['format']}"]
    for meta in info["meta_graphs"]:
        lines.append(f"tags: {meta['tags']}")
        for name, sig in meta["signatures"].items():
            lines.append(f"  signature {name!r}:")
            for kind in ("inputs", "outputs"):
                for key, spec in sig[kind].items():
                    shape = "unknown" if spec["shape"] is None else spec["shape"]
                    lines.append(f"    {kind[:-1]} {key!r}: {spec['dtype']} shape={shape}")
    variables = info["variables"]
    lines.append(f"variables: {variables['count']} ({variables['bytes']} bytes)")
    lines.append(f"files: {info['files_bytes']} bytes")
    return "\n".join(lines)


def run_inspect(args: argparse.Namespace) -> int:
    """Resolves the handle and prints its description."""
    info = describe(resolve(args.handle))
    print(json.dumps(info, indent=1) if args.json else format_text(info))
    return 0

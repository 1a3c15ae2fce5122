"""What a model folder holds: format, meta graphs (tags, signatures), variables (uses TensorFlow).

One home for describing a model: `tfhub inspect` prints it, the private hub's signature summary
(`tfhub.hub.signatures`) stores it. For a TF2 reusable SavedModel it also describes `__call__`
(how hub.KerasLayer calls it), the trainable and non-trainable variables and the regularization
losses.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from . import (
    asset_names,
    cache,
    errors,
    gfile_io,
    model_damage,
    op_libraries,
    saved_model,
    saved_model_proto,
)
from .model_signature_info import signature_inputs, spec_entry, tensors
from .utils.lazy import import_tensorflow


def _variables(module_path: str, tf: Any, object_graph: Any = None) -> dict[str, Any]:
    """{count, bytes} of the variables as loading the model lists them (`_listed_variables`),
    with "stored": {count, bytes} of the checkpoint's variables when it holds more (a Keras 3
    `model.export` stores a copy of each in `_all_variables`); else the checkpoint's.

    Raises:
        tfhub.errors.DamagedModelError: if the checkpoint cannot be read.
    """
    stored = _checkpoint_variables(module_path, tf)
    listed = None if object_graph is None else _listed_variables(object_graph, tf)
    if listed is None or listed == stored:
        return stored
    return {**listed, "stored": stored}


def _listed_variables(object_graph: Any, tf: Any) -> dict[str, int] | None:
    """{count, bytes} of the distinct variables the root's `variables` list names in a TF2
    SavedModel's object graph: what `tf.saved_model.load(path).variables` holds (and
    hub.KerasLayer adopts); None if the root lists none."""
    if not object_graph.nodes:
        return None
    nodes = object_graph.nodes
    listed = next((c.node_id for c in nodes[0].children if c.local_name == "variables"), None)
    if listed is None or nodes[listed].WhichOneof("kind") != "user_object":
        return None
    ids = {c.node_id for c in nodes[listed].children}
    found = [nodes[i].variable for i in sorted(ids) if nodes[i].WhichOneof("kind") == "variable"]
    if not found:
        return None
    size = 0
    for variable in found:
        dtype = tf.dtypes.as_dtype(variable.dtype)
        elements = math.prod(max(int(dim.size), 0) for dim in variable.shape.dim)
        size += 0 if variable.shape.unknown_rank or dtype == tf.string else elements * dtype.size
    return {"count": len(found), "bytes": size}


def _checkpoint_variables(module_path: str, tf: Any) -> dict[str, int]:
    """{count, bytes} of the variables the checkpoint in variables/ stores (strings: 0 bytes).

    Raises:
        tfhub.errors.DamagedModelError: if the checkpoint cannot be read.
    """
    prefix = os.path.join(module_path, "variables", "variables")
    if not gfile_io.exists(prefix + ".index"):  # Also gs://, ram://, ... folders (bounded).
        return {"count": 0, "bytes": 0}
    try:
        reader = gfile_io.checkpoint_reader(prefix)  # No folder lookup (ram://).
    except tf.errors.OpError as err:
        problem = f"its checkpoint in variables/ cannot be read ({err.message.strip()})"
        raise saved_model_proto.damaged_model_error(module_path, problem) from err
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


def _flatten_with_paths(value: Any, path: str) -> list[tuple[str, Any]]:
    """[(path like "a/0", leaf)] of nested dicts, lists and tuples."""
    if isinstance(value, dict):
        items: Any = sorted(value.items())
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return [(path, value)]
    result = []
    for key, item in items:
        result += _flatten_with_paths(item, f"{path}/{key}" if path else str(key))
    return result


def _call_inputs(args: tuple[Any, ...], kwargs: dict[str, Any], tf: Any) -> tuple[list, Any]:
    """Returns ([{name, dtype, shape}, with "type" for a SparseTensor or RaggedTensor],
    training value or None) of one traced `__call__`."""
    inputs: list[dict[str, Any]] = []
    training = kwargs.get("training")
    for index, arg in enumerate(args):
        if isinstance(arg, bool):
            training = arg  # Traced as a Python constant: training=False / True.
            continue
        for path, spec in _flatten_with_paths(arg, ""):
            if isinstance(spec, tf.TypeSpec) and hasattr(spec, "shape"):
                name = path or getattr(spec, "name", None) or f"arg{index}"
                inputs.append({"name": name, **spec_entry(spec, tf)})
    for key, value in sorted(kwargs.items()):
        if key != "training" and hasattr(value, "shape"):
            inputs.append({"name": key, **spec_entry(value, tf)})
    return inputs, training


def _call_signatures(obj: Any, tf: Any) -> list[dict[str, Any]]:
    """The traced input signatures of `obj.__call__`, one per input structure.

    Each: {"inputs": [...], "training": [False, True] (the traced values) or None when
    `__call__` takes no `training` argument}.
    """
    grouped: dict[str, dict[str, Any]] = {}
    for function in getattr(obj.__call__, "concrete_functions", []):
        args, kwargs = function.structured_input_signature
        inputs, training = _call_inputs(tuple(args), dict(kwargs), tf)
        entry = grouped.setdefault(json.dumps(inputs), {"inputs": inputs, "training": None})
        if training is not None:
            entry["training"] = sorted({*(entry["training"] or []), bool(training)})
    return list(grouped.values())


def _variable_totals(variables: Any) -> dict[str, int]:
    count = size = 0
    for variable in variables:
        count += 1
        size += int(variable.shape.num_elements() or 0) * variable.dtype.size
    return {"count": count, "bytes": size}


def _regularization_losses(obj: Any) -> list[float | str]:
    """The value of each regularization loss; "nan", "inf" or "-inf" for one that is not finite
    (JSON has no such numbers: `json.dumps` wrote NaN, which JSON parsers refuse), or why it
    cannot be computed."""
    values: list[float | str] = []
    for loss in getattr(obj, "regularization_losses", None) or []:
        try:
            value = float(loss())
        except Exception as err:  # A loss that cannot run eagerly: say so, keep going.
            values.append(f"cannot be computed: {type(err).__name__}")
            continue
        values.append(value if math.isfinite(value) else str(value))
    return values


def describe_reusable(module_path: str, *, loaded: Any = None) -> dict[str, Any] | None:
    """Describes a TF2 reusable SavedModel's `__call__`, variables and regularization losses.

    These are what hub.KerasLayer and `hub.load(handle)(...)` use (the SavedModel's signatures
    are for serving). Loads the model with TensorFlow, unless it is given.

    Args:
        module_path: the model folder.
        loaded: the object `tf.saved_model.load(module_path)` (or `tfhub.load`) returned, if
            the caller loaded it already.

    Returns:
        {"call": [...], "takes_training": whether `__call__` takes `training` (as
        hub.KerasLayer decides), "trainable_variables": {count, bytes},
        "non_trainable_variables": {count, bytes}, "regularization_losses": [values]};
        {"error": message} if it cannot be loaded; None if the loaded object has no `__call__`.
    """
    tf = import_tensorflow("Describing a model")
    from .loaded_model import LoadedModel, takes_training  # Which variables; "`training`?".

    try:  # A damaged file or a missing op is named.
        obj = (
            model_damage.load_diagnosed(lambda: tf.saved_model.load(module_path), module_path)
            if loaded is None
            else loaded
        )
    except errors.DamagedModelError as err:
        return {"error": f"cannot be loaded: {err.problem}"}
    except errors.MissingOpError as err:
        return {"error": f"cannot be loaded: {err}"}
    except Exception as err:
        return {"error": f"cannot be loaded: {type(err).__name__}: {str(err)[:200]}"}
    if not callable(obj) or not hasattr(obj.__call__, "concrete_functions"):
        return None
    model = LoadedModel.of(obj)  # As hub.KerasLayer adopts them (tracked ones too).
    variables = model.variables
    trainable = model.trainable_variables()
    trainable_ids = {id(v) for v in trainable}

    return {
        "call": _call_signatures(obj, tf),
        "takes_training": takes_training(obj),
        "trainable_variables": _variable_totals(trainable),
        "non_trainable_variables": _variable_totals(
            v for v in variables if id(v) not in trainable_ids
        ),
        "regularization_losses": _regularization_losses(obj),
    }


def describe(module_path: str, *, loaded: Any = None) -> dict[str, Any]:
    """Returns what a model folder holds: format, meta graphs (tags, signatures), variables.

    Args:
        module_path: a resolved model folder.
        loaded: the object `tfhub.load(module_path)` returned, if the caller loaded it already
            (a TF2 model's `__call__` is then described without loading it again).

    Returns:
        A JSON-serializable dict.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder holds no readable saved_model.pb;
            `tfhub.errors.DamagedModelError` if its saved_model.pb is a folder, one of its
            files is a special file (a named pipe, a device), its checkpoint cannot be read, or
            an asset file its graphs name is missing (`MissingModelFileError`);
            `tfhub.errors.UnsafeAssetError` if one names a file outside its assets/ folder.
    """
    tf = import_tensorflow("Describing a model")
    saved_model_proto.refuse_special_files(module_path)
    proto = saved_model.read_saved_model_proto(module_path)  # Clear error for non-SavedModels.
    asset_names.refuse_unsafe_assets(module_path, saved_model=proto)  # Before TF reads one.
    missing = model_damage.missing_asset(
        module_path, proto.meta_graphs
    ) or model_damage.missing_checkpoint_file(module_path, proto)
    if missing is not None:  # As hub.load says (MissingModelFileError), before TF reads.
        raise saved_model_proto.damaged_model_error(module_path, missing, missing=True)
    is_tf1 = saved_model.is_tf1_hub_module(module_path)
    is_tf2 = any(meta.HasField("object_graph_def") for meta in proto.meta_graphs)
    meta_graphs = []
    for meta in proto.meta_graphs:
        signatures = {
            name: {
                "inputs": signature_inputs(meta, name, sig, tf),
                "outputs": tensors(sig.outputs, tf),
            }
            for name, sig in sorted(meta.signature_def.items())
            if not name.startswith("__")  # __saved_model_init_op: not callable.
        }
        meta_graphs.append({"tags": sorted(meta.meta_info_def.tags), "signatures": signatures})
    reusable = describe_reusable(module_path, loaded=loaded) if is_tf2 and not is_tf1 else None
    if reusable and "call" in reusable:
        _mark_no_input_signatures(meta_graphs)
    ops = {op for meta in proto.meta_graphs for op in op_libraries.graph_ops(meta.graph_def)}
    object_graph = next(
        (meta.object_graph_def for meta in proto.meta_graphs if meta.HasField("object_graph_def")),
        None,
    )
    variables = _variables(module_path, tf, object_graph)  # Before the sizes: errors say more.
    return {
        "path": module_path,
        "op_libraries": [library.module for library in op_libraries.libraries_of(sorted(ops))],
        "format": "TF1 Hub format"
        if is_tf1
        else ("TF2 SavedModel" if is_tf2 else "TF1 SavedModel"),
        "files_bytes": _files_bytes(module_path),
        "meta_graphs": meta_graphs,
        "variables": variables,
        **({"reusable": reusable} if reusable else {}),
    }


def _files_bytes(module_path: str) -> int:
    """The bytes of every file below a model folder: a local one's (`cache.list_files`), or a
    tf.io.gfile one's (gs://), listed and sized by bounded requests (os.walk sees none)."""
    if not cache.layout.is_remote(module_path):
        return sum(cache.list_files(module_path).values())
    return sum(
        gfile_io.size(f"{top.rstrip('/')}/{name}")
        for top, names in gfile_io.walk(module_path)
        for name in names
    )


_NO_INPUTS_NOTE = (
    "takes no inputs: TensorFlow exported a no-argument function here (e.g. a regularization "
    "loss); it is not how to call the model (see __call__)"
)


def _mark_no_input_signatures(meta_graphs: list[dict[str, Any]]) -> None:
    """Flags signatures without inputs of a model with `__call__`: they are not its interface."""
    for meta in meta_graphs:
        for signature in meta["signatures"].values():
            if not signature["inputs"]:
                signature["note"] = _NO_INPUTS_NOTE

"""tensorflow_hub 0.10.0's functions and methods take the same parameters in tfhub: code that
calls them by keyword (`get_timestamped_export_dir(export_dir_base=...)`) or by position works
as it did. The parameter lists were read from the 0.10.0 wheel's source (see
tests/data/upstream_api/README.md)."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tf

SIGNATURES: dict[str, str] = json.loads(
    (Path(__file__).parent / "data" / "upstream_api" / "signatures_0.10.0.json").read_text()
)

# Upstream's graph surgery inside hub.Module: module-level helpers of its implementation that
# tfhub does differently (and does not offer; see the modules' docstrings).
NOT_OFFERED = {
    *(
        f"meta_graph_lib:{name}"
        for name in ("mark_backward", "prune_feed_map", "prune_unused_nodes")
    ),
    *(
        f"native_module:{name}"
        for name in (
            "check_collections_are_supported",
            "check_unique_tags",
            "find_signature_input_colocation_error",
            "find_signature_inputs_from_multivalued_ops",
            "find_signature_type_errors",
            "find_state_op_colocation_error",
            "fix_colocation_after_import",
            "get_node_map_from_tensor_map",
            "get_state_map",
            "get_unsupported_collections",
            "is_registered_stateful_op_without_inputs",
            "list_registered_stateful_ops_without_inputs",
            "recover_partitioned_variable_map",
            "register_ops_if_needed",
            "replace_apply_state",
        )
    ),
}

# Parameters named otherwise in tfhub, each still taken where upstream's callers put it.
RENAMED = {
    # Upstream's own callers pass absl's FLAGS by position (`run(FLAGS)`); tfhub's `run` also
    # takes a config object in that place.
    "tools.make_nearest_neighbour_index.embedding_generator:run": {"args": "config"},
    "tools.make_nearest_neighbour_index.index_builder:run": {"args": "config"},
    "tools.make_nearest_neighbour_index.similarity_finder:load": {"args": "module_url"},
    # The second place takes the index folder or, with the three after it, upstream's index
    # file; `index_file_path=` is taken by keyword too (test_nearest_neighbour_upstream_api).
    "tools.make_nearest_neighbour_index.similarity_finder:SimilarityFinder.__init__": {
        "index_file_path": "index_dir"
    },
}


def _parameters(text: str) -> tuple[list[str], list[str], bool, bool]:
    """(positional names, keyword-only names, takes *args, takes **kwargs) of a JSON entry."""
    names = [name for name in text.split(", ") if name]
    star = next((i for i, name in enumerate(names) if name.startswith("*")), len(names))
    positional, rest = names[:star], names[star:]
    return (
        positional,
        [name for name in rest if not name.startswith("*")],
        "*args" in rest,
        "**kwargs" in rest,
    )


def _tfhub_callable(key: str) -> tuple[Any, bool]:
    """tfhub's object of `module:Name` or `module:Class.method`, and whether its signature
    starts with `self` (a plain method read from its class)."""
    module_name, _, qualified = key.partition(":")
    owner: Any = importlib.import_module(f"tfhub.{module_name}")
    *classes, name = qualified.split(".")
    for class_name in classes:
        owner = getattr(owner, class_name)
    static = inspect.getattr_static(owner, name, None)
    obj = getattr(owner, name)
    has_self = bool(classes) and not isinstance(static, (staticmethod, classmethod))
    return obj, has_self


@pytest.mark.parametrize("key", sorted(set(SIGNATURES) - NOT_OFFERED))
def test_same_parameters_as_upstream(key):
    upstream_positional, upstream_keyword_only, upstream_varargs, upstream_varkw = _parameters(
        SIGNATURES[key]
    )
    renamed = RENAMED.get(key, {})
    upstream_positional = [renamed.get(name, name) for name in upstream_positional]
    obj, has_self = _tfhub_callable(key)
    parameters = list(inspect.signature(obj).parameters.values())[1 if has_self else 0 :]
    kinds = inspect.Parameter
    positional = [
        p.name for p in parameters if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
    ]
    by_name = {p.name: p for p in parameters}
    varargs = any(p.kind is kinds.VAR_POSITIONAL for p in parameters)
    varkw = any(p.kind is kinds.VAR_KEYWORD for p in parameters)
    problems = []
    if positional[: len(upstream_positional)] != upstream_positional and not varargs:
        problems.append(f"positional {positional} where upstream has {upstream_positional}")
    for name in upstream_keyword_only:
        if name not in by_name and not varkw:
            problems.append(f"no parameter {name!r}")
    if upstream_varargs and not varargs:
        problems.append("no *args")
    if upstream_varkw and not varkw:
        problems.append("no **kwargs")
    upstream_names = {*upstream_positional, *upstream_keyword_only}
    for parameter in parameters:
        required = parameter.default is parameter.empty and parameter.kind not in (
            kinds.VAR_POSITIONAL,
            kinds.VAR_KEYWORD,
        )
        if required and parameter.name not in upstream_names:
            problems.append(f"requires {parameter.name!r}, which upstream does not take")
    assert not problems, f"{key}{inspect.signature(obj)}: {'; '.join(problems)}"

"""tensorflow_hub's `module` module path: `Module`, `load_module_spec`, `as_module_spec`,
`eval_function_for_module` and `export_module_spec` (they live in `tfhub.tf1`)."""

from __future__ import annotations

from collections.abc import Callable

from .tf1.eval_function import eval_function_for_module
from .tf1.module import Module, as_module_spec, load_module_spec
from .tf1.module_spec import ModuleSpec, export_folder, export_spec

__all__ = [
    "Module",
    "as_module_spec",
    "eval_function_for_module",
    "export_module_spec",
    "load_module_spec",
]


def export_module_spec(
    spec: ModuleSpec, path: str, checkpoint_path: str, name_transform_fn: Callable[[str], str]
) -> None:
    """Writes `spec` to `path` with its variables read from `checkpoint_path` (upstream's helper
    of `ModuleSpec.export`).

    Args:
        spec: the module to write.
        path: the new folder.
        checkpoint_path: the checkpoint that holds the module's variables.
        name_transform_fn: maps a variable name in the module to its name in the checkpoint.

    Raises:
        tfhub.errors.ExportError: (a ValueError) if `path` is empty, or `checkpoint_path`
            names no checkpoint or one that lacks a variable of the module.
        tfhub.errors.ArgumentTypeError: if `path` is not a str, bytes or os.PathLike.
    """
    export_spec(spec, export_folder(path), checkpoint=(checkpoint_path, name_transform_fn))

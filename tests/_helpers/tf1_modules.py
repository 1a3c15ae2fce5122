"""Export a TF1 Hub module spec to a folder (shared by the tests that build tiny TF1 Hub
modules). TensorFlow is imported inside the function: importing this module is cheap.

API (stable):
    export_module_spec(spec, path, *, tags=None) -> path: instantiates `spec` as a graph
        hub.Module (of the tag set `tags`), initializes its variables and exports it.
"""

from __future__ import annotations

import os
from typing import Any


def export_module_spec(
    spec: Any, path: str | os.PathLike[str], *, tags: set[str] | None = None
) -> str:
    """Exports `spec` as a TF1 Hub module at `path`, its variables at their initial values.

    Args:
        spec: a hub.ModuleSpec (e.g. from hub.create_module_spec).
        path: the module folder to write (must not exist yet).
        tags: the tag set the hub.Module is made of (None: the default, empty tag set).

    Returns:
        `path` as a string.
    """
    import tensorflow as tf

    import tfhub as hub

    with tf.Graph().as_default():
        module = hub.Module(spec) if tags is None else hub.Module(spec, tags=tags)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(os.fspath(path), session)
    return os.fspath(path)

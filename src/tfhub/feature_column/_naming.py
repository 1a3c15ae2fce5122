"""Names a `DenseFeatures` layer gives its hub columns' module layers and eager variables.

A `.keras` file stores a layer's weights under attribute names and an `.h5` file by weight
name, so these names must be unique within the layer and the same each time a model is built.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable
from typing import Any

from .. import _tf_private


def state_attribute(name: str, rivals: Iterable[str]) -> str:
    """The attribute of a `DenseFeatures` layer that holds column `name`'s module layer.

    A `.keras` file stores the layer's weights under that attribute name, so it must be unique
    within the layer and the same each time the model is built. It is `_tfhub_<name>` with
    every non-word character as `_`, as files saved before held it. Columns whose names differ
    only in non-word characters (keys "a-b" and "a_b") would share it: the one whose name sorts
    last keeps it (it is the one older files stored, as the last one set won), each other one
    gets `_<8 hex digits of sha1(name)>` after it.

    Args:
        name: the column's name.
        rivals: the names of all columns of the layer (with `name` or not).

    Returns:
        The attribute name.
    """
    plain = "_tfhub_" + re.sub(r"\W", "_", name)
    sharing = [other for other in {*rivals, name} if re.sub(r"\W", "_", other) == plain[7:]]
    if name == max(sharing):
        return plain
    return f"{plain}_{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}"


def scope_eager_names(variables: list[Any], scope: str) -> None:
    """Names each eager variable `<scope>/<its name>`, as tf_keras names a layer's weights.

    `DenseFeatures` passes `<its name>/<the column's name>`: Keras makes layer names unique,
    so two layers with TF1 columns over one module (both loading `embeddings:0`) hold distinct
    names, which a model's `.h5` file needs (its optimizer's slots are stored by name). A
    graph's variables keep their names (their op's, upstream's `module/...`).
    """
    for variable in variables:
        base = variable.name.rpartition(":")[0]
        _tf_private.rename_eager_variable(variable, f"{scope}/{base}")


def rename_taken(variables: list[Any], taken: Iterable[str]) -> None:
    """Renames each eager variable whose name is `taken` (or was given to one before it) to the
    first free `<name>_<n>` (n = 1, 2, ...), as a TF1 graph names a second variable.

    `DenseFeatures` passes the names of the weights it holds already, as `.h5` files store a
    layer's weights by name: e.g. a TF2 SavedModel's variables created without a name all load
    as `<scope>/Variable:0`. A graph's variables keep their names (their op's).
    """
    names = set(taken)
    for variable in variables:
        if variable.name in names:
            base, _, suffix = variable.name.rpartition(":")
            free = next(
                f"{base}_{n}" for n in itertools.count(1) if f"{base}_{n}:{suffix}" not in names
            )
            _tf_private.rename_eager_variable(variable, free)
        names.add(variable.name)

"""Private TensorFlow/Keras APIs are reached only through tfhub._tf_private (checked by ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "tfhub"
PRIVATE_PREFIXES = ("tensorflow.python", "keras.src", "tf_keras.src", "tf.__internal__")


def private_uses(source: str) -> list[tuple[int, str]]:
    """(line, name) of each private-API import, module name or `__internal__` in `source`."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]  # e.g. sys.modules.get("keras.src...")
        elif isinstance(node, ast.Attribute) and node.attr == "__internal__":
            names = ["tf.__internal__"]
        else:
            continue
        uses += [(node.lineno, name) for name in names if name.startswith(PRIVATE_PREFIXES)]
    return uses


def test_private_tensorflow_apis_live_in_one_module() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if path.name == "_tf_private.py":
            continue
        found += [f"{relative}:{line}: {name}" for line, name in private_uses(path.read_text())]
    assert found == [], "use tfhub._tf_private instead of:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        "from tensorflow.python.util import tf_inspect",
        "import keras.src.backend",
        "x = tf.__internal__.smart_cond",
        "sys.modules.get('tf_keras.src.engine.base_layer_utils')",
    ],
)
def test_the_check_finds_each_kind_of_use(code: str) -> None:
    assert len(private_uses(code)) == 1


@pytest.mark.tf
def test_rename_eager_variable_renames_what_optimizers_and_h5_read() -> None:
    import tensorflow as tf

    from tfhub import _tf_private

    variable = tf.Variable(1.0, name="hidden/kernel")
    assert _tf_private.rename_eager_variable(variable, "hidden/kernel_1")
    assert (variable.name, variable._shared_name) == ("hidden/kernel_1:0", "hidden/kernel_1")
    assert float(variable.assign_add(1.0)) == 2.0  # Still the same resource.
    with tf.Graph().as_default():
        in_graph = tf.compat.v1.Variable(1.0, name="g")
        assert not _tf_private.rename_eager_variable(in_graph, "g_1")
        assert in_graph.name == "g:0"

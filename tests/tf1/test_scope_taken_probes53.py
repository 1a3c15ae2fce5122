"""A module whose name scope is taken by the user's ops (rf53a-F4, session 53).

`hub.Module(spec)` in a graph that already has an op named "module" (or ops under
`tf.name_scope("module")`) raises upstream's RuntimeError; tfhub's explanation blamed a re-entered
variable scope (reuse=True), which the graph never had.
"""

from __future__ import annotations

from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
    hub.add_signature(inputs=x, outputs=2 * x)


@pytest.fixture(scope="module")
def spec() -> Any:
    return hub.create_module_spec(_module_fn)


@pytest.mark.parametrize("taken_by", ["op", "name_scope"])
def test_a_name_scope_taken_by_ops_is_said_so(spec: Any, taken_by: str) -> None:
    with tf.Graph().as_default():
        if taken_by == "op":
            tf.identity(1.0, name="module")
        else:
            with tf.name_scope("module"):
                tf.identity(1.0, name="w")
        with pytest.raises(errors.ModuleGraphError) as info:
            hub.Module(spec)
        hub.Module(spec, name="other")  # The advice works.
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)  # As upstream.
    assert message.startswith(  # Upstream's words first.
        "variable_scope module/ was unused but the corresponding name_scope was already taken."
    )
    assert "reuse" not in message and "re-entered" not in message  # Not what happened here.
    assert "Ops of the graph already use the name scope 'module/'" in message
    assert "name=" in message and "Received: name='module'" in message

"""State updates of an eager hub.Module called inside a tf.function (rf56b-F2).

A signature may update state that one of its outputs depends on (an assign under
`tf.control_dependencies`, not in UPDATE_OPS: a counter, a cache). Eagerly, each call computes
every output of the signature, so the update runs on every call. Inside a `tf.function` the
signature's pruned function is inlined and runs as in a TF1 session: the update runs only when the
function uses the output that depends on it. docs/tf1.md said only that the module "can be called
inside a `tf.function`"; it now says which updates run there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1
DOCS = Path(__file__).resolve().parents[2] / "docs" / "tf1.md"


def _counting_module_fn() -> None:
    """`default` = 2x and counts its computations; `half` = x/2 and counts nothing."""
    x = v1.placeholder(tf.float32, [None])
    counter = v1.get_variable(
        "counter", [], tf.int64, initializer=v1.zeros_initializer(), trainable=False
    )
    with tf.control_dependencies([v1.assign_add(counter, 1)]):
        doubled = tf.identity(x * 2.0)
    hub.add_signature(inputs=x, outputs={"default": doubled, "half": x / 2.0})


@pytest.fixture(scope="module")
def counting() -> tuple[Any, Any]:
    """An eager hub.Module of the counting module, and its counter variable."""
    module = hub.Module(hub.create_module_spec(_counting_module_fn))
    return module, module.variable_map["counter"]


def test_an_eager_call_runs_the_update_whichever_output_is_used(counting) -> None:
    module, counter = counting
    before = int(counter.numpy())
    assert module([1.0], as_dict=True)["half"].numpy().tolist() == [0.5]
    assert int(counter.numpy()) == before + 1


def test_in_a_tf_function_the_update_runs_with_the_output_that_needs_it(counting) -> None:
    module, counter = counting
    only_half = tf.function(lambda x: module(x, as_dict=True)["half"])
    doubled = tf.function(lambda x: module(x))
    before = int(counter.numpy())
    only_half(tf.constant([1.0]))
    only_half(tf.constant([2.0]))
    assert int(counter.numpy()) == before  # As a TF1 session fetching only `half`.
    assert doubled(tf.constant([1.0])).numpy().tolist() == [2.0]
    assert int(counter.numpy()) == before + 1


def test_docs_say_which_updates_run_inside_a_tf_function() -> None:
    text = " ".join(DOCS.read_text().split())
    assert (
        "Inside a `tf.function` a signature runs as in a TF1 session: a state update that an "
        "output depends on (an assign under `tf.control_dependencies`, other than the UPDATE_OPS "
        "a trainable module runs) runs only when the function uses that output"
    ) in text
    assert "tests/tf1/test_eager_state_in_function_probes56b.py" in text

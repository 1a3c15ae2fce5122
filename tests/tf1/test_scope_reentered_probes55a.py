"""A hub.Module whose default name an earlier one holds (rf55a-F1, session 55).

Re-entering a variable scope (the classic tower loop `with variable_scope(get_variable_scope())`,
or two `with variable_scope("model"):` blocks) restarts its default names, and a hub.Module made
in MirroredStrategy.run's replica function is made again by the next replica: upstream's
RuntimeError (kept) was explained as "ops of the graph use the name scope" / "give each its own
name=", advice that would give each replica its own unshared weights.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests._helpers.two_cpus_sp61hubfctf1 import two_cpu_results
from tests._helpers.upstream_records import UPSTREAM_DIR

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1
UPSTREAMS_WORDS = "was unused but the corresponding name_scope was already taken."


@pytest.fixture(scope="module")
def spec() -> Any:
    return hub.load_module_spec(str(UPSTREAM_DIR / "tf1_multi_sig"))


def _towers(spec: Any, name: str) -> list[Any]:
    modules = []
    for i in range(2):
        with tf.name_scope(f"tower_{i}"):
            with tf1.variable_scope(tf1.get_variable_scope()):
                modules.append(hub.Module(spec, name=name.format(i=i)))
    return modules


def test_the_tower_loop_says_an_earlier_module_holds_the_name(spec: Any) -> None:
    with tf.Graph().as_default():
        with pytest.raises(errors.ModuleGraphError) as info:
            _towers(spec, "module")
        message = str(info.value)
        assert isinstance(info.value, RuntimeError)  # As upstream.
        assert message.startswith(f"variable_scope module/ {UPSTREAMS_WORDS}")
        assert "Ops of the graph already use" not in message  # No op of the user's is named so.
        assert "an earlier hub.Module" in message and "entered again" in message
        assert "apply it in every tower" in message and "name=" in message
        modules = _towers(spec, "module_{i}")  # The advice works.
    assert [m.variables[0].name for m in modules] == [
        "module_0/hidden/bias:0",
        "module_1/hidden/bias:0",
    ]


def test_a_variable_scope_entered_twice_says_so(spec: Any) -> None:
    with tf.Graph().as_default():
        with tf1.variable_scope("model"):
            hub.Module(spec, name="enc")
        with tf1.variable_scope("model"):
            with pytest.raises(errors.ModuleGraphError) as info:
                hub.Module(spec, name="enc")
    assert str(info.value).startswith(f"variable_scope model/enc/ {UPSTREAMS_WORDS}")
    assert "an earlier hub.Module" in str(info.value)


def test_a_module_made_in_the_replica_function_says_to_make_it_once(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Two logical CPUs must be set before TensorFlow initializes its devices: a child process
    # (its program: `two_cpus_sp61hubfctf1.CHILD`'s `replica_cases`), shared with
    # test_distribute_probes55a.py.
    result = two_cpu_results(tmp_path_factory, "replica")
    message, is_runtime_error = result["error"]
    assert is_runtime_error  # As upstream.
    assert message.startswith(f"variable_scope module/ {UPSTREAMS_WORDS}")
    assert "replica function" in message and "strategy.scope()" in message
    assert "own name=" not in message  # That would give each replica its own weights.
    assert (result["replicas"], result["variables"]) == (2, 5)  # One set, shared.

"""hub.Module under tf.distribute (rf55a-F2, session 55).

A hub.Module's variables come from importing the module's graph, outside a strategy's variable
creator: under MirroredStrategy they are plain variables, not mirrored ones. Inference works (as
upstream 0.10.0); training fails later in TensorFlow's code ("destinations can not be empty",
as upstream). tfhub says so when a trainable hub.Module is created under such a strategy.

Two logical CPUs must be set before TensorFlow initializes its devices, so the strategies run in
a child process (an earlier test of this process may have initialized them), which
tests/_helpers/two_cpus_sp61hubfctf1.py shares with test_scope_reentered_probes55a.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests._helpers.two_cpus_sp61hubfctf1 import two_cpu_results

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The child's results by case (its program: `two_cpus_sp61hubfctf1.CHILD`'s
    `distribute_cases`), from the one child of the test run."""
    return two_cpu_results(tmp_path_factory, "distribute")


def test_a_trainable_module_under_mirrored_strategy_is_warned_of(results: dict[str, Any]) -> None:
    graph = results["graph training"]
    assert graph["outcome"] == "ValueError: destinations can not be empty"  # TensorFlow's.
    (message,) = graph["warned"]
    assert "MirroredStrategy" in message and "'module'" in message
    assert "not mirrored" in message and "destinations can not be empty" in message
    assert "hub.KerasLayer" in message  # What to do instead.


def test_a_trainable_module_under_mirrored_strategy_is_warned_of_eagerly(
    results: dict[str, Any],
) -> None:
    assert results["eager"]["outcome"] == "made"
    (message,) = results["eager"]["warned"]
    assert "not mirrored" in message


@pytest.mark.parametrize("case", ["not trainable", "one device", "no strategy"])
def test_no_warning_where_nothing_is_mirrored(results: dict[str, Any], case: str) -> None:
    expected = "1 results" if case != "not trainable" else "2 results"  # Inference works.
    assert results[case] == {"outcome": expected, "warned": []}

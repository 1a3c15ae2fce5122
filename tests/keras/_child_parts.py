"""Several checks' work in one child interpreter, each part's result or error kept apart.

A child that imports TensorFlow costs ~5 CPU-seconds before it does anything: where checks need
a process of their own with the same environment, one child (forked by `run_warm_python` from a
server that imported TensorFlow) runs every part, and each test asserts the part it owns (a part
that raised fails that test only, showing the child's traceback).
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from tests._helpers.warm_python import run_warm_python

# Defines `part`, a decorator that runs the function at once and keeps its result (JSON) or its
# traceback under the function's name; the program ends by printing them all as one JSON line.
_PRELUDE = """
import json as _json, traceback as _traceback
_PARTS = {}


def part(function):
    try:
        _PARTS[function.__name__] = {"result": function()}
    except BaseException:
        _PARTS[function.__name__] = {"error": _traceback.format_exc()}
    return function
"""

_EPILOGUE = """
print(_json.dumps(_PARTS))
"""


def run_parts(code: str, *args: str, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Runs `code` (whose `@part` functions run in order) in one child with `env` and `args`.

    Args:
        code: the program (may be indented); its functions decorated with `@part` run as they
            are defined, so a later part may use what an earlier one defined.
        *args: the child's `sys.argv[1:]`.
        env: the child's environment.

    Returns:
        {part name: {"result": what it returned} or {"error": its traceback}}.

    Raises:
        AssertionError: the child exited non-zero (its stderr shown).
    """
    program = _PRELUDE + textwrap.dedent(code) + _EPILOGUE
    done = run_warm_python(program, *args, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def result_of(parts: dict[str, dict[str, Any]], name: str) -> Any:
    """The result of the part `name` from `run_parts`, failing the test with the part's
    traceback if it raised."""
    assert name in parts, f"part {name} did not run; ran: {sorted(parts)}"
    assert "error" not in parts[name], parts[name]["error"]
    return parts[name]["result"]

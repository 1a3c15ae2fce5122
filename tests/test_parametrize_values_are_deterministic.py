"""Test ids are made from parametrize values when the test module is imported, once in each
pytest-xdist worker; a value that differs between imports (a gzip stream stamped with the
current second, random bytes, a clock reading) gives the workers different test lists and the
whole run fails before any test runs ("Different tests were collected between gw1 and gw0").
That failed CI once (a gzip.compress in test_nearest_neighbour_inputs_probes52.py); this scan
keeps such calls out of parametrize decorators."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Calls whose result changes from one import to the next, by the dotted name they are called as.
_CHANGING_CALLS = {
    "os.urandom",
    "time.time",
    "time.time_ns",
    "time.monotonic",
    "uuid.uuid1",
    "uuid.uuid4",
    "datetime.now",
    "datetime.datetime.now",
    "secrets.token_bytes",
    "secrets.token_hex",
}
_CHANGING_MODULES = {"random"}


def _dotted(node: ast.expr) -> str:
    """Returns a call's function as written ("gzip.compress"), or "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _changes_between_imports(call: ast.Call) -> bool:
    name = _dotted(call.func)
    if name in _CHANGING_CALLS or name.split(".")[0] in _CHANGING_MODULES:
        return True
    # gzip stamps the current second into its header unless given mtime.
    return name == "gzip.compress" and not any(k.arg == "mtime" for k in call.keywords)


def _parametrize_decorators(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and _dotted(decorator.func).endswith(
                    "parametrize"
                ):
                    yield decorator


def changing_calls_in_parametrize(source: str) -> list[tuple[int, str]]:
    """Returns (line, call) for each call in a parametrize decorator whose result changes
    between imports."""
    found = []
    for decorator in _parametrize_decorators(ast.parse(source)):
        for node in ast.walk(decorator):
            if isinstance(node, ast.Call) and _changes_between_imports(node):
                found.append((node.lineno, _dotted(node.func)))
    return found


def test_the_scan_finds_a_stamped_gzip_stream_and_passes_a_fixed_one():
    stamped = '@pytest.mark.parametrize("x", [gzip.compress(b"a")])\ndef test(x): pass\n'
    fixed = '@pytest.mark.parametrize("x", [gzip.compress(b"a", mtime=0)])\ndef test(x): pass\n'
    assert changing_calls_in_parametrize(stamped) == [(1, "gzip.compress")]
    assert changing_calls_in_parametrize(fixed) == []
    assert changing_calls_in_parametrize(
        '@pytest.mark.parametrize("x", [os.urandom(4), random.random()])\ndef test(x): pass\n'
    ) == [(1, "os.urandom"), (1, "random.random")]


def _sources_with_parametrize() -> list[tuple[Path, str]]:
    """(path, text) of each Python file under tests/ whose text says `parametrize`: a file
    that does not cannot hold a parametrize decorator (its dotted name ends with the word), and
    is not parsed (half the files, ~1.5 CPU-s)."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "parametrize" in text:
            found.append((path, text))
    return found


def test_no_parametrize_value_changes_between_imports():
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line}: {call}(...)"
        for path, text in _sources_with_parametrize()
        for line, call in changing_calls_in_parametrize(text)
    ]
    assert not offenders, (
        "these parametrize values differ between pytest-xdist workers, which then collect "
        "different tests and fail the run; fix the value (gzip.compress(..., mtime=0), a "
        "seeded random.Random) or build it inside the test:\n" + "\n".join(offenders)
    )

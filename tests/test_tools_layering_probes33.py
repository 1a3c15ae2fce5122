"""`tfhub.tools` sits below `tfhub.cli` (docs/architecture.md): no tool module imports the
`tfhub` command's package, read with `ast` (top-level and function-level imports, as
tests/test_import_cycles.py reads them).

What the tools' --help shares with `tfhub`'s (the help formatter, the environment section) lives
in `tfhub/help_text.py`, below both, and the programs' runner that every tool's console script
runs its command through (run_reported, parse_args, report, tell) in `tfhub/program/`, below both
too: no import of the command's package is allowed.
"""

from __future__ import annotations

from pathlib import Path

from tests.test_import_cycles import SRC, dependencies, import_graph, module_name

TOOLS = "tfhub.tools"
CLI = "tfhub.cli"
PROGRAM = "tfhub.program"
# (importer, imported) pairs let through: none. The runner that the tools' console scripts used
# to import from tfhub.cli lives in tfhub.program now.
ALLOWED: set[tuple[str, str]] = set()


def _is_cli(name: str) -> bool:
    return name == CLI or name.startswith(CLI + ".")


def cli_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(tool module, tfhub.cli module) for every import of the command's package by a tool."""
    return sorted(
        (name, target)
        for name, targets in graph.items()
        if name == TOOLS or name.startswith(TOOLS + ".")
        for target in targets
        if _is_cli(target)
    )


def test_no_tool_module_imports_the_cli_package() -> None:
    found = [pair for pair in cli_imports(import_graph()) if pair not in ALLOWED]
    assert found == [], (
        "tfhub.tools must not import tfhub.cli (it sits above the tools); move what both need "
        f"below both (e.g. tfhub/help_text.py). Found (importer, imported): {found}"
    )


def test_nothing_is_allowed() -> None:
    """The allow list stays empty: what a tool needs of the programs' machinery goes below both
    (tfhub/program/, tfhub/help_text.py), not into an exception here."""
    assert ALLOWED == set()


def test_the_programs_runner_is_below_both() -> None:
    """tfhub.program imports neither the command's package nor the tools, and each tool's
    console script runs its command through it."""
    graph = import_graph()
    program = {name for name in graph if name == PROGRAM or name.startswith(PROGRAM + ".")}
    assert f"{PROGRAM}.runner" in program
    assert not {
        (name, t) for name in program for t in graph[name] if _is_cli(t) or t.startswith(TOOLS)
    }
    for tool in ("make_image_classifier", "make_nearest_neighbour_index", "module_search"):
        assert f"{PROGRAM}.runner" in graph[f"{TOOLS}.{tool}.cli"], tool


def test_the_check_sees_a_late_relative_import() -> None:
    """The reading catches what the tools wrote before: `from ...cli._parsers import X`
    inside a function of a module two packages down."""
    name = module_name(SRC / "tfhub" / "tools" / "module_search" / "cli.py")
    source = "def build_parser():\n    from ...cli._parsers import HelpFormatter\n"
    known = {name, "tfhub.cli", "tfhub.cli._parsers"}
    graph = {name: dependencies(name, False, source, known)}
    assert cli_imports(graph) == [(name, "tfhub.cli._parsers")]


def test_the_help_text_module_is_below_both() -> None:
    """tfhub.help_text imports neither the command's package nor the tools."""
    path = Path(SRC / "tfhub" / "help_text.py")
    graph = import_graph()
    assert path.is_file()
    assert not {t for t in graph["tfhub.help_text"] if _is_cli(t) or t.startswith(TOOLS)}

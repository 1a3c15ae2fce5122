"""`tfhub.tools` sits below `tfhub.cli` (docs/architecture.md): no tool module imports the
`tfhub` command's package, read with `ast` (top-level and function-level imports, as
tests/test_import_cycles.py reads them).

What the tools' --help shares with `tfhub`'s (the help formatter, the environment section) lives
in `tfhub/help_text.py`, below both. The one import allowed: a tool's console script
(`tools/<tool>/cli.py`, `main`) runs its command through the programs' runner,
`tfhub.cli._errors` (run_reported, parse_args, report, tell), as every tfhub program does.
"""

from __future__ import annotations

from pathlib import Path

from tests.test_import_cycles import SRC, dependencies, import_graph, module_name

TOOLS = "tfhub.tools"
CLI = "tfhub.cli"
# (importer, imported): the programs' runner, used by each tool's console script.
ALLOWED = {
    (f"{TOOLS}.{tool}.cli", f"{CLI}._errors")
    for tool in ("make_image_classifier", "make_nearest_neighbour_index", "module_search")
}


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


def test_the_allowed_imports_are_still_there() -> None:
    """The allow list holds only imports that exist: an import removed leaves no stale pass."""
    assert ALLOWED <= set(cli_imports(import_graph()))


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

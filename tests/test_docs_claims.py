"""The command lines and code examples of README.md, docs/cli.md and docs/keras.md, taken from
the Markdown itself so the docs and the code stay in sync: every `tfhub` command and flag shown
exists, and every Python example compiles and names only what tfhub has. (The examples were run
by hand against local servers; running them here would take TensorFlow's start, per example.)"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

import tfhub
from tfhub.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/cli.md", "docs/keras.md")


def _blocks(doc: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (ROOT / doc).read_text(), re.S)


def _command_lines() -> Iterator[tuple[str, str]]:
    """(doc, line) for each `tfhub ...` line of the docs' bash blocks, comment removed."""
    for doc in DOCS:
        for block in _blocks(doc, "bash"):
            for line in block.splitlines():
                line = line.split(" #", 1)[0].strip()
                if line.startswith("tfhub "):
                    yield doc, line


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _words(line: str) -> list[str]:
    """The words of a documented command line, optional brackets and `...` dropped."""
    words = shlex.split(line.replace("[", " ").replace("]", " "))
    return [word for word in words[1:] if word != "..." and not word.endswith("...")]


def _parser_of(words: list[str]) -> tuple[str, argparse.ArgumentParser]:
    """The innermost parser the words name (`cache rm` -> cache's rm parser)."""
    name = words[0]
    parser = _subcommands(build_parser([name]))[name]
    path = [name]
    for word in words[1:]:
        sub = _subcommands(parser)
        if word not in sub:
            break
        parser, path = sub[word], [*path, word]
    if name == "make-nearest-neighbour-index":  # The tool parses what follows the command.
        from tfhub.tools.make_nearest_neighbour_index import cli

        parser = cli.build_parser("tfhub make-nearest-neighbour-index")
    return " ".join(path), parser


COMMAND_LINES = list(_command_lines())


def test_the_docs_show_command_lines() -> None:
    assert {doc for doc, _ in COMMAND_LINES} == {"README.md", "docs/cli.md"}


@pytest.mark.parametrize(("doc", "line"), COMMAND_LINES, ids=[line for _, line in COMMAND_LINES])
def test_documented_command_and_flags_exist(doc: str, line: str) -> None:
    """`tfhub cache list|info|...` names each subcommand; every `--flag` shown is accepted."""
    words = _words(line)
    if len(words) > 1 and "|" in words[1]:  # README: `tfhub cache list|info|verify|rm|prune`.
        wanted = set(words[1].split("|"))
        assert wanted <= set(_subcommands(_parser_of(words[:1])[1])), (doc, line)
        return
    command, parser = _parser_of(words)
    flags = {word.split("=", 1)[0] for word in words if word.startswith("-")}
    unknown = flags - set(parser._option_string_actions)
    assert not unknown, f"{doc}: `tfhub {command}` has no {sorted(unknown)}: {line}"


def _python_examples() -> Iterator[tuple[str, str]]:
    for doc in DOCS:
        for block in _blocks(doc, "python"):
            yield doc, block


PYTHON_EXAMPLES = list(_python_examples())


def _defines(module: str, name: str) -> bool:
    """Whether the source of `module` (found without importing it) defines or imports `name`."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    tree = ast.parse(Path(spec.origin).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name == name:
            return True
        if isinstance(node, ast.ImportFrom | ast.Import):
            if any((alias.asname or alias.name) == name for alias in node.names):
                return True
    return False


@pytest.mark.parametrize(("doc", "code"), PYTHON_EXAMPLES)
def test_python_example_names_what_tfhub_has(doc: str, code: str) -> None:
    """Each example compiles, uses only public `hub.X` names, imports only what tfhub defines
    and imports every module it uses."""
    tree = ast.parse(code)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported |= {alias.asname or alias.name for alias in node.names}
            if node.module.startswith("tfhub"):
                for alias in node.names:
                    assert _defines(node.module, alias.name), (doc, node.module, alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "hub":
                assert node.attr in tfhub.__all__, (doc, node.attr)
            elif node.value.id in {"tf", "np", "keras"}:
                assert node.value.id in imported, (doc, f"{node.value.id} is not imported")


HELPS = ["", "resolve", "pull", "import", "inspect", "cache", "cache list", "cache rm", "demo"]
HELPS += ["pack", "publish", "serve", "module-search", "make-image-classifier"]


@pytest.mark.parametrize("command", HELPS)
@pytest.mark.parametrize("columns", [80, 120])
def test_help_prose_is_wrapped_not_broken(capsys, monkeypatch, command: str, columns: int) -> None:
    """docs/cli.md: `tfhub COMMAND --help` shows what a command does (at most 100 columns).
    Its prose is wrapped to the terminal: in 80 columns `tfhub --help` ended with "... 4" /
    "(download)," / "5 (archive), ..." / "TFHUB_DEBUG=1 adds the" / "traceback.", each line of
    the source's hard-wrapped text wrapped on its own (`tfhub demo --help` too)."""
    from tfhub.cli.main import main

    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit):
        main([*command.split(), "--help"])
    lines = capsys.readouterr().out.splitlines()
    width = min(columns, 100) - 2
    for line, after in zip(lines, lines[1:], strict=False):
        prose = line and after and not line[0].isspace() and not after[0].isspace()
        if prose and not line.startswith("usage:") and not line.endswith(":"):
            assert len(line) + 1 + len(after.split()[0]) > width, (line, after)

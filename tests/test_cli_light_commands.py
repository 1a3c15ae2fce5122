"""Light `tfhub` commands import only what they use: no hub, tools, HTTP stack or TensorFlow.

`tfhub --help`, `tfhub cache list|verify` and `tfhub resolve` of a cached handle must answer
in a fresh process in well under 200 ms (issue 13, measured by benchmarks/bench_cache_ops.py);
what makes that possible is checked here as behaviour: which modules the process imported.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os

import pytest
from tests._helpers.archives import MODEL_FILES, read_tree, write_tree
from tests._helpers.python_process import child_env, run_python

from tfhub.cli._parsers import COMMANDS
from tfhub.cli.main import build_parser, named_command
from tfhub.download import atomic_download

# Top-level packages a light command must not import (heavy, or only needed to download,
# serve, draw progress bars, parse protos or run absl apps).
HEAVY_PACKAGES = frozenset(
    {
        "tensorflow",
        "keras",
        "tf_keras",
        "numpy",
        "google",  # protobuf
        "absl",
        "requests",
        "urllib3",
        "tqdm",
        "filelock",
        "isal",
        "starlette",
        "jinja2",
        "markdown_it",
        "nh3",
        "yaml",
        "uvicorn",
        "granian",
    }
)
# tfhub modules that only heavier commands need.
HEAVY_TFHUB_PREFIXES = ("tfhub.hub", "tfhub.tools", "tfhub.tf1", "tfhub.download", "tfhub._http")

_CODE = """
import contextlib, io, json, sys
from tfhub.cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main(sys.argv[1:])
    except SystemExit as stop:  # --help
        code = stop.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _run_cli(*argv: str) -> dict:
    """Runs `tfhub ARGV` in a fresh interpreter; returns its exit code, stdout and sys.modules."""
    return json.loads(run_python(_CODE, *argv, env=child_env(), timeout=60).stdout)


def _heavy(modules: list[str], command_module: str) -> list[str]:
    # The command's front door, and the programs' runner (tfhub/program/) every command runs in.
    light = {"tfhub.cli", "tfhub.cli.main", "tfhub.cli._parsers", "tfhub.program"} | {
        f"tfhub.program.{name}" for name in ("error_table", "report", "runner", "signals", "stdout")
    }
    return [
        name
        for name in modules
        if name.split(".")[0] in HEAVY_PACKAGES
        or name.startswith(HEAVY_TFHUB_PREFIXES)
        or (
            name.startswith(("tfhub.cli.", "tfhub.program."))
            and name not in light | {command_module}
        )
    ]


def _fill(target: str) -> None:
    write_tree(target)


@pytest.mark.parametrize(
    ("argv", "command_module"),
    [
        (["--help"], ""),
        (["cache", "list"], "tfhub.cli.cache"),
        (["cache", "list", "--json"], "tfhub.cli.cache"),
        (["cache", "verify"], "tfhub.cli.cache"),
        (["resolve", "https://host.invalid/models/m/1"], "tfhub.cli.resolve"),
    ],
)
def test_light_commands_import_no_heavy_module(argv, command_module):
    path = atomic_download("https://host.invalid/models/m/1", _fill)  # A cached entry.
    report = _run_cli(*argv)
    assert report["code"] == 0, report
    assert _heavy(report["modules"], command_module) == []
    if argv[0] == "resolve":
        assert report["out"] == path + "\n" and read_tree(path) == MODEL_FILES
    elif argv[0] == "cache":
        assert os.path.basename(path) in report["out"]
    else:
        assert all(name in report["out"] for name in COMMANDS)


def test_import_tfhub_defines_absl_flags_once_absl_is_imported():
    code = """
    import json, sys
    import tfhub
    before = "absl.flags" in sys.modules
    from absl import flags
    print(json.dumps([before, "tfhub_cache_dir" in flags.FLAGS,
                      "tfhub_model_load_format" in flags.FLAGS]))
    """
    assert json.loads(run_python(code, timeout=60).stdout) == [False, True, True]


def _added_commands(module_name: str) -> list[str]:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    importlib.import_module(f"tfhub.cli.{module_name}").add_commands(commands)
    return list(commands.choices)


def test_the_command_table_names_what_each_module_adds():
    for module_name in dict.fromkeys(command.module for command in COMMANDS.values()):
        table = [name for name, command in COMMANDS.items() if command.module == module_name]
        assert _added_commands(module_name) == table, module_name


def test_a_partial_parser_keeps_every_command_and_builds_the_named_one(capsys):
    full, partial = build_parser(), build_parser(["pull"])
    for parser in (full, partial):
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        assert list(subparsers.choices) == list(COMMANDS)
    args = partial.parse_args(["-v", "pull", "a", "b"])
    assert args.handles == ["a", "b"] and args.verbose and callable(args.run)
    assert partial.format_help() == full.format_help()


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["cache", "list"], "cache"),
        (["-v", "resolve", "x"], "resolve"),
        (["--", "pull"], "pull"),
        (["--help"], None),
        ([], None),
    ],
)
def test_named_command_is_the_first_word_that_is_not_an_option(argv, name):
    assert named_command(argv) == name


def test_end_of_options_before_the_command_runs_it(tmp_path, monkeypatch, capsys):
    """`tfhub -- cache list` (the end of tfhub's options, then the command): argparse of
    Python 3.11 took `--` for the command ("invalid choice: '--'", exit 2)."""
    from tfhub.cli.main import main

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    assert main(["--", "cache", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["-v", "--", "cache", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

"""`tfhub --help` and `tfhub COMMAND --help` against docs/cli.md, one pass (session 53).

docs/cli.md's command block left out four commands `tfhub --help` lists (pack, publish,
validate, mirror); `cache verify` exits 1 also for an entry it could not check (NOT CHECKED,
another user's), which its --help description and the block's line left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub

CLI_MD = Path(__file__).resolve().parent.parent / "docs" / "cli.md"

# The tools' commands, which the page names in its text (their flags are docs/tools.md's).
TOOLS = {"make-image-classifier", "make-nearest-neighbour-index", "module-search"}


def _listed_commands(help_text: str) -> set[str]:
    """The commands `tfhub --help` lists under COMMAND."""
    block = help_text.split("positional arguments:", 1)[1].split("options:", 1)[0]
    return set(re.findall(r"^    ([a-z][a-z-]+)", block, re.M))


def _block_commands() -> set[str]:
    """The commands of docs/cli.md's first bash block (`tfhub NAME ...` lines)."""
    block = CLI_MD.read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    return set(re.findall(r"^tfhub ([a-z][a-z-]+)", block, re.M))


def test_the_command_block_names_every_command_the_help_lists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_tfhub(capsys, "--help")
    assert code == 0
    listed = _listed_commands(out)
    assert {"pack", "publish", "validate", "mirror", "serve"} <= listed
    assert listed - TOOLS - _block_commands() == set()
    page = CLI_MD.read_text()
    assert all(f"`{tool}`" in page for tool in TOOLS)


def test_verify_says_an_entry_it_could_not_check_exits_1_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_tfhub(capsys, "cache", "verify", "--help")
    assert code == 0
    assert "NOT CHECKED" in " ".join(out.split())
    line = next(line for line in CLI_MD.read_text().splitlines() if "tfhub cache verify" in line)
    assert "NOT CHECKED" in line and "exit 1 if one is damaged or not checked" in line

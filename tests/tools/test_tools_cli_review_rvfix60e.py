"""Review of session 60's tools/absl/CLI commits (rvfix60e): a tool's flags that cannot be
read for want of absl end in one line and an exit code, the install hint names absl's
package, and a bare `--verbose` after `-v 1` stays on in the console scripts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tfhub.cli.main import main as tfhub_main
from tfhub.tools.absl_argv import add_absl_app_flags, read_as_absl
from tfhub.tools.make_image_classifier.cli import build_parser as mic_parser
from tfhub.tools.make_image_classifier.cli import main as mic_main
from tfhub.tools.make_nearest_neighbour_index.cli import command_parser as nn_parser
from tfhub.tools.make_nearest_neighbour_index.cli import main as nn_main
from tfhub.tools.module_search.cli import build_parser as search_parser
from tfhub.tools.module_search.cli import main as search_main
from tfhub.utils.lazy import install_hint


@pytest.fixture
def absl_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """absl cannot be imported (None in sys.modules halts its import)."""
    for name in ("absl", "absl.flags"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize(
    "run",
    [
        lambda flagfile: tfhub_main(["make-nearest-neighbour-index", flagfile, "build"]),
        lambda flagfile: nn_main([flagfile, "build"]),
        lambda flagfile: mic_main([flagfile]),
        lambda flagfile: search_main([flagfile]),
    ],
    ids=["tfhub-nn", "nn-console", "mic-console", "search-console"],
)
def test_a_flagfile_without_absl_ends_in_one_line_and_its_exit_code(
    run: object, absl_missing: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The MissingDependencyError of reading --flagfile came out of main() as a traceback."""
    flags = tmp_path / "flags.txt"
    flags.write_text("--num_matches=3\n", encoding="utf-8")
    code = run(f"--flagfile={flags}")  # type: ignore[operator]
    err = capsys.readouterr().err
    assert code not in (0, None), err
    (line,) = err.splitlines()
    assert line.startswith("tfhub: "), line
    assert "pip install absl-py" in line, line


def test_the_install_hint_of_absl_names_its_package() -> None:
    """`pip install absl` installs another package; absl's is absl-py."""
    assert install_hint("absl.flags")[1] == "pip install absl-py"


def _parsed(parser: object, argv: list[str]) -> object:
    if "--verbosity" not in parser._option_string_actions:  # type: ignore[attr-defined]
        add_absl_app_flags(parser)  # type: ignore[arg-type]  # As the console script's main.
    return parser.parse_known_args(read_as_absl(argv, parser))[0]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("make", "rest"),
    [
        (mic_parser, []),
        (lambda: nn_parser("make_nearest_neighbour_index"), ["build"]),
        (search_parser, ["--dataset=images"]),
    ],  # fmt: skip
    ids=["mic", "nn", "search"],
)
@pytest.mark.parametrize(
    ("flags", "verbose"),
    [
        (["-v", "1", "--verbose", "-v", "0"], True),
        (["-v", "1", "-v", "-v", "0"], True),
        (["--verbose", "-v", "1", "-v", "0"], True),
        (["-v", "1", "-v", "0"], False),
        (["-v", "1"], True),
    ],
)
def test_a_bare_verbose_stays_on_whatever_verbosity_follows(
    make: object, rest: list[str], flags: list[str], verbose: bool
) -> None:
    """docs/tools.md: a bare -v / --verbose stays on whatever N follows; one given after
    -v 1 was lost by -v 0 (the value saved before -v 1 was put back)."""
    args = _parsed(make(), [*flags, *rest])  # type: ignore[operator]
    assert args.verbose is verbose  # type: ignore[attr-defined]

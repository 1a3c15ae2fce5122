"""The `tfhub-module-search` command (and `tfhub module-search`): upstream's flags
`--dataset`, `--module` (repeated) and `--module_list`; prints the ranked table."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

from ... import errors
from ...utils.paths import home_expanded
from ..absl_app_flags import run_with_absl_flags
from ..absl_argv import VerboseSwitch, absl_int, add_absl_app_flags, read_as_absl
from ..hub_flags import add_hub_flags, hub_flags_applied

PROG = "tfhub-module-search"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the tool's flags to `parser`."""
    parser.add_argument(
        "--dataset",
        required=True,
        type=home_expanded,
        help="NAME[#N]: a folder with one sub-folder of images per class, or a downloaded "
        "tensorflow_datasets name; #N keeps N examples (e.g. ./flowers#500)",
    )
    parser.add_argument(
        "--module",
        action="append",
        default=[],
        type=home_expanded,
        help="module to rank (repeatable)",
    )
    parser.add_argument(
        "--module_list",
        type=home_expanded,
        help="file with a module per line (empty lines and lines starting with # ignored)",
    )
    parser.add_argument(
        "--image_size", type=absl_int, help="image size for modules of any size (default: 224)"
    )
    add_hub_flags(parser)


def _no_module(module_list: str | None) -> errors.ToolFlagError:
    """The error for a command line that names no module (`module_list`: the list given)."""
    if module_list:
        return errors.ToolFlagError(
            f"The module list {module_list} names no module: each of its lines is empty or a "
            "comment (#). Write a module a line, or name the modules with --module. Received: "
            f"module_list={module_list!r}",
            flag="module_list",
            value=module_list,
        )
    return errors.ToolFlagError(
        "Use --module or --module_list to name the modules to rank. Received: no module",
        flag="module",
        value=None,
    )


def run(args: argparse.Namespace) -> int:
    """Ranks the modules of parsed arguments and prints the table (upstream's --tfhub_cache_dir
    and --tfhub_model_load_format too: `hub_flags_applied`); returns the exit code
    (`_rank_modules`)."""
    with hub_flags_applied(args):
        return _rank_modules(args)


def _rank_modules(args: argparse.Namespace) -> int:
    """Ranks the modules of parsed arguments and prints the table; returns the exit code.

    A module that cannot be scored is reported in one line and the others are still scored:
    the table ranks those, and the exit code is the first failure's. Interrupted (Ctrl-C, a stop
    signal), or ended by any other error (one of the dataset's, read again at another module's
    size; one no module's scoring catches), it ranks the modules scored so far (a closed stdout
    left unsaid), says so (and, but after Ctrl-C, which modules failed before), then the error
    goes on as before (its line and exit code: `run_reported`).
    """
    from ...program.report import report, tell
    from . import lib

    lib.check_image_size(args.image_size)
    modules = _modules(args)
    spec = lib.DataSpec.parse(args.dataset)
    dataset = lib.load_dataset(spec)
    failed: list[tuple[str, int]] = []  # (module, exit code of its error)

    def note_failure(module: str, err: errors.TFHubError) -> None:
        failed.append((module, report(err)))  # One line now; the others go on.

    scored: list[lib.Score] = []
    try:
        scores = lib.rank_modules(
            modules,
            dataset,
            image_size=args.image_size,
            on_failure=note_failure,
            on_score=scored.append,
        )
    except (KeyboardInterrupt, Exception) as err:  # Rank what an hour of work has scored.
        if scored:
            with contextlib.suppress(OSError):  # A closed pipe must not replace `err`.
                print(lib.format_table(lib.ranked(scored), spec, len(dataset.labels)))
            note = f"the table ranks the {len(scored)} module(s) scored before."
            if isinstance(err, KeyboardInterrupt):
                err.add_note(note.capitalize())  # On the `interrupted` line (`report_stopped`).
            else:  # `report` says the error's message only.
                tell(f"tfhub: {note}")
        if not isinstance(err, KeyboardInterrupt):
            _tell_failures(failed, modules, scored=bool(scored))
        raise
    if scores:
        print(lib.format_table(scores, spec, len(dataset.labels)))
    _tell_failures(failed, modules, scored=bool(scores))
    return failed[0][1] if failed else 0


def _modules(args: argparse.Namespace) -> list[str]:
    """The --module handles, then the --module_list's, each once (as ranked: "1 of 2").

    Raises:
        tfhub.errors.ToolFlagError: there are none.
    """
    from ..module_handles import distinct_modules
    from . import lib

    modules = list(args.module)
    if args.module_list:
        modules.extend(lib.read_module_list(args.module_list))
    if not modules:
        raise _no_module(args.module_list)
    return distinct_modules(modules)


def _tell_failures(failed: list[tuple[str, int]], modules: list[str], *, scored: bool) -> None:
    """Says, on stderr, which of several modules could not be scored (their errors were
    reported one by one before); says nothing for one module, or none failed."""
    from ...program.report import tell

    if failed and len(modules) > 1:
        names = ", ".join(_shown(module) for module, _ in failed)
        ranked = "the table ranks the others" if scored else "no module was scored"
        tell(
            f"tfhub: {len(failed)} of {len(modules)} modules could not be scored ({names}): "
            f"see the errors above; {ranked}."
        )


def _shown(module: str) -> str:
    """A module as typed, for one line: credentials hidden (`redact`), control characters
    escaped (a newline forged a line, an ANSI escape coloured the terminal), quoted if it is
    empty or has spaces at its ends (else unseen)."""
    from ...utils.printable import escaped
    from ...utils.redact import redact

    shown = redact(module)
    return escaped(shown) if module and module == module.strip() else repr(shown)


def build_parser() -> argparse.ArgumentParser:
    """Returns the parser of the `tfhub-module-search` console script."""
    from ...help_text import HelpFormatter, help_environment

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Rank image feature-vector modules for a labelled image dataset.",
        epilog=help_environment(),
        formatter_class=HelpFormatter,
        allow_abbrev=False,  # As upstream's absl flags: --module_l is not --module_list.
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action=VerboseSwitch,
        help="log tfhub's progress (and TensorFlow's) to stderr",
    )
    add_arguments(parser)
    return parser


def run_command(args: argparse.Namespace) -> int:
    """`run` as the commands run it: the tool's own progress lines shown, tfhub's with `-v`,
    as absl's own flags say (`--only_check_args`, `-v N`, `--log_dir`: `run_with_absl_flags`)."""
    from .. import tool_progress_shown

    with tool_progress_shown():
        return run_with_absl_flags(args, lambda: run(args), prog=PROG)


def main(argv: Sequence[str] | None = None) -> int:
    """Console script `tfhub-module-search`; errors end as one line on stderr."""
    from ...program.report import report
    from ...program.runner import run_reported
    from ...program.stdout import parse_args

    parser = build_parser()
    add_absl_app_flags(parser)
    try:
        args = parse_args(parser, read_as_absl(sys.argv[1:] if argv is None else argv, parser))
    except errors.TFHubError as err:  # absl missing for --flagfile: one line, its code.
        return report(err)
    return run_reported(
        lambda: run_command(args), prog=PROG, verbose=args.verbose, tensorflow_logs=args.verbose
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

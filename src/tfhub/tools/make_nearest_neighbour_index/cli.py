"""The `make_nearest_neighbour_index` command: `generate | build | e2e | query`, upstream's flags.

Arguments this parser does not know are Beam pipeline options for `generate`/`e2e`
(`--runner=FlinkRunner --flink_master=...`, `--direct_num_workers=4`, ...). Library logic
lives in embedding_generator, index_builder and similarity_finder; this module parses and prints
(query's answers: query_answers).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ... import errors
from ...utils.paths import home_expanded, is_url, relative_below
from ..absl_app_flags import run_with_absl_flags
from ..absl_argv import VerboseSwitch, absl_int, add_absl_app_flags, add_switch, read_as_absl
from ..hub_flags import add_hub_flags, hub_flags_applied
from .flag_values import MAX_TREES, required
from .query_answers import answer_queries
from .query_answers import one_line as one_line  # Public here before query_answers held it.
from .query_answers import print_matches as print_matches

logger = logging.getLogger(__name__)

OPERATIONS = ("generate", "build", "e2e", "query")
PROG = "make_nearest_neighbour_index"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The parser of the tool's flags (upstream's names and defaults, plus tfhub's)."""
    from ...help_text import HelpFormatter, help_environment

    parser = argparse.ArgumentParser(
        prog=prog,
        epilog=help_environment(),
        formatter_class=HelpFormatter,
        description="Embed text with a TF Hub module (Apache Beam), build an approximate "
        "nearest-neighbour index, and query it. Unknown --flags of generate/e2e are passed to "
        "Beam as pipeline options (e.g. --runner=FlinkRunner, --direct_num_workers=4).",
        # No prefixes of the tool's flags, as absl's upstream took none: Beam's --project
        # (Dataflow's) would otherwise be read as --projected_dim.
        allow_abbrev=False,
    )
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument(  # --verbose first: docs/tools.md's flag table names each by its long name.
        "--verbose",
        "-v",
        action=VerboseSwitch,
        help="log tfhub's library progress (downloads, retries; and TensorFlow's) to stderr",
    )
    # The help lists the flags in this order (upstream's, then tfhub's), hence four groups.
    _add_embedding_flags(parser)
    _add_index_flags(parser)
    _add_query_flags(parser)
    _add_generate_flags(parser)
    add_hub_flags(parser)
    return parser


def command_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """`build_parser` with absl's own flags (`add_absl_app_flags`), as the commands read them;
    `build_parser`'s are the tool's, as its --help and docs/tools.md's table list them."""
    parser = build_parser(prog)
    add_absl_app_flags(parser)
    return parser


def _add_embedding_flags(parser: argparse.ArgumentParser) -> None:
    """Adds the flags of generate's input, module and output (query reads --module_url too)."""
    add = parser.add_argument
    add(
        "--data_file_pattern",
        type=home_expanded,
        help="text file(s) to embed, in UTF-8, one item per line (a glob; .gz/.bz2/.xz "
        "decompressed; blank lines skipped)",
    )
    add(
        "--module_url",
        type=home_expanded,
        help="text-embedding module: a tfhub.dev URL, a URL or a folder",
    )
    add(
        "--embed_output_dir",
        type=home_expanded,
        help="folder of the embedding TFRecords (local or gs://; replaced)",
    )
    add(
        "--projected_dim",
        type=absl_int,
        help="randomly project the embeddings to this size (at most the module's; default, "
        "or 0: no projection)",
    )


def _add_index_flags(parser: argparse.ArgumentParser) -> None:
    """Adds the flags of the index: its folder, how build makes it, how many matches query
    returns."""
    from .ann import DEFAULT_LIBRARY, LIBRARIES

    add = parser.add_argument
    add("--num_trees", type=absl_int, help="annoy trees (default 100; annoy indexes only)")
    add(
        "--index_output_dir",
        type=home_expanded,
        help="folder of the index files (local or gs://; replaced by build)",
    )
    add("--num_matches", type=absl_int, default=5, help="items a query returns (default 5)")
    add(
        "--index_library",
        choices=sorted(LIBRARIES),
        help=f"ANN library (default {DEFAULT_LIBRARY}, which measured best, see the docs; annoy "
        "with --upstream_format)",
    )
    add_switch(
        parser,
        "upstream_format",
        "annoy index plus upstream's pickled "
        "mapping and matrix, readable by tensorflow_hub 0.10's tool",
    )


def _add_query_flags(parser: argparse.ArgumentParser) -> None:
    """Adds the flags of query: what index it may read, and the queries to answer."""
    add = parser.add_argument
    add_switch(
        parser,
        "allow_pickle",
        "read upstream's pickled mapping/matrix (pickles can run code: only for files you trust)",
    )
    add_switch(
        parser,
        "allow_other_module",
        "query with a --module_url other than the one the index's embeddings were made "
        "with, as its embedding_module.json records (the same model moved or exported again); "
        "without it, that is an error",
    )
    add(
        "--query",
        action="append",
        help="query this text and exit (repeatable); without it, "
        "`query` asks interactively as upstream",
    )


def _add_generate_flags(parser: argparse.ArgumentParser) -> None:
    """Adds generate's flags of how the embeddings are computed (tfhub's, after upstream's)."""
    add = parser.add_argument
    add(
        "--batch_size",
        type=absl_int,
        default=1028,
        help="largest batch embedded at once (default 1028)",
    )
    add("--seed", type=absl_int, help="seed of the random projection (default: random)")


def _bad_flag(flag: str, value: object, message: str) -> errors.ToolFlagError:
    name = flag.lstrip("-")  # "--num_trees" -> "num_trees", as the other tools name it.
    return errors.ToolFlagError(f"{message} Received: {name}={value!r}", flag=name, value=value)


def _require(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        required(args, name, operation=args.operation)


def _require_positive(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        value = getattr(args, name)
        if value is not None and value < 1:
            raise _bad_flag(f"--{name}", value, f"--{name} must be a positive integer.")


def _require_at_most(args: argparse.Namespace, name: str, maximum: int, why: str) -> None:
    value = getattr(args, name)
    if value is not None and value > maximum:
        raise _bad_flag(f"--{name}", value, f"--{name} must be at most {maximum} ({why}).")


def _inside(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or inside it (local paths, links resolved; URLs as text)."""
    if is_url(path) or is_url(folder):
        path, folder = path.rstrip("/"), folder.rstrip("/")
        return path == folder or path.startswith(folder + "/")
    return relative_below(path, folder) is not None


def _require_apart(operation: str, embed_dir: str, index_dir: str) -> None:
    """Refuses output folders that a step would delete, since each is written whole: the
    embeddings in (or being) the index folder; for e2e, an index inside the embedding folder
    (generate replaces it, index included)."""
    if _inside(embed_dir, index_dir) or (operation == "e2e" and _inside(index_dir, embed_dir)):
        raise _bad_flag(
            "--index_output_dir",
            index_dir,
            "--index_output_dir and --embed_output_dir must be apart (the embedding folder "
            "not inside the index folder, nor the index inside the embeddings for e2e): "
            "each folder is written whole, replacing what is in it.",
        )


def _require_library_fits(args: argparse.Namespace) -> None:
    """Refuses, before any work (for e2e, before generate runs its pipeline), an
    --index_library that --upstream_format does not write, or whose package is not installed.

    Raises:
        tfhub.errors.ToolFlagError: --upstream_format with a library other than annoy.
        tfhub.errors.MissingDependencyError: the library cannot be imported.
    """
    from . import ann
    from .index_builder import BuildConfig

    ann.require_installed(BuildConfig.from_flags(args).chosen_library())


def validate(args: argparse.Namespace, beam_args: Sequence[str]) -> None:
    """Checks the flags an operation needs (as upstream's validate_args), before any work.

    Raises:
        tfhub.errors.ToolFlagError: naming the first missing or unusable flag; first, the
            arguments the tool does not know, for an operation that takes no Beam options.
    """
    if beam_args and args.operation not in ("generate", "e2e"):
        raise _bad_flag(
            "arguments",
            " ".join(beam_args),
            f"Unknown arguments for `{args.operation}` (only generate and e2e take Beam "
            "pipeline options).",
        )
    if args.operation in ("generate", "e2e"):
        _require(args, "data_file_pattern", "module_url", "embed_output_dir")
        _require_positive(args, "batch_size")
        if args.projected_dim is not None and args.projected_dim < 0:  # 0: none, as upstream's.
            message = "--projected_dim must be a positive integer (or 0: no projection)."
            raise _bad_flag("--projected_dim", args.projected_dim, message)
        if args.seed is not None and args.seed < 0:  # NumPy's generator takes none.
            message = "--seed must be an integer of at least 0 (omit it for a fresh seed)."
            raise _bad_flag("--seed", args.seed, message)
    if args.operation in ("build", "e2e"):
        _require(args, "embed_output_dir", "index_output_dir")
        _require_positive(args, "num_trees")
        _require_at_most(args, "num_trees", MAX_TREES, "annoy takes a C int")
        _require_apart(args.operation, args.embed_output_dir, args.index_output_dir)
        _require_library_fits(args)
    if args.operation == "query":
        _require(args, "module_url", "index_output_dir")
        _require_positive(args, "num_matches")


def _generate(args: argparse.Namespace, beam_args: Sequence[str]) -> None:
    from . import embedding_generator as generator

    dim = generator.run(generator.GenerateConfig.from_flags(args), beam_args)
    print(f"Embeddings of size {dim} written to {args.embed_output_dir}")


def _no_trees(library: str, args: argparse.Namespace) -> str:
    """The warning for a --num_trees that the index of `library` (not annoy) has no use for."""
    chosen_by_default = not args.index_library
    default = " (the default since tfhub measured it, see the docs)" if chosen_by_default else ""
    trees = f"{args.num_trees} tree{'' if args.num_trees == 1 else 's'}"
    return (
        f"--num_trees sets annoy's trees; the index is {library}'s{default}, which has none. "
        f"Pass --index_library=annoy for an annoy index of {trees}, as upstream built."
    )


def _build(args: argparse.Namespace) -> None:
    from . import index_builder as builder

    config = builder.BuildConfig.from_flags(args)
    if args.num_trees is not None and config.chosen_library() != "annoy":
        logger.warning("%s", _no_trees(config.chosen_library(), args))
    info = builder.run(config)
    items, dims = info["items"], info["dimensions"]
    print(
        f"{info['library']} index of {items} item{'' if items == 1 else 's'} ({dims} "
        f"dimension{'' if dims == 1 else 's'}) written to {args.index_output_dir} in "
        f"{info['build_seconds']:.2f} s"
    )


def _check_apart_from_module(args: argparse.Namespace) -> None:
    """Refuses, before any work, an output folder of generate or e2e at, inside or holding
    the local --module_url folder (each output folder is replaced whole).

    Raises:
        tfhub.errors.OutputNotWritableError: naming the output's flag and --module_url.
    """
    from ..module_handles import check_output_apart
    from .files import OUTPUT_FOLDERS

    flags = {"generate": ("embed_output_dir",), "e2e": ("embed_output_dir", "index_output_dir")}
    for flag in flags.get(args.operation, ()):
        check_output_apart(
            getattr(args, flag),
            args.module_url,
            what=OUTPUT_FOLDERS[flag],
            flag=flag,
            module_flag="module_url",
            replaced_whole=True,
        )


def run(args: argparse.Namespace, beam_args: Sequence[str] = ()) -> int:
    """Runs one operation of parsed arguments (upstream's --tfhub_cache_dir and
    --tfhub_model_load_format too, for its Beam workers as well: `hub_flags_applied`); returns
    the exit code."""
    with hub_flags_applied(args):
        return _run_operation(args, beam_args)


def _run_operation(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    """`run` of the operation `args.operation`; returns 0."""
    validate(args, beam_args)
    _check_apart_from_module(args)
    if args.operation == "e2e":  # Before generate writes anything.
        from .files import check_output_folder

        check_output_folder(args.index_output_dir, flag="index_output_dir")
    if args.operation in ("generate", "e2e"):
        _generate(args, beam_args)
    if args.operation in ("build", "e2e"):
        _build(args)
    if args.operation == "query":
        answer_queries(args)
    return 0


def run_command(args: argparse.Namespace, beam_args: Sequence[str] = ()) -> int:
    """`run` as the commands run it: the tool's own progress lines shown, tfhub's with `-v`,
    as absl's own flags say (`--only_check_args`, `-v N`, `--log_dir`: `run_with_absl_flags`)."""
    from .. import tool_progress_shown

    with tool_progress_shown():
        return run_with_absl_flags(args, lambda: run(args, beam_args), prog=PROG)


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Console script `make_nearest_neighbour_index`; errors end as one line on stderr."""
    from ...program.report import report
    from ...program.runner import run_reported
    from ...program.stdout import parse_args

    parser = command_parser(prog)
    try:
        argv = read_as_absl(sys.argv[1:] if argv is None else argv, parser)
        args, beam_args = parse_args(parser, argv, known=True)
    except errors.TFHubError as err:  # absl missing for --flagfile: one line, its code.
        return report(err)
    return run_reported(
        lambda: run_command(args, beam_args),
        prog=prog,
        verbose=args.verbose,
        tensorflow_logs=args.verbose,
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

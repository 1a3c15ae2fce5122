"""`tfhub resolve`, `tfhub pull` and `tfhub import`: put models in the cache (parse and print)."""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
from typing import Any

from .. import constants, errors, handles
from ..help_text import DOWNLOAD_VARIABLES, environment
from ..saved_model import resolve
from ..utils.redact import redact
from ._parsers import add_documented_parser, handle_text

RESOLVE_ENV = environment(*DOWNLOAD_VARIABLES, constants.TFHUB_DEBUG)
PULL_ENV = environment(
    *DOWNLOAD_VARIABLES,
    constants.TFHUB_DEBUG,
    note="(pull downloads archives also under TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED, which reads "
    "models\nin place from gs:// and never caches them.)",
)
IMPORT_ENV = environment(
    constants.TFHUB_CACHE_DIR,
    constants.TFHUB_LOCK_TIMEOUT,
    constants.TFHUB_MAX_EXTRACTED_BYTES,
    constants.TFHUB_MAX_ARCHIVE_MEMBERS,
    constants.TFHUB_DEBUG,
)

_parser = functools.partial(add_documented_parser, environment=RESOLVE_ENV)
logger = logging.getLogger(__name__)


def add_commands(commands: Any) -> None:
    """Adds the subcommands to the `tfhub` parser."""
    parser = _parser(
        commands,
        "resolve",
        description="Resolve a handle (local path, file://, gs://, http(s):// or Kaggle URL), "
        "downloading it into the cache if needed, and print exactly its folder on stdout.",
        examples='  tfhub resolve https://host/models/m/1\n  cd "$(tfhub resolve -v URL)"',
    )
    parser.add_argument("handle", type=handle_text)
    parser.set_defaults(run=run_resolve)
    parser = _parser(
        commands,
        "pull",
        description="Download handles into the cache; print `HANDLE<TAB>FOLDER` per handle. A "
        "handle that fails is reported and the others are still pulled. Local paths, file:// "
        "URLs and gs:// folders are read in place, never cached: they are refused (exit 2).",
        examples="  tfhub pull URL1 URL2\n  TFHUB_CACHE_DIR=/shared/cache tfhub pull URL",
        environment=PULL_ENV,
    )
    parser.add_argument("handles", nargs="+", metavar="HANDLE", type=handle_text)
    parser.set_defaults(run=run_pull)
    parser = _parser(
        commands,
        "import",
        description="Extract a local archive into the cache entry of a handle (http(s) URLs "
        "and gs:// archives), as if it had been downloaded from there.",
        examples="  tfhub import model.tar.gz --handle https://host/models/m/1\n"
        "  ssh host cat model.tar.gz | tfhub import - --handle https://host/models/m/1",
        environment=IMPORT_ENV,
    )
    parser.add_argument(
        "archive",
        help="a .tar, .tar.gz or .tgz file of the model folder (- or /dev/stdin: read stdin)",
    )
    parser.add_argument(
        "--handle", required=True, type=handle_text, help="the handle it will be found under"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing entry")
    parser.set_defaults(run=run_import)


def run_resolve(args: argparse.Namespace) -> int:
    """Prints exactly the folder on stdout."""
    print(resolve(args.handle))
    return 0


def run_pull(args: argparse.Namespace) -> int:
    """Resolves each handle into the cache (archives, whatever TFHUB_MODEL_LOAD_FORMAT says:
    `_archives_into_the_cache`); prints `HANDLE<TAB>FOLDER` per handle.

    A handle that fails is reported on stderr and the others are still pulled; the exit code
    is then that of the first failure.
    """
    with _archives_into_the_cache():
        return _pull_each(args.handles)


def _archives_into_the_cache() -> contextlib.AbstractContextManager[None]:
    """Makes the resolves of `pull` download archives into the cache, also where
    TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED (said once on stderr).

    UNCOMPRESSED reads a model in place from the gs:// folder its server names, never cached:
    a pull under it printed that folder, exited 0 and left the cache without the model, which
    the offline machine the cache was copied to then lacked.

    A TFHUB_MODEL_LOAD_FORMAT that is no load format is left to each resolve, which says so
    for a handle that reads it (an http(s) URL), as `tfhub resolve` does: a local path is
    pulled as before.
    """
    try:
        uncompressed = constants.model_load_format() is constants.ModelLoadFormat.UNCOMPRESSED
    except errors.SettingError:
        return contextlib.nullcontext()
    if not uncompressed:
        return contextlib.nullcontext()
    logger.warning(
        "TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED reads models in place from gs://, never cached: "
        "`tfhub pull` downloads their archives into the cache instead (as COMPRESSED does)."
    )
    return constants.overrides({constants.TFHUB_MODEL_LOAD_FORMAT: "COMPRESSED"})


def _pull_each(handles: list[str]) -> int:
    """`run_pull`'s loop: resolves and prints each handle; the first failure's exit code.

    Raises:
        OSError: if stdout could not be written (a closed pipe, a full disk), once every
            handle was pulled without a failure: the lines report the work (`WorkReport.end`;
            after a failure, that is said and the failure's exit code returned).
    """
    from ..program.report import report
    from ..program.stdout import WorkReport

    exit_code = 0
    lines = WorkReport()
    for handle in handles:
        try:
            _refuse_read_in_place(handle)
            folder = resolve(handle)
        except Exception as err:  # Reported, then the next handle.
            code = report(err)
            exit_code = exit_code or code
            continue
        lines.say(f"{redact(handle)}\t{folder}", flush=True)
    return lines.end(exit_code)


def _refuse_read_in_place(handle: str) -> None:
    """Refuses a handle `pull` cannot put into the cache: a local path or file:// URL (a folder
    or a file), a gs:// folder or another tf.io.gfile path, which hub.resolve reads in place
    and never caches (as `tfhub import` refuses it). Any other handle is left to resolve (a
    `scheme://` no resolver reads is its error to name).

    Raises:
        tfhub.errors.InvalidHandleError: for such a handle (exit 2), saying what to do instead.
    """
    if not handles.is_read_in_place(handle):
        return
    raise errors.InvalidHandleError(
        "`tfhub pull` puts http(s):// URLs and gs:// archives into the cache; local paths, "
        "file:// URLs, gs:// folders and other tf.io.gfile paths are read in place and never "
        "cached: copy the folder itself, or put its archive into the cache under a URL with "
        f"`tfhub import ARCHIVE --handle URL`. Received: handle={redact(handle)!r}"
    )


def run_import(args: argparse.Namespace) -> int:
    """Imports the archive (`-`: stdin) and prints the entry's folder."""
    from ..cache.importing import import_archive

    print(import_archive(args.archive, args.handle, force=args.force))  # `-`: standard input.
    return 0

"""`tfhub resolve`, `tfhub pull` and `tfhub import`: put models in the cache."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from .. import _archive, cache, handles
from ..download import atomic_download
from ..resolvers import resolve

logger = logging.getLogger(__name__)


def add_commands(commands: Any) -> None:
    """Adds the subcommands to the `tfhub` parser."""
    parser = commands.add_parser("resolve", help="print the local folder of a handle")
    parser.add_argument("handle")
    parser.set_defaults(run=run_resolve)
    parser = commands.add_parser("pull", help="download handles into the cache (for offline use)")
    parser.add_argument("handles", nargs="+", metavar="HANDLE")
    parser.set_defaults(run=run_pull)
    parser = commands.add_parser("import", help="put a .tar.gz archive into the cache as a handle")
    parser.add_argument("archive", help="a .tar, .tar.gz or .tgz file of the model folder")
    parser.add_argument("--handle", required=True, help="the handle it will be found under")
    parser.add_argument("--force", action="store_true", help="replace an existing entry")
    parser.set_defaults(run=run_import)


def run_resolve(args: argparse.Namespace) -> int:
    """Prints exactly the folder on stdout."""
    print(resolve(args.handle))
    return 0


def run_pull(args: argparse.Namespace) -> int:
    """Resolves each handle; prints `HANDLE<TAB>FOLDER` per handle.

    A handle that fails is reported on stderr and the others are still pulled; the exit code
    is then that of the first failure.
    """
    from . import _errors

    exit_code = 0
    for handle in args.handles:
        try:
            print(f"{handle}\t{resolve(handle)}")
        except Exception as err:
            code = _errors.report(err)
            exit_code = exit_code or code
        sys.stdout.flush()
    return exit_code


def import_archive(archive: str, handle: str, *, force: bool = False) -> str:
    """Extracts a local archive into the cache entry of `handle`; returns its folder.

    Raises:
        tfhub.errors.ModelNotFoundError: if the archive does not exist.
        tfhub.errors.InvalidHandleError: for a handle that is never looked up in the cache.
        tfhub.errors.ArchiveError: if it is not a valid, safe archive.
    """
    from .. import errors

    if not os.path.isfile(archive):
        problem = "is a folder, not an archive file" if os.path.isdir(archive) else "does not exist"
        raise errors.ModelNotFoundError(f"{archive} {problem}. Received: archive={archive!r}")
    parsed = handles.parse(handle)
    if isinstance(parsed, handles.LocalPath) or (
        isinstance(parsed, handles.GcsPath) and not parsed.is_archive
    ):
        raise errors.InvalidHandleError(
            "Only http(s):// URLs and gs:// archives are looked up in the cache; local paths "
            f"and gs:// folders are read in place. Received: handle={handle!r}"
        )
    key = handles.cache_handle(handle)
    module_path = cache.module_dir(key)
    if force and os.path.lexists(module_path):
        cache.remove(module_path)
    elif cache.is_complete(module_path):
        logger.warning(
            "%s is already in the cache (%s) and was kept; pass --force to replace it with %s.",
            handle,
            module_path,
            archive,
        )
        return module_path

    def fetch(target: str) -> None:
        _archive.extract_file(archive, target)

    return atomic_download(
        key,
        fetch,
        module_path=module_path,
        local=True,
    )


def run_import(args: argparse.Namespace) -> int:
    """Imports the archive and prints the entry's folder."""
    print(import_archive(args.archive, args.handle, force=args.force))
    return 0

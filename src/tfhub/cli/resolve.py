"""`tfhub resolve`, `tfhub pull` and `tfhub import`: put models in the cache (parse and print)."""

from __future__ import annotations

import argparse
import functools
from typing import Any

from ..saved_model import resolve
from ..utils.redact import redact
from ._parsers import add_documented_parser

RESOLVE_ENV = """\
environment:
  TFHUB_CACHE_DIR          the cache folder (default <tempdir>/tfhub_modules)
  TFHUB_OFFLINE=1          use the cache only
  TFHUB_MODEL_LOAD_FORMAT  AUTO (default), COMPRESSED or UNCOMPRESSED
  TFHUB_HTTP_TIMEOUT       seconds per connection or read (default 60)
  TFHUB_HTTP_RETRIES       retries of a failed request (default 4)
  TFHUB_LOCK_TIMEOUT       seconds another process's download may show no sign of life (120)
  TFHUB_DOWNLOAD_PROGRESS  0/1: progress bar off/on (default: on in a terminal)
  TFHUB_KAGGLE_ENDPOINT    download Kaggle models from this base URL
  HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, TFHUB_DISABLE_CERT_VALIDATION
"""


_parser = functools.partial(add_documented_parser, environment=RESOLVE_ENV)


def add_commands(commands: Any) -> None:
    """Adds the subcommands to the `tfhub` parser."""
    parser = _parser(
        commands,
        "resolve",
        description="Resolve a handle (local path, file://, gs://, http(s):// or Kaggle URL), "
        "downloading it into the cache if needed, and print exactly its folder on stdout.",
        examples='  tfhub resolve https://host/models/m/1\n  cd "$(tfhub resolve -v URL)"',
    )
    parser.add_argument("handle")
    parser.set_defaults(run=run_resolve)
    parser = _parser(
        commands,
        "pull",
        description="Download handles into the cache; print `HANDLE<TAB>FOLDER` per handle. A "
        "handle that fails is reported and the others are still pulled.",
        examples="  tfhub pull URL1 URL2\n  TFHUB_CACHE_DIR=/shared/cache tfhub pull URL",
    )
    parser.add_argument("handles", nargs="+", metavar="HANDLE")
    parser.set_defaults(run=run_pull)
    parser = _parser(
        commands,
        "import",
        description="Extract a local archive into the cache entry of a handle (http(s) URLs "
        "and gs:// archives), as if it had been downloaded from there.",
        examples="  tfhub import model.tar.gz --handle https://host/models/m/1",
    )
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
            print(f"{redact(handle)}\t{resolve(handle)}")
        except Exception as err:  # Reported, then the next handle.
            code = _errors.report(err)
            exit_code = exit_code or code
        _errors.flush_stdout()
    return exit_code


def run_import(args: argparse.Namespace) -> int:
    """Imports the archive and prints the entry's folder."""
    from ..cache.importing import import_archive

    print(import_archive(args.archive, args.handle, force=args.force))
    return 0

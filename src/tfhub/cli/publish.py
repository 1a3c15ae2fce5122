"""`tfhub pack|publish|validate|mirror`: build a private hub folder in tfhub.dev's format."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .. import errors
from ..hub import docs_format as fmt
from ..hub import mirror as mirror_lib
from ..hub import pack as pack_lib
from ..hub import publish as publish_lib
from ..hub import staging, starter, validator
from ..hub.publish import Published
from ..utils.paths import home_expanded
from . import _errors
from ._parsers import add_command


def add_commands(commands: Any) -> None:
    """Adds pack, publish, validate and mirror to the `tfhub` parser."""
    parser = add_command(commands, "pack")
    parser.add_argument("model_dir", metavar="MODEL_DIR")
    parser.add_argument("-o", "--output", required=True, type=home_expanded, metavar="FILE.tar.gz")
    parser.set_defaults(run=run_pack)
    parser = add_command(commands, "publish")
    parser.add_argument(
        "model_dir", metavar="MODEL_DIR", help="the model folder, or a .tar.gz (.tgz, .tar) of one"
    )
    parser.add_argument("root", metavar="ROOT")
    parser.add_argument("--handle", required=True, help="publisher/model/version")
    parser.add_argument(
        "--doc", type=home_expanded, metavar="FILE.md", help="the doc (default: a starter doc)"
    )
    _add_starter_options(parser)
    parser.add_argument("--force", action="store_true", help="replace an existing version")
    parser.set_defaults(run=run_publish)
    parser = add_command(commands, "validate")
    parser.add_argument("root", metavar="ROOT")
    parser.set_defaults(run=run_validate)
    parser = add_command(commands, "mirror")
    parser.add_argument("sources", nargs="*", metavar="HANDLE", help="anything tfhub resolves")
    parser.add_argument("root", metavar="ROOT")
    parser.add_argument("--as", dest="as_handle", help="publisher/model/version (one HANDLE)")
    parser.add_argument(
        "--from-docs", action="store_true", help="mirror the URL asset-paths of ROOT's docs"
    )
    _add_starter_options(parser)
    parser.add_argument("--force", action="store_true", help="replace existing model files")
    parser.set_defaults(run=run_mirror)


def _add_starter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("starter doc (when no doc is given)")
    group.add_argument("--description", help="the one-line description")
    group.add_argument("--task", help="e.g. text-embedding (default: inferred from the inputs)")
    group.add_argument("--license", help="e.g. apache-2.0")


def _starter_info(args: argparse.Namespace) -> starter.StarterInfo:
    return starter.StarterInfo(description=args.description, task=args.task, license=args.license)


def _print_published(published: Published) -> None:
    doc = "written" if published.wrote_doc else "kept"
    print(f"{published.handle}\t{published.archive}\tsha256={published.archive_sha256}\tdoc {doc}")


def run_pack(args: argparse.Namespace) -> int:
    """Prints `ARCHIVE<TAB>SIZE<TAB>sha256=...` (on stderr when the archive went to stdout:
    `tfhub pack MODEL -o /dev/stdout | ssh host 'cat > m.tar.gz'`)."""
    packed = pack_lib.pack_model(args.model_dir, args.output)
    line = f"{packed.path}\t{packed.size}\tsha256={packed.sha256}"
    if _is_stdout(args.output):
        _errors.tell(line)  # Never into the archive, also with stderr closed.
    else:
        print(line)
    return 0


def _is_stdout(path: str) -> bool:
    """Whether `path` is the file this process's stdout writes to (/dev/stdout, its pipe)."""
    try:
        written, stdout = os.stat(path), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # No such file, or a test's captured stdout.
        return False
    return (written.st_dev, written.st_ino) == (stdout.st_dev, stdout.st_ino)


def run_publish(args: argparse.Namespace) -> int:
    """Publishes; doc problems are printed one per line (`file:line: message`), exit 1."""
    try:
        published = publish_lib.publish(
            args.model_dir,
            args.root,
            args.handle,
            doc=args.doc,
            info=_starter_info(args),
            force=args.force,
        )
    except errors.DocValidationError as err:
        for problem in err.problems:
            _errors.tell(str(problem))
        _errors.tell(f"tfhub: {len(err.problems)} problem(s) in the doc; nothing written")
        return 1
    _print_published(published)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Prints one `file:line: message` per problem (file under ROOT as given); exit 1 if any.

    Also removes what killed publishes left in folders nobody is publishing into now.
    """
    problems = validator.validate_tree(args.root)
    removed = staging.clean_tree(fmt.docs_dir(args.root))
    if removed:
        _errors.tell(
            f"tfhub: removed {len(removed)} leftover(s) of interrupted publishes, e.g. {removed[0]}"
        )
    for problem in problems:
        print(f"{os.path.join(args.root, problem.path)}:{problem.line}: {problem.message}")
    if problems:
        _errors.tell(f"tfhub: {len(problems)} problem(s)")
        return 1
    return 0


def run_mirror(args: argparse.Namespace) -> int:
    """Mirrors each HANDLE (and with --from-docs, the docs' asset-paths); one line per version."""
    if args.as_handle and len(args.sources) != 1:
        raise errors.InvalidHandleError(
            f"--as names one version: give exactly one HANDLE with it. Received: {args.sources}"
        )
    if not args.sources and not args.from_docs:
        raise errors.InvalidHandleError("Give at least one HANDLE to mirror, or --from-docs.")
    for source in args.sources:
        _print_published(
            mirror_lib.mirror(
                source,
                args.root,
                as_handle=args.as_handle,
                info=_starter_info(args),
                force=args.force,
            )
        )
    if not args.from_docs:
        return 0
    report = mirror_lib.mirror_doc_assets(args.root, force=args.force)
    for published in report.mirrored:
        _print_published(published)
    for handle, message in report.failed:
        _errors.tell(f"tfhub: cannot mirror {handle}: {' '.join(message.split())}")
    return 1 if report.failed else 0

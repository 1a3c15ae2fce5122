"""`tfhub pack|publish|validate|mirror`: build a private hub folder in tfhub.dev's format."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import constants, errors
from ..help_text import DOWNLOAD_VARIABLES, environment
from ..hub import docs_layout, leftovers, starter, validator
from ..hub import mirror as mirror_lib
from ..hub import pack as pack_lib
from ..hub import publish as publish_lib
from ..hub.publish import Published
from ..program.report import tell
from ..program.stdout import WorkReport
from ..utils.paths import home_expanded
from ._parsers import add_documented_parser

_LOADING = (constants.TF_CPP_MIN_LOG_LEVEL, constants.TFHUB_DEBUG)  # Commands that load a model.
PACK_ENV = environment(*_LOADING)
PUBLISH_ENV = environment(
    constants.TFHUB_MAX_EXTRACTED_BYTES, constants.TFHUB_MAX_ARCHIVE_MEMBERS, *_LOADING
)
VALIDATE_ENV = environment(constants.TFHUB_DEBUG)
MIRROR_ENV = environment(*DOWNLOAD_VARIABLES, *_LOADING)


def add_commands(commands: Any) -> None:
    """Adds pack, publish, validate and mirror to the `tfhub` parser."""
    _add_pack(commands)
    _add_publish(commands)
    _add_validate(commands)
    _add_mirror(commands)


def _add_pack(commands: Any) -> None:
    """Adds `tfhub pack MODEL_DIR -o FILE.tar.gz`."""
    parser = add_documented_parser(
        commands,
        "pack",
        description="Load a model folder (TF2 SavedModel or TF1 Hub module) with TensorFlow to "
        "check it, then write a deterministic .tar.gz of it (the same folder gives the same "
        "bytes) and print `ARCHIVE<TAB>SIZE<TAB>sha256=...`.",
        examples="  tfhub pack ./my_model -o my_model.tar.gz\n"
        "  tfhub pack ./my_model -o - | ssh host 'cat > my_model.tar.gz'",
        environment=PACK_ENV,
    )
    parser.add_argument("model_dir", metavar="MODEL_DIR")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=home_expanded,
        metavar="FILE.tar.gz",
        help="the archive to write; - writes it to stdout (./- is a file named -)",
    )
    parser.set_defaults(run=run_pack)


def _add_publish(commands: Any) -> None:
    """Adds `tfhub publish MODEL_DIR ROOT --handle ...` with its doc and starter-doc options."""
    parser = add_documented_parser(
        commands,
        "publish",
        description="Add a model version to a hub folder (tfhub.dev's layout): load the model "
        "(a folder or a .tar.gz of one), pack it, write its signature summary and its doc (the "
        "--doc given, or a starter doc), all or nothing. Versions are immutable unless --force.",
        examples="  tfhub publish ./my_model hub/ --handle acme/text-embedding/1 --license "
        "apache-2.0\n  tfhub publish model.tar.gz hub/ --handle acme/text-embedding/2 --doc 2.md",
        environment=PUBLISH_ENV,
    )
    parser.add_argument(
        "model_dir", metavar="MODEL_DIR", help="the model folder, or a .tar.gz (.tgz, .tar) of one"
    )
    parser.add_argument("root", metavar="ROOT")
    parser.add_argument("--handle", required=True, help="publisher/model/version")
    parser.add_argument(
        "--doc", type=home_expanded, metavar="FILE.md", help="the doc (default: a starter doc)"
    )
    _add_starter_options(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing version (and, without --doc, its doc by a starter doc: "
        "pass --doc ROOT/.../<version>.md to keep it)",
    )
    parser.set_defaults(run=run_publish)


def _add_validate(commands: Any) -> None:
    """Adds `tfhub validate ROOT`."""
    parser = add_documented_parser(
        commands,
        "validate",
        description="Check every doc under ROOT/assets/docs as tfhub.dev's CI did (and the model "
        "files beside each model doc); print one `file:line: message` per problem, exit 1 if "
        "there is any. Also removes what killed publishes left behind.",
        examples="  tfhub validate hub/",
        environment=VALIDATE_ENV,
    )
    parser.add_argument("root", metavar="ROOT")
    parser.set_defaults(run=run_validate)


def _add_mirror(commands: Any) -> None:
    """Adds `tfhub mirror HANDLE... ROOT` (or `ROOT --from-docs`)."""
    parser = add_documented_parser(
        commands,
        "mirror",
        description="Resolve each HANDLE as tfhub.resolve does (a hub or Kaggle URL, a gs:// "
        "path, a local folder or .tar.gz) and publish it into ROOT, for air-gapped servers; "
        "with --from-docs, mirror the URL asset-paths of ROOT's docs.",
        examples="  tfhub mirror https://hub.example/acme/emb/1 hub/\n"
        "  tfhub mirror ./downloaded_model hub/ --as acme/emb/1\n"
        "  TFHUB_TOKEN=... TFHUB_TOKEN_HOST=hub.corp tfhub mirror https://hub.corp/acme/emb/1 "
        "hub/\n  tfhub mirror hub/ --from-docs",
        environment=MIRROR_ENV,
    )
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
    print(_published_line(published))


def _published_line(published: Published) -> str:
    """The line that reports a published (or mirrored) version."""
    doc = "written" if published.wrote_doc else "kept"
    return f"{published.handle}\t{published.archive}\tsha256={published.archive_sha256}\tdoc {doc}"


@contextlib.contextmanager
def _said_on_stop(note: str) -> Iterator[None]:
    """Adds `note` to a Ctrl-C (or SIGTERM) that stops the block, which the CLI's one
    "interrupted" line says: what the stopped publish or mirror left (`__notes__` set by hand,
    as Python 3.10 has no `add_note`)."""
    try:
        yield
    except KeyboardInterrupt as err:
        err.__notes__ = [*getattr(err, "__notes__", []), note]
        raise


def run_pack(args: argparse.Namespace) -> int:
    """Prints `ARCHIVE<TAB>SIZE<TAB>sha256=...` (on stderr when the archive went to stdout:
    `tfhub pack MODEL -o - | ssh host 'cat > m.tar.gz'`, or `-o /dev/stdout`)."""
    output = args.output
    packed = pack_lib.pack_model(args.model_dir, output)
    line = f"{packed.path}\t{packed.size}\tsha256={packed.sha256}"
    if output == "-" or _is_stdout(output):
        tell(line)  # Never into the archive, also with stderr closed.
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
    """Publishes; doc problems are printed one per line (`file:line: message`), exit 1. A ROOT
    that is a URL is refused by `publish` itself (PublishTargetError, exit 1)."""
    try:
        with _said_on_stop(f"{args.handle} was not published: {args.root} is as it was."):
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
            tell(str(problem))
        tell(f"tfhub: {len(err.problems)} problem(s) in the doc; nothing written")
        return 1
    _print_published(published)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Prints one `file:line: message` per problem (file under ROOT as given); exit 1 if any.
    Without one, it says so on stdout: `OK: ROOT: N doc(s) checked`.

    First removes what killed publishes left in folders nobody is publishing into now, after
    putting back the files a publish killed while renaming had replaced (so they are checked);
    a folder a publish works in now is named in a note (not a problem), never waited for.
    """
    busy: list[Path] = []
    removed = leftovers.clean_tree(docs_layout.docs_dir(args.root), busy=busy)
    checked: list[Path] = []
    problems = validator.validate_tree(args.root, checked=checked)
    if removed:
        tell(
            f"tfhub: removed {len(removed)} leftover(s) of interrupted publishes, e.g. {removed[0]}"
        )
    for path in busy:
        tell(
            f"tfhub: note: {path} is being published now, not checked (its publish leftovers "
            "are left as they are); run `tfhub validate` again once that publish ends"
        )
    for problem in problems:
        print(f"{os.path.join(args.root, problem.path)}:{problem.line}: {problem.message}")
    if problems:
        tell(f"tfhub: {len(problems)} problem(s)")
        return 1
    print(f"OK: {args.root}: {len(checked)} doc(s) checked")
    return 0


def run_mirror(args: argparse.Namespace) -> int:
    """Mirrors each HANDLE (and with --from-docs, the docs' asset-paths); one line per version.
    A ROOT that is a URL is refused by the library (`mirror`, `mirror_doc_assets`)."""
    if args.as_handle and len(args.sources) != 1:
        raise errors.InvalidHandleError(
            f"--as names one version: give exactly one HANDLE with it. Received: {args.sources}"
        )
    if not args.sources and not args.from_docs:
        raise errors.InvalidHandleError("Give at least one HANDLE to mirror, or --from-docs.")
    lines = WorkReport()  # A line that cannot be written stops no mirror after it.
    for source in args.sources:
        shown = mirror_lib.public_source(source)
        with _said_on_stop(f"{shown} was not mirrored; {args.root} holds what was before it."):
            published = mirror_lib.mirror(
                source,
                args.root,
                as_handle=args.as_handle,
                info=_starter_info(args),
                force=args.force,
            )
        lines.say(_published_line(published))
    if not args.from_docs:
        return lines.end(0)
    with _said_on_stop(f"Run `tfhub mirror {args.root} --from-docs` again to finish."):
        report = mirror_lib.mirror_doc_assets(args.root, force=args.force)
    for published in report.mirrored:
        lines.say(_published_line(published))
    for handle, message in report.failed:
        tell(f"tfhub: cannot mirror {handle}: {' '.join(message.split())}")
    return lines.end(1 if report.failed else 0)

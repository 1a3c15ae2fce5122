"""Where things live in a hub folder (ROOT) in tfhub.dev's layout: the docs folder, a doc's
archive, model folder and signature summary beside it, and the list of doc files.

See `docs_format` for the layout itself. Pure Python: no TensorFlow.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from .. import errors
from ..utils.users import login_name
from .confinement import is_below
from .doc_handles import PART_RULE, DocHandle, unsafe_part

logger = logging.getLogger(__name__)

DOCS_DIR = os.path.join("assets", "docs")
DOCS_DIR_POSIX = "assets/docs"
ARCHIVE_SUFFIX = ".tar.gz"
SIGNATURES_SUFFIX = ".signatures.json"
# Files that make a folder a model (its .md files are model assets, not docs).
MODEL_MARKERS = ("saved_model.pb", "saved_model.pbtxt", "tfhub_module.pb")


def docs_dir(root: str | os.PathLike[str]) -> Path:
    """ROOT/assets/docs."""
    return Path(root) / DOCS_DIR


def enclosing_hub(folder: str | os.PathLike[str]) -> Path | None:
    """The hub folder whose `assets/` or `assets/docs/` holds `folder` (is `assets`, or is
    or lies below `assets/docs`), the nearest one, or None: a hub folder given as ROOT there
    would write a second hub inside the first, which the server never serves and which fails
    the first's `validate`.

    Args:
        folder: a folder given as ROOT (need not exist); made absolute, symlinks not followed.

    Returns:
        The enclosing hub folder, one whose `assets/docs` holds a publisher's folder (with its
        doc or its `models/`: a project's own `assets/docs`, a website's, is no hub), or None.
    """
    path = Path(os.path.abspath(folder))
    for parent in path.parents:
        parts = path.relative_to(parent).parts
        if (parts == ("assets",) or parts[:2] == ("assets", "docs")) and _holds_publisher(
            docs_dir(parent)
        ):
            return parent
    return None


def _holds_publisher(docs: Path) -> bool:
    """True if the folder `docs` holds a publisher's folder `<p>/` with `<p>/<p>.md` or
    `<p>/models/` in it (it stops at the first)."""
    try:
        with os.scandir(docs) as entries:
            for entry in entries:
                folder = Path(entry.path)
                if entry.is_dir() and (
                    (folder / f"{entry.name}.md").is_file() or (folder / "models").is_dir()
                ):
                    return True
    except OSError:  # Missing, a file, unreadable: no hub to name.
        return False
    return False


def publisher_doc_of(folder: str | os.PathLike[str], docs: str | os.PathLike[str]) -> Path | None:
    """The publisher doc `docs/<publisher>/<publisher>.md` of a model folder
    `docs/<publisher>/models/<model path>`, or None if `folder` is no model folder below `docs`
    (both paths as given: both real, or both as written)."""
    if not is_below(folder, docs):
        return None
    rel = Path(os.path.relpath(folder, docs)).parts
    if len(rel) < 3 or rel[1] != "models":
        return None
    return Path(docs) / rel[0] / f"{rel[0]}.md"


def inside_docs(base: Path, path: Path, handle: DocHandle) -> Path:
    """The path, if it lies below `base` with no hidden part; else InvalidHandleError (a check
    of its own: callers may build a DocHandle without `parse_handle`)."""
    parts = Path(os.path.relpath(os.path.normpath(path), os.path.normpath(base))).parts
    unsafe = unsafe_part(handle)
    if unsafe is not None or not is_below(path, base) or any(p.startswith(".") for p in parts):
        raise errors.InvalidHandleError(
            f"The hub handle {str(handle)!r} names a path outside the hub's docs folder or in a "
            f"hidden folder ({path}): {PART_RULE}; rename that part. "
            f"Received: handle={str(handle)!r}"
        )
    return path


def _beside(doc: Path, suffix: str) -> Path:
    return doc.with_name(doc.name[: -len(".md")] + suffix)


def archive_path(doc: Path) -> Path:
    """`<version>.tar.gz` beside the doc `<version>.md`."""
    return _beside(doc, ARCHIVE_SUFFIX)


def model_dir_path(doc: Path) -> Path:
    """The model folder `<version>/` beside the doc `<version>.md`."""
    return _beside(doc, "")


def signatures_path(doc: Path) -> Path:
    """`<version>.signatures.json` beside the doc `<version>.md`."""
    return _beside(doc, SIGNATURES_SUFFIX)


def is_model_dir(path: Path) -> bool:
    """True if the folder holds a saved_model.pb(txt) or tfhub_module.pb."""
    return any((path / marker).is_file() for marker in MODEL_MARKERS)


def model_dir_beside(doc: Path) -> list[Path]:
    """[the model folder `<version>/` beside the doc] if there is one (a folder of other docs,
    such as tfhub.dev's `<version>/default/tfjs/1.md`, is not a model folder)."""
    folder = model_dir_path(doc)
    return [folder] if folder.is_dir() and is_model_dir(folder) else []


def relative_paths(file: Path, root: str | os.PathLike[str] | None) -> tuple[str, str]:
    """(path relative to ROOT/assets/docs, path shown to people)."""
    if root is None:
        return file.name, os.fspath(path_as_given(file))
    try:
        rel = file.relative_to(docs_dir(root).absolute()).as_posix()
    except ValueError:
        return file.as_posix(), file.as_posix()
    return rel, shown_doc_path(rel)


def shown_doc_path(rel: str) -> str:
    """The path shown to people of the doc at `rel` below ROOT/assets/docs."""
    return f"{DOCS_DIR_POSIX}/{rel}"


def path_as_given(file: Path) -> Path:
    """The path relative to the working directory if it is below it, else absolute."""
    try:
        return file.relative_to(Path.cwd())
    except ValueError:
        return file


def find_doc_files(
    root: str | os.PathLike[str],
    *,
    symlinks: list[Path] | None = None,
    unlisted: list[OSError] | None = None,
) -> list[Path]:
    """Every `.md` file under ROOT/assets/docs, sorted, skipping the insides of model folders.

    Args:
        root: the hub folder.
        symlinks: if given, extended with each symlinked folder the walk does not follow (the
            server never serves a doc below one: `tfhub validate` reports them), but a model
            folder (`<version>/` beside its doc: it holds no docs).
        unlisted: if given, extended with the error of each folder that could not be listed
            (`tfhub validate` reports them), instead of `warn_unlisted_folder`'s warning.

    Returns:
        Absolute paths ([] if ROOT/assets/docs does not exist). Folders holding a model
        (saved_model.pb, saved_model.pbtxt or tfhub_module.pb) and hidden entries are skipped.
    """
    base = docs_dir(root).absolute()
    return sorted(iter_doc_files(base, symlinks=symlinks, unlisted=unlisted))


def iter_doc_files(
    base: Path, *, symlinks: list[Path] | None = None, unlisted: list[OSError] | None = None
) -> Iterator[Path]:
    """The `.md` files below the folder `base` as `find_doc_files` finds them (not inside a
    model folder below `base`, nor hidden, nor below a symlinked folder, which is added to
    `symlinks` if given, unless it is a model folder: its `.md` files are no docs), folder by
    folder in sorted order, found as they are asked for; a folder that cannot be listed is
    added to `unlisted` if given (but a folder gone meanwhile), else warned about."""

    def not_listed(err: OSError) -> None:
        if unlisted is None:
            warn_unlisted_folder(err)
        elif err.errno != errno.ENOENT:
            unlisted.append(err)

    for folder, subdirs, files in os.walk(base, onerror=not_listed):
        current = Path(folder)
        if current != base and is_model_dir(current):
            subdirs[:] = []
            continue
        subdirs[:] = sorted(name for name in subdirs if not name.startswith("."))
        if symlinks is not None:  # os.walk lists them, and does not go below them.
            symlinks.extend(_linked_folders(current, subdirs))
        yield from (current / name for name in files if name.endswith(".md") and name[0] != ".")


def _linked_folders(folder: Path, subdirs: list[str]) -> list[Path]:
    """The folders of `subdirs` (in `folder`) that are symlinks, but model folders."""
    linked = [folder / name for name in subdirs if (folder / name).is_symlink()]
    return [path for path in linked if not is_model_dir(path)]


def warn_unlisted_folder(err: OSError) -> None:
    """Warns that the docs below a folder are left out (not served, not validated): it could
    not be listed (`err`, naming it: no permission, an I/O error), unless it is gone (removed
    while the docs were listed: nothing is missing). Without it, a folder of the docs tree the
    server's user may not read (a publish under `umask 077` makes its folders 0700) left its
    models out without a word: each answered `404 Not Found: no model ...`."""
    if err.errno == errno.ENOENT:
        return
    logger.warning("Left out the docs below %s (not served): %s", err.filename, unlisted_why(err))


def unlisted_why(err: OSError) -> str:
    """Why the folder `err` names could not be listed, and what to do."""
    if err.errno in (errno.EACCES, errno.EPERM):
        return (
            "this process's user may not read it; let it: 'chmod a+rX "
            f"{err.filename}' (or run as a user that may read it)"
        )
    return f"it cannot be listed ({err.strerror or err}); check the disk, then list it again"


def unlisted_by_mirror(err: OSError) -> str:
    """Why `tfhub mirror` skipped the docs below the folder `err` names (it could not list it),
    and what the one mirroring can do (`unlisted_why` says it for the server)."""
    if err.errno in (errno.EACCES, errno.EPERM):
        return (
            f"the docs below it were not mirrored: this user ({_this_user()}) may not list it; "
            "run 'tfhub mirror' as a user that may read it (its owner), or have its owner "
            f"run 'chmod a+rX {err.filename}', then mirror again"
        )
    return (
        f"the docs below it were not mirrored: it cannot be listed ({err.strerror or err}); "
        "check the disk, then mirror again"
    )


def _this_user() -> str:
    """The name of this process's user (its uid where it has no name or no `pwd`)."""
    uid = os.geteuid()
    return login_name(uid) or f"uid {uid}"

"""Publish a model into a hub folder: archive + doc + signature summary, all or nothing.

`publish` loads the model (TF2 SavedModel or TF1 Hub module), computes its signature summary,
packs it deterministically, and validates the doc (the given one, or a starter doc) as
tfhub.dev's validator did. Everything is written into a staging folder beside the target and then
renamed into place, the doc last (a server lists versions by their docs); if a step fails, what
was moved is moved back. Versions are immutable: an existing version is refused unless `force`.
Publishes into one model folder take turns (`staging.folder_lock`: no lock file), and each removes
what killed publishes left there; nothing but the version's files is left in ROOT.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .. import _archive, errors
from ..handles import is_archive_path
from ..saved_model_proto import model_files_in
from ..utils.paths import relative_below
from ..utils.printable import repr_escaped
from ..utils.refused_writes import failed_write, is_quota, quota_used_up
from . import (
    catalog,
    doc_handles,
    docs_layout,
    docs_text,
    model_files,
    publish_doc,
    signatures,
    starter,
)
from . import commit as commit_lib
from . import docs_format as fmt
from . import pack as pack_lib
from . import staging as staging_lib
from .doc_handles import DocHandle
from .docs_format import DocKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    """What `publish` (or `mirror`) wrote: the files, and whether the doc was written."""

    handle: str
    doc: Path
    archive: Path
    signatures: Path
    wrote_doc: bool
    wrote_publisher_doc: bool
    archive_sha256: str


def publish(
    model_dir: str | os.PathLike[str],
    root: str | os.PathLike[str],
    handle: str,
    *,
    doc: str | os.PathLike[str] | None = None,
    info: starter.StarterInfo | None = None,
    force: bool = False,
) -> Published:
    """`tfhub publish`: puts a model version into a hub folder.

    Args:
        model_dir: the model folder (TF2 SavedModel or TF1 Hub module), or an archive file
            of one (.tar.gz, .tgz, .tar), as tfhub.dev served models.
        root: the hub folder (created if missing).
        handle: `publisher/model/version`.
        doc: the Markdown doc; None writes a starter doc filled in from the model and `info`.
        info: description, task and license for a starter doc.
        force: replace an existing version.

    Returns:
        What was written.

    Raises:
        InvalidHandleError: a malformed handle.
        VersionExistsError: the version exists and `force` is False.
        NotAModelError: the folder or archive is not a loadable model.
        tfhub.errors.ArchiveError: a damaged or hostile archive (nothing is published).
        DocValidationError: the doc has problems (`.problems`: `file:line: message`).
        PublishBusyError: another process kept publishing into the same model folder for 10 min.
    """
    parsed = doc_handles.parse_handle(handle)
    doc_text = None if doc is None else publish_doc.read_doc(doc)
    if doc is not None and doc_text is not None:
        publish_doc.check_first_line(doc_text, os.fspath(doc), parsed)
        publish_doc.check_asset_path(doc_text, os.fspath(doc), parsed)
    return install(
        model_dir,
        root,
        parsed,
        doc_text=doc_text,
        info=info or starter.StarterInfo(),
        force=force,
        doc_shown=None if doc is None else os.fspath(doc),
    )


def install(
    model_dir: str | os.PathLike[str],
    root: str | os.PathLike[str],
    handle: DocHandle,
    *,
    doc_text: str | None,
    info: starter.StarterInfo,
    force: bool,
    keep_existing_doc: bool = False,
    doc_shown: str | None = None,
    command: str = "publish",
) -> Published:
    """Installs a model version (see `publish`); `mirror` uses it too.

    Args:
        model_dir: the model folder, or an archive file of one.
        root: the hub folder.
        handle: the version's handle.
        doc_text: the doc's text, or None for a starter doc (or the existing doc, see below).
        info: what a starter doc needs beyond the model.
        force: replace an existing version.
        keep_existing_doc: if the version has a doc (e.g. one whose asset-path is not mirrored
            yet) and `doc_text` is None, keep that doc and add (or, with `force`, replace) the
            model files.
        doc_shown: the file the doc was read from, named in its problems (default: where the
            doc goes in the hub).
        command: the tfhub command the user runs (`publish`, `mirror`), which an error says
            to run again once its cause is fixed.

    Returns:
        What was written.
    """
    target = fmt.doc_path(root, handle, DocKind.MODULE)
    if Path(root).exists() and not Path(root).is_dir():
        raise errors.PublishTargetError(
            f"The hub folder {os.fspath(root)} is a file: give a folder (it is created if "
            "missing).",
            path=os.fspath(root),
        )
    _refuse_root_in_model(model_dir, root)
    _refuse_derived_url(handle)
    made: list[Path] = []  # The folders this call makes: a failed publish removes them.
    try:
        with contextlib.ExitStack() as stack:
            own = staging_lib.lock_model_folder(stack, target.parent, made)
            try:
                if own:  # Leftovers of killed publishes: nobody else can own them now.
                    staging_lib.remove_leftovers(target.parent, docs=docs_layout.docs_dir(root))
                keep_doc = keep_existing_doc and doc_text is None and target.is_file()
                if not force:
                    _refuse_existing(handle, target, ignore_doc=keep_doc)
                staging = target.parent / staging_lib.staging_name(target.stem, uuid.uuid4().hex)
                staging.mkdir()
                try:
                    staging_lib.record_made(staging, made)  # A kill leaves no folders.
                    model_folder = _unpacked(model_dir, staging, command)
                    _refuse_refused_files(model_folder, model_dir, command)
                    loaded = _check_loadable(model_folder, model_dir)
                    summary = signatures.compute_summary(model_folder, loaded=loaded)
                    return _stage_and_commit(
                        model_folder,
                        root,
                        handle,
                        summary,
                        staging,
                        _DocToWrite(doc_text, doc_shown, keep_doc),
                        info,
                    )
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
            except BaseException:  # No empty folders left; under the lock (see staging).
                staging_lib.remove_made_folders(made, locked=True)
                raise
    except BaseException as err:
        if isinstance(err, OSError) and err.errno in errors.DISK_FULL_ERRNOS:
            raise _disk_full(handle, root, target.parent, err, command) from err
        if isinstance(err, OSError) and _refused_in(err, root):
            raise _not_writable(handle, root, target.parent, err, command) from err
        raise


def _refuse_derived_url(handle: DocHandle) -> None:
    """Raises InvalidHandleError for a model path that starts with `lite-model/`, `tfjs-model/`
    or `coral-model/`: tfhub.dev's URLs of Lite, Tfjs and Coral docs (`# Lite p/spice/1` is
    served at `/p/lite-model/spice/1`), so such a Module and such a doc would share a URL; and
    for one that starts with `collections/`, the URLs of collections (`/p/collections/x/1`)."""
    first = handle.model.split("/")[0]
    if first in catalog.DERIVED_PREFIXES.values():
        served = f"{first.split('-')[0].capitalize()} docs"
    elif first == "collections":
        served = "collections"
    else:
        return
    raise errors.InvalidHandleError(
        f"The hub handle {str(handle)!r} starts its model with {first + '/'!r}, where the "
        f"hub serves {served} (as tfhub.dev did): rename the model. "
        f"Received: handle={str(handle)!r}"
    )


def _refuse_root_in_model(model_dir: str | os.PathLike[str], root: str | os.PathLike[str]) -> None:
    """Raises PublishTargetError if the hub folder is the model folder or inside it (the
    archive would be staged into the folder it packs), before anything is loaded or made."""
    if os.path.isdir(model_dir) and relative_below(os.fspath(root), os.fspath(model_dir)):
        raise errors.PublishTargetError(
            f"The hub folder {os.fspath(root)} is inside the model folder "
            f"{os.fspath(model_dir)} it would publish: choose a hub folder outside it. "
            f"Received: root={os.fspath(root)!r}",
            path=os.fspath(root),
        )


def _disk_full(
    handle: DocHandle, root: str | os.PathLike[str], folder: Path, err: OSError, command: str
) -> errors.PublishWriteError:
    """The error for a full disk (or quota) while publishing into the hub folder `root`, saying
    to run `command` (publish, mirror) again.

    Its message is tfhub's own: `err`'s may be a helper's, such as the cache's advice to run
    `tfhub cache prune` (the signature summary is written as the cache writes its files), which
    does not apply to a hub folder. A used-up quota (EDQUOT) is said as such, not as a full disk.
    """
    hub_disk = f"the disk of the hub folder {os.fspath(root)}"
    problem = (
        f"{quota_used_up('on ' + hub_disk)}. Remove other files of yours there, or ask the "
        "administrator for a larger quota"
        if is_quota(err)
        else f"{hub_disk} is full. Free space on its disk"
    )
    return errors.PublishWriteError(
        f"Cannot publish {handle} into {folder}: {problem}, then {command} again; nothing was "
        "published.",
        path=os.fspath(folder),
        errno=err.errno,
    )


def _refused_in(err: OSError, root: str | os.PathLike[str]) -> bool:
    """Whether `err` is a write refused in the hub folder `root` (a model file that cannot be
    read is not: it says so itself)."""
    if err.errno not in errors.REFUSED_WRITE_ERRNOS:
        return False
    # Read-only: only a write fails so. No permission: a write, if it names a path in `root`.
    return err.errno == errno.EROFS or failed_write(err, os.fspath(root)) is not None


def _not_writable(
    handle: DocHandle, root: str | os.PathLike[str], folder: Path, err: OSError, command: str
) -> errors.PublishWriteError:
    """The error for a write refused in the hub folder `root` (read-only, no permission),
    naming the path that could not be written and what to do (then run `command` again)."""
    why = err.strerror or os.strerror(err.errno or 0)
    if isinstance(err.filename, str):
        why = f"{why}: {err.filename}"
    return errors.PublishWriteError(
        f"Cannot publish {handle} into {folder}: the hub folder {os.fspath(root)} cannot be "
        f"written ({why}). Choose a hub folder you can write to, then {command} again; nothing "
        "was published.",
        path=os.fspath(folder),
        errno=err.errno,
    )


def _unpacked(model_dir: str | os.PathLike[str], staging: Path, command: str) -> str:
    """Returns the model folder: `model_dir` itself, or for an archive file of one (a .tar,
    .tar.gz or .tgz, as tfhub.dev served models and Kaggle's downloads are), the folder in
    `staging` it is extracted into, safely (a member that would land outside is refused). An
    archive that holds the model in its only folder gives that folder. `command` (publish,
    mirror) is what an error says to run again.

    Raises:
        tfhub.errors.ArchiveError: a damaged or hostile archive (UnsafeArchiveError, ...).
        tfhub.errors.NotAnArchiveError: a file named as an archive that is none (a ZIP, an
            HTML page, an empty file): the extractor says what it holds.
        NotAModelError: the archive holds a link (`_refuse_links`).
    """
    path = os.fspath(model_dir)
    if os.path.isdir(path):  # A link or a named pipe inside: refused before TensorFlow reads.
        pack_lib.check_packable(path)
        return path
    if not os.path.isfile(path):
        return path  # Nothing, or a special file: check_loadable says which.
    with open(path, "rb") as handle:
        kind = _archive.sniff(handle.read(512))
    if kind not in ("gzip", "tar", "bz2", "xz") and not is_archive_path(path):
        return path  # check_loadable says what it is (a Keras file, a saved_model.pb...).
    folder = staging / "model"
    folder.mkdir()
    _archive.extract_file(path, os.fspath(folder))
    _refuse_links(folder, path, command)
    entries = list(folder.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not model_files_in(os.fspath(folder)):
        logger.info("%s holds the model in its folder %s/.", path, entries[0].name)
        return os.fspath(entries[0])
    return os.fspath(folder)


def _refuse_links(folder: Path, archive: str, command: str) -> None:
    """Raises NotAModelError, naming the archive and the member, if the archive extracted into
    `folder` held a link (pointing inside it: others are refused on extraction), saying to run
    `command` again without it. A published archive holds only files and folders, as `pack`
    writes it: tensorflow_hub cannot extract links."""
    for current, subdirs, files in os.walk(folder):
        for name in sorted([*subdirs, *files]):
            link = Path(current) / name
            if not link.is_symlink():
                continue
            member = link.relative_to(folder).as_posix()
            raise errors.NotAModelError(
                f"The archive {archive} holds the symlink {member} -> {os.readlink(link)}: a "
                "published model holds only files and folders (tensorflow_hub cannot extract "
                "links). Put the file itself in the archive (`tar czhf` stores what links "
                f"point to) and {command} again. Received: model_dir={repr_escaped(archive)}",
                path=archive,
                reason=f"not a regular file: {member}",
            )


def _refuse_refused_files(folder: str, model_dir: str | os.PathLike[str], command: str) -> None:
    """Raises NotAModelError, before the model is loaded, if `tfhub validate` would refuse the
    files of the model folder (`model_files.folder_problems`: a README or another file a
    SavedModel does not use, a file name outside tfhub.dev's pattern), saying to run `command`
    again once they are out; else publish would write a version that leaves the hub invalid.
    A folder without saved_model.pb is left to `_check_loadable`, which says what it is."""
    if not (os.path.isdir(folder) and model_files_in(folder)):
        return
    problems = model_files.folder_problems(Path(folder))
    if not problems:
        return
    remedy = (
        "Save the model again (tf.saved_model.save; a copy cut short or a file that is no "
        "SavedModel gives this)"
        if any(model_files.is_damaged_proto(problem) for problem in problems)
        else "Leave them out of the model folder (or save the model again with other file names)"
    )
    raise errors.NotAModelError(
        f"The model {os.fspath(model_dir)} holds files a hub refuses (`tfhub validate` reports "
        f"them, as tfhub.dev's CI did): {'; '.join(problems)}. {remedy} and {command} again; "
        f"nothing was published. Received: model_dir={repr_escaped(os.fspath(model_dir))}",
        path=os.fspath(model_dir),
        reason=f"files a hub refuses: {problems[0]}",
    )


def _check_loadable(folder: str, model_dir: str | os.PathLike[str]) -> Any:
    """`pack.check_loadable(folder)`, its error naming the archive `model_dir` if it was one."""
    try:
        return pack_lib.check_loadable(folder)
    except errors.NotAModelError as err:
        if folder == os.fspath(model_dir):
            raise
        archive = os.fspath(model_dir)
        raise errors.NotAModelError(
            f"The archive {archive} holds no loadable model ({err.reason}): it must hold a "
            "TF2 SavedModel or a TF1 Hub module, saved_model.pb at its top. Received: "
            f"model_dir={archive!r}",
            path=archive,
            reason=err.reason,
        ) from err


def _existing(target: Path) -> list[Path]:
    """The files of a version that exist: doc, archive, signature summary, model folder."""
    paths = [target, docs_layout.archive_path(target), docs_layout.signatures_path(target)]
    return [path for path in paths if path.exists()] + _model_folder(target)


def _model_folder(target: Path) -> list[Path]:
    """[the model folder `<version>/` beside the doc] if there is one (a folder of other docs,
    such as tfhub.dev's `<version>/default/tfjs/1.md`, is not a model folder)."""
    folder = docs_layout.model_dir_path(target)
    return [folder] if folder.is_dir() and docs_layout.is_model_dir(folder) else []


def _refuse_existing(handle: DocHandle, target: Path, *, ignore_doc: bool) -> None:
    found = [path for path in _existing(target) if not (ignore_doc and path == target)]
    if found:
        raise errors.VersionExistsError(
            f"{handle} is already published ({found[0]}); versions are immutable: publish a new "
            "version, or pass --force to replace it.",
            handle=str(handle),
            path=os.fspath(found[0]),
        )


class _DocToWrite(NamedTuple):
    """The doc `install` writes: `text` (None: a starter doc), the file it came from (`shown`,
    named in its problems), or the version's existing doc kept (`keep_existing`)."""

    text: str | None
    shown: str | None
    keep_existing: bool


def _stage_and_commit(
    model_dir: str | os.PathLike[str],
    root: str | os.PathLike[str],
    handle: DocHandle,
    summary: signatures.SignatureSummary,
    staging: Path,
    doc: _DocToWrite,
    info: starter.StarterInfo,
) -> Published:
    doc_text, keep_doc = doc.text, doc.keep_existing
    target = fmt.doc_path(root, handle, DocKind.MODULE)
    staged_doc = staging / target.name
    archive_name = docs_layout.archive_path(target).name
    packed = pack_lib.pack(model_dir, staging / archive_name)
    signatures.write_summary(summary, docs_layout.signatures_path(staged_doc))
    if keep_doc:
        text = docs_text.read_doc_text(target)
    elif doc_text is not None:
        text = doc_text
    else:
        text = starter.starter_module_doc(handle, summary, info, asset_path=archive_name)
    staged_doc.write_text(text, encoding="utf-8")
    publish_doc.check_doc(staged_doc, root, target, handle, summary, shown=doc.shown)
    moves = [(packed.path, docs_layout.archive_path(target))]
    moves.append((docs_layout.signatures_path(staged_doc), docs_layout.signatures_path(target)))
    publisher_doc = fmt.doc_path(root, handle, DocKind.PUBLISHER)
    wrote_publisher = not publisher_doc.exists()
    if wrote_publisher:
        staged_publisher = staging / publisher_doc.name
        publisher_text = publish_doc.publisher_doc_text(info.publisher_doc, root, handle)
        staged_publisher.write_text(publisher_text, "utf-8")
        moves.append((staged_publisher, publisher_doc))
    if not keep_doc:
        moves.append((staged_doc, target))
    commit_lib.commit(moves, staging, stale=_model_folder(target))
    logger.info("Published %s into %s", handle, target.parent)
    return Published(
        str(handle),
        target,
        docs_layout.archive_path(target),
        docs_layout.signatures_path(target),
        wrote_doc=not keep_doc,
        wrote_publisher_doc=wrote_publisher,
        archive_sha256=packed.sha256,
    )

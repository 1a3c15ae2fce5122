"""Publish a model into a hub folder: archive + doc + signature summary, all or nothing.

`publish` loads the model (TF2 SavedModel or TF1 Hub module), computes its signature summary,
packs it deterministically, and validates the doc (the given one, or a starter doc) as
tfhub.dev's validator did. Everything is written into a staging folder beside the target and then
renamed into place, the doc last (a server lists versions by their docs); if a step fails, what
was moved is moved back. Versions are immutable: an existing version is refused unless `force`.
Publishes into one model folder take turns (`publish_locks.folder_lock`: no lock file), and each
removes what killed publishes left there (`leftovers`); nothing but the version's files is left
in ROOT. What it refuses, and how a write into the hub that fails says so, is
`publish_refusals`'.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .. import errors
from ..utils.paths import is_url
from . import commit as commit_lib
from . import (
    doc_handles,
    docs_layout,
    docs_text,
    model_source,
    publish_doc,
    publish_locks,
    signatures,
    stale_table,
    starter,
    url_clashes,
)
from . import docs_format as fmt
from . import leftovers as leftovers_lib
from . import pack as pack_lib
from . import publish_refusals as refusals
from . import staging as staging_lib
from .doc_handles import DocHandle
from .docs_format import DocKind

logger = logging.getLogger(__name__)


def refuse_url_root(root: str | os.PathLike[str], command: str) -> None:
    """Refuses a hub folder that is a URL (`https://hub.example.com`, `file:///srv/hub`; or
    mirror's source given last), which `publish` and `mirror` wrote as the folders
    `https:/hub.example.com/` in the working folder, saying they had published.

    Args:
        root: the hub folder given.
        command: the tfhub command (`publish`, `mirror`) that the message names.

    Raises:
        PublishTargetError: if `root` is a URL (`utils.paths.is_url`: "://" in it).
    """
    shown = os.fspath(root)
    if is_url(shown):  # tfhub's one answer to "URL or local?".
        raise errors.PublishTargetError(
            "ROOT is the local hub folder that `tfhub serve ROOT` serves, not a URL: "
            f"`tfhub {command}` writes into a folder (e.g. hub/), which you then serve or copy "
            f"to the server; its last argument is ROOT. Received: root={shown!r}",
            path=shown,
        )


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
        force: replace an existing version; without `doc`, its doc is replaced by a starter
            doc too (a warning says so: pass the version's own doc to keep it).

    Returns:
        What was written.

    Raises:
        InvalidHandleError: a malformed handle.
        VersionExistsError: the version exists and `force` is False.
        NotAModelError: the folder or archive is not a loadable model.
        tfhub.errors.ArchiveError: a damaged or hostile archive (nothing is published).
        DocValidationError: the doc has problems (`.problems`: `file:line: message`).
        DocFormatError: the doc file cannot be read or is not UTF-8 (naming the byte).
        PublishTargetError: the hub folder is a URL (see `refuse_url_root`), a file, or the
            model folder or inside it; or the handle's model differs only by case from one the
            hub has (`acme/Emb`, `acme/emb`), or a folder of its path in the hub is a symlink
            (never served).
        PublishWriteError: the hub folder cannot be written (read-only, no permission) or its
            disk is full (an OSError; nothing is published).
        PublishBusyError: another process kept publishing into the same model folder for 10 min.
    """
    refuse_url_root(root, "publish")
    parsed = doc_handles.parse_handle(handle)
    doc_text = None if doc is None else publish_doc.read_doc(doc)
    if doc is not None and doc_text is not None:
        publish_doc.check_first_line(doc_text, os.fspath(doc), parsed)
        publish_doc.check_asset_path(doc_text, os.fspath(doc), parsed)
    existing = fmt.doc_path(root, parsed)
    replaces_doc = force and doc is None and existing.is_file()
    published = install(
        model_dir,
        root,
        parsed,
        doc_text=doc_text,
        info=info or starter.StarterInfo(),
        force=force,
        doc_shown=None if doc is None else os.fspath(doc),
    )
    if replaces_doc:
        logger.warning(
            "Replaced the doc of %s (%s) with a starter doc (--force without --doc): its "
            "former text is not kept. To keep a version's doc when you publish it again, pass "
            "it: --doc %s --force",
            parsed,
            existing,
            existing,
        )
    return published


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
    _refuse_before_locking(model_dir, root, handle, command)
    made: list[Path] = []  # The folders this call makes: a failed publish removes them.
    try:
        with contextlib.ExitStack() as stack:
            own = staging_lib.lock_model_folder(stack, target.parent, made)
            try:
                keep_doc = _refuse_under_lock(
                    root,
                    handle,
                    target,
                    own=own,
                    force=force,
                    keep_doc_if_any=keep_existing_doc and doc_text is None,
                )
                doc = _DocToWrite(doc_text, doc_shown, keep_doc)
                return _install_staged(model_dir, root, handle, doc, info, command, made)
            except BaseException:  # No empty folders left; under the lock (see staging).
                staging_lib.remove_made_folders(made, locked=True)
                raise
    except BaseException as err:
        failure = refusals.write_failure(err, handle, root, target.parent, command)
        if failure is not None:
            raise failure from err
        raise


def _refuse_before_locking(
    model_dir: str | os.PathLike[str], root: str | os.PathLike[str], handle: DocHandle, command: str
) -> None:
    """What `install` refuses before it makes or locks anything: a bad ROOT, a handle part too
    long for a file name, a model path where the hub serves other docs, a symlinked folder on
    the way, a case twin, a version URL that is another model's latest-version URL (see
    `publish_refusals`, `url_clashes`)."""
    refusals.refuse_root(model_dir, root)
    refusals.refuse_long_names(root, handle)
    refusals.refuse_derived_url(handle)
    refusals.refuse_linked_folder(root, handle)
    refusals.refuse_case_twin(root, handle)
    url_clashes.refuse_latest_url_clash(root, handle, command)


def _refuse_under_lock(
    root: str | os.PathLike[str],
    handle: DocHandle,
    target: Path,
    *,
    own: bool,
    force: bool,
    keep_doc_if_any: bool,
) -> bool:
    """What `install` refuses under the model folder's lock, after removing what killed
    publishes left there when `own` (nobody else can own it now); returns whether the
    version's existing doc (`target`) is kept: `keep_doc_if_any` and there is one.

    Raises:
        PublishTargetError: a case twin published meanwhile.
        PublishBusyError: a killed publish's staging folder could not be rolled back.
        VersionExistsError: the version exists and not `force`.
    """
    refusals.refuse_case_twin(root, handle)  # Again: a twin published meanwhile.
    if own:  # Leftovers of killed publishes: nobody else can own them now.
        docs = docs_layout.docs_dir(root)
        leftovers_lib.remove_leftovers(target.parent, docs=docs)
        refusals.refuse_pending_roll_back(target.parent, docs=docs, handle=handle)
    keep_doc = keep_doc_if_any and target.is_file()
    if not force:
        refusals.refuse_existing(handle, target, ignore_doc=keep_doc)
    return keep_doc


def _install_staged(
    model_dir: str | os.PathLike[str],
    root: str | os.PathLike[str],
    handle: DocHandle,
    doc: _DocToWrite,
    info: starter.StarterInfo,
    command: str,
    made: list[Path],
) -> Published:
    """Under the model folder's lock: unpacks (if an archive), checks and loads the model in a
    new staging folder beside the version's doc, then stages and commits its files; the
    staging folder is removed whatever happens (and recorded in `made` first)."""
    target = fmt.doc_path(root, handle, DocKind.MODULE)
    staging = target.parent / staging_lib.staging_name(target.stem, uuid.uuid4().hex)
    staging.mkdir()
    try:
        leftovers_lib.record_made(staging, made)  # A kill leaves no folders.
        model_folder = model_source.model_folder(model_dir, staging, command)
        refusals.refuse_refused_files(model_folder, model_dir, command)
        loaded = refusals.check_loadable(model_folder, model_dir)
        summary = signatures.compute_summary(model_folder, loaded=loaded)
        trainable = _trainable_count(loaded) if summary.call is not None else None
        return _stage_and_commit(
            model_folder, root, handle, summary, staging, doc, info, trainable_variables=trainable
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
    *,
    trainable_variables: int | None,
) -> Published:
    """Packs the model, writes its signature summary and doc into `staging`, checks the doc,
    and commits them (and a publisher doc, if the hub has none) under the publisher's lock.
    `trainable_variables` (of its `__call__`, None: unknown) decides a starter doc's
    `fine-tunable`."""
    keep_doc = doc.keep_existing
    target = fmt.doc_path(root, handle, DocKind.MODULE)
    staged_doc = staging / target.name
    archive_name = docs_layout.archive_path(target).name
    packed = pack_lib.pack(model_dir, staging / archive_name)
    signatures.write_summary(summary, docs_layout.signatures_path(staged_doc))
    doc_text = _doc_text(doc, target, handle, summary, info, archive_name, trainable_variables)
    staged_doc.write_text(doc_text.text, encoding="utf-8")
    publish_doc.check_doc(staged_doc, root, target, handle, summary, shown=doc.shown)
    moves = [(packed.path, docs_layout.archive_path(target))]
    moves.append((docs_layout.signatures_path(staged_doc), docs_layout.signatures_path(target)))
    publisher_doc = fmt.doc_path(root, handle, DocKind.PUBLISHER)
    # Under the publisher's lock: no roll-back elsewhere removes it between look and commit.
    with publish_locks.publisher_lock(target.parent, docs=docs_layout.docs_dir(root)):
        wrote_publisher = not publisher_doc.exists()
        if wrote_publisher:
            moves.append(_staged_publisher_doc(staging, publisher_doc, info, root, handle))
        if not keep_doc:
            moves.append((staged_doc, target))
        stale = docs_layout.model_dir_beside(target)
        commit_lib.commit(moves, staging, stale=stale, publisher_doc=publisher_doc)
    logger.info("Published %s into %s", handle, target.parent)
    stale_table.warn_replaced(doc_text, handle)  # Only now: a failed publish replaced nothing.
    return Published(
        str(handle),
        target,
        docs_layout.archive_path(target),
        docs_layout.signatures_path(target),
        wrote_doc=not keep_doc,
        wrote_publisher_doc=wrote_publisher,
        archive_sha256=packed.sha256,
    )


def _doc_text(
    doc: _DocToWrite,
    target: Path,
    handle: DocHandle,
    summary: signatures.SignatureSummary,
    info: starter.StarterInfo,
    archive_name: str,
    trainable_variables: int | None,
) -> stale_table.DocText:
    """The text of the version's doc: the existing doc at `target` (kept), the doc given, or a
    starter doc whose asset-path is `archive_name`."""
    if doc.keep_existing or doc.text is not None:
        return stale_table.with_current_table(
            docs_text.read_doc_text(target) if doc.text is None else doc.text,
            shown=doc.shown or str(target),
            handle=handle,
            summary=summary,
            previous=docs_layout.signatures_path(target),
            rewrite=not doc.keep_existing,
        )
    return stale_table.DocText(
        starter.starter_module_doc(
            handle, summary, info, asset_path=archive_name, trainable_variables=trainable_variables
        )
    )


def _trainable_count(loaded: Any) -> int:
    """How many variables a loaded TF2 model's `__call__` trains, as hub.KerasLayer adopts
    them (`LoadedModel`: its `trainable_variables`, or the trainable ones it tracks)."""
    from ..loaded_model import LoadedModel  # Here: it imports tfhub.tf1 (~0.2 s).

    return len(LoadedModel.of(loaded).trainable_variables())


def _staged_publisher_doc(
    staging: Path,
    publisher_doc: Path,
    info: starter.StarterInfo,
    root: str | os.PathLike[str],
    handle: DocHandle,
) -> tuple[Path, Path]:
    """Writes the publisher's doc (the source hub's, or a starter one) into `staging`; returns
    its move into place, `publisher_doc`."""
    staged_publisher = staging / publisher_doc.name
    publisher_text = publish_doc.publisher_doc_text(info.publisher_doc, root, handle)
    staged_publisher.write_text(publisher_text, "utf-8")
    return staged_publisher, publisher_doc

"""`tfhub mirror ROOT --from-docs`: the models the docs of a hub folder name by a remote
asset-path (an http(s) or gs:// URL) and that are not mirrored yet, each resolved with
`tfhub.resolve` and installed under its doc (kept), as `mirror` installs one; one failure does
not stop the others (`MirrorReport`). `mirror` re-exports `mirror_doc_assets` and
`MirrorReport`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import errors
from .. import saved_model as saved_model_lib
from . import asset_paths, doc_file, doc_handles, doc_rules, docs_layout, leftovers, starter
from . import docs_format as fmt
from . import publish_refusals as refusals
from .doc_handles import DocHandle
from .docs_format import DocKind
from .mirror_copy import local_copy
from .publish import Published, install, refuse_url_root

# The name these messages had before `--from-docs` had a module of its own (`hub.mirror`), kept
# for logging configurations that name it.
logger = logging.getLogger("tfhub.hub.mirror")


@dataclass(frozen=True)
class MirrorReport:
    """What `mirror_doc_assets` did: versions mirrored, and (handle, error) of those that failed
    (a doc that cannot be read: (its path below the hub, error))."""

    mirrored: list[Published] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def mirror_doc_assets(
    root: str | os.PathLike[str], *, only: list[str] | None = None, force: bool = False
) -> MirrorReport:
    """Mirrors the remote asset-path of every Module doc of the hub that has no model files yet.

    Args:
        root: the hub folder.
        only: handles to mirror (default: every doc whose asset-path is an http(s) or gs:// URL);
            one that no Module doc names is a failure.
        force: also download versions that have model files already, replacing them.

    Returns:
        The versions mirrored and those that failed (with the error's message); one failure
        does not stop the others. Without `only`, a doc whose first line cannot be read (it
        could name a Module) is a failure too, named by its path; so is a doc whose
        asset-path is longer than `MAX_VALUE_CHARS` (the hub would not serve it).

    Raises:
        PublishTargetError: if `root` is a URL (`refuse_url_root`).
        ModelNotFoundError: if ROOT/assets/docs does not exist (as `validate_tree`: a mistyped
            ROOT mirrored nothing without a word).
    """
    refuse_url_root(root, "mirror")
    docs = _docs_to_mirror(root)
    # A mirror killed while putting a version's files in place left its archive without the
    # rest: rolled back first (as `validate` does), so the version is mirrored again, whole.
    leftovers.clean_tree(docs)
    report = MirrorReport()
    seen: set[str] = set()
    for doc in _readable_docs(root, report if only is None else None):
        if doc.kind is not DocKind.MODULE or (only is not None and str(doc.handle) not in only):
            continue
        seen.add(str(doc.handle))
        _mirror_doc(doc, root, report, force=force)
    report.failed.extend(_without_doc(only or [], seen, root))
    return report


def _docs_to_mirror(root: str | os.PathLike[str]) -> Path:
    """ROOT/assets/docs.

    Raises:
        ModelNotFoundError: if it does not exist.
    """
    docs = docs_layout.docs_dir(root)
    if not docs.is_dir():
        raise errors.ModelNotFoundError(
            f"{docs} does not exist, so it holds no docs to mirror the models of: give the hub "
            f"folder that holds {docs_layout.DOCS_DIR_POSIX}/<publisher>/... (tfhub.dev's "
            f"layout). Received: root={os.fspath(root)!r}",
            path=os.fspath(docs),
        )
    return docs


def _mirror_doc(
    doc: fmt.DocFile, root: str | os.PathLike[str], report: MirrorReport, *, force: bool
) -> None:
    """Mirrors the remote asset-path of the Module doc `doc` into the hub, unless it has none
    (or, without `force`, the version has model files already); adds the version to
    `report.mirrored`, or (handle, why) to `report.failed`."""
    try:  # The server's rule: a doc with two asset-path lines has none to mirror.
        declared = doc_file.asset_path(doc)
    except errors.DocValidationError as err:
        report.failed.append((str(doc.handle), str(err)))
        return
    asset = None if declared is None else declared.value
    parts = fmt.url_parts(asset) if asset else None
    if asset is None or parts is None or parts.scheme not in asset_paths.REMOTE_SCHEMES:
        return
    if not force and _has_model_files(doc.path):
        return
    refused = doc_handles.handle_problem(doc.handle)
    if refused:
        report.failed.append((str(doc.handle), f"{doc.display_path}: the handle {refused}"))
        return
    if len(asset) > fmt.MAX_VALUE_CHARS:
        report.failed.append((str(doc.handle), _too_long(doc, asset)))
        return
    try:
        refusals.refuse_case_twin(root, doc.handle, "mirror")
        path = saved_model_lib.resolve(asset)
        with local_copy(path) as local:
            report.mirrored.append(_install_kept(local, root, doc.handle, force=force))
    except errors.VersionExistsError:  # Another run mirrored it while this one waited.
        logger.info("%s was mirrored meanwhile by another process", doc.handle)
    except errors.TFHubError as err:
        logger.info("Cannot mirror %s: %s", doc.handle, err)
        report.failed.append((str(doc.handle), str(err)))


def _without_doc(
    only: list[str], seen: set[str], root: str | os.PathLike[str]
) -> list[tuple[str, str]]:
    """(handle, why) of each handle of `only` that no Module doc of the hub names."""
    failed = []
    for handle in dict.fromkeys(only):
        if handle in seen:
            continue
        try:
            shown = docs_layout.relative_paths(
                fmt.doc_path(root, doc_handles.parse_handle(handle)), root
            )[1]
        except errors.InvalidHandleError as err:
            failed.append((handle, str(err)))
            continue
        failed.append(
            (
                handle,
                f"no Module doc names it ({shown} does not exist, or is not a Module doc): "
                "publish the model with `tfhub publish`, or write that doc with the URL of its "
                "archive as asset-path",
            )
        )
    return failed


def _readable_docs(root: str | os.PathLike[str], report: MirrorReport | None) -> list[fmt.DocFile]:
    """The docs of the hub whose first line parses, with every value as written (not as served:
    `list_docs` leaves out an asset-path longer than `MAX_VALUE_CHARS`, which is a failure
    here); the others, and each folder that could not be listed, go to `report.failed` (by
    their path below the hub), or, without a report, are skipped with a warning."""
    docs = []
    unlisted: list[OSError] = []
    files = docs_layout.find_doc_files(root, unlisted=unlisted)
    for err in unlisted:  # Its docs could name Modules: a failure, as an unreadable doc.
        why = docs_layout.unlisted_by_mirror(err)
        shown = docs_layout.relative_paths(Path(err.filename), root)[1]
        if report is None:
            logger.warning("Skipped the docs below %s: %s", err.filename, why)
        else:
            report.failed.append((shown, why))
    for file in files:
        try:
            docs.append(fmt.parse_doc(file, root=root))
        except errors.DocFormatError as err:
            if report is None:
                logger.warning("Skipping a doc (not mirrored): %s", err)
                continue
            shown = docs_layout.relative_paths(file, root)[1]
            reason = str(err).removeprefix(f"{shown}:{err.line}: ")
            report.failed.append((shown, f"line {err.line}: {reason}"))
    return docs


def _too_long(doc: fmt.DocFile, asset: str) -> str:
    """Why a doc whose asset-path is longer than the server serves (a signed URL) is not
    mirrored: the hub would not serve the version (`tfhub validate` reports it)."""
    line = doc.metadata[doc_rules.ASSET_PATH][0].line
    return (
        f"{doc.display_path}:{line}: its asset-path is {len(asset):,} characters long, more "
        f"than the {fmt.MAX_VALUE_CHARS:,} a value may have, so the hub would not serve it: "
        "mirror the archive with `tfhub mirror URL ROOT --as HANDLE` (or put it at a shorter "
        "URL), then give the doc that version's archive as asset-path"
    )


def _install_kept(
    local: str, root: str | os.PathLike[str], handle: DocHandle, *, force: bool
) -> Published:
    """Installs a mirrored asset under the doc that names it, keeping the doc."""
    return install(
        local,
        root,
        handle,
        doc_text=None,
        info=starter.StarterInfo(),
        force=force,
        keep_existing_doc=True,
        command="mirror",
    )


def _has_model_files(doc: Path) -> bool:
    return docs_layout.archive_path(doc).exists() or docs_layout.is_model_dir(
        docs_layout.model_dir_path(doc)
    )

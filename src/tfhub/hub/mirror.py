"""Mirror models into a hub folder for an air-gapped server.

`mirror` resolves any handle tfhub resolves (an http(s) URL of a hub, a Kaggle model URL, a
gs:// path, a local folder such as a tfhub cache entry) with `tfhub.resolve`, then installs it
like `publish`: packed archive, signature summary, and the doc: the source's own doc when the
source is another `tfhub serve` (its JSON API gives it), else a starter doc if the hub has none
for the version (a doc already there, e.g. from a fork of tfhub.dev whose asset-path is a URL,
is kept).
`mirror_doc_assets` does the same for the docs of a hub folder whose asset-path is a URL that is
not mirrored yet.

What a mirror takes from a source is bounded, so that a hostile or broken source cannot fill
the disk or the memory: an archive by TFHUB_MAX_EXTRACTED_BYTES (what it expands to, checked as
it is extracted), a gs:// model folder copied here by the same limit (the sum of its files,
checked before each copy), and a source hub's JSON API answer by `MAX_API_BYTES` (read by
`mirror_source`).
"""

from __future__ import annotations

import logging
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .. import errors, handles
from .. import saved_model as saved_model_lib
from . import (
    asset_paths,
    doc_file,
    doc_handles,
    doc_rules,
    docs_layout,
    leftovers,
    starter,
    url_clashes,
)
from . import docs_format as fmt
from . import publish_refusals as refusals
from .doc_handles import DocHandle
from .docs_format import DocKind
from .mirror_copy import local_copy
from .mirror_source import SourceDoc, public_source, source_doc, source_publisher_doc
from .publish import Published, install

logger = logging.getLogger(__name__)
# The most bytes of a source hub's JSON API answer for a model that are read: its versions'
# docs (tfhub serve renders docs of up to 64 K characters; tfhub.dev's were a few KB).
MAX_API_BYTES = 32 << 20
_ASSET_LINE = re.compile(r"<!--\s*asset-path\s*:.*-->\s*")


@dataclass(frozen=True)
class MirrorReport:
    """What `mirror_doc_assets` did: versions mirrored, and (handle, error) of those that failed
    (a doc that cannot be read: (its path below the hub, error))."""

    mirrored: list[Published] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def derive_handle(source: str) -> DocHandle | None:
    """The hub handle a source names, if it names one.

    `https://host/publisher/model/version` gives publisher/model/version; a Kaggle model URL
    gives owner/model/variation/version (owner lower-cased). Other sources give None.

    Raises:
        InvalidHandleError: the source names a handle no hub can hold (a part such as `..`).
            A path that is not handle-shaped (a part that is not ASCII, an archive's name)
            gives None: `mirror` then asks for `as_handle`.
    """
    parsed = handles.parse(source)
    text: str | None = None
    if isinstance(parsed, handles.KaggleModel):
        text = f"{parsed.owner.lower()}/{parsed.model}/{parsed.variation}/{parsed.version}"
    elif isinstance(parsed, handles.HttpModel) and not handles.is_archive_path(parsed.url):
        text = urllib.parse.urlsplit(parsed.url).path.strip("/")
    if text is None or not doc_handles.is_handle_shaped(text):
        return None
    return doc_handles.parse_handle(text)  # Refuses parts such as '..' (see handle_problem).


def mirror(
    source: str,
    root: str | os.PathLike[str],
    *,
    as_handle: str | None = None,
    info: starter.StarterInfo | None = None,
    force: bool = False,
) -> Published:
    """`tfhub mirror`: copies one model from anywhere tfhub resolves into a hub folder.

    Args:
        source: any handle `tfhub.resolve` accepts.
        root: the hub folder.
        as_handle: the handle in the hub (`publisher/model/version`); default: the version's
            handle in the source hub, if its JSON API answers (a hub served below a path
            included; for a URL without a version, the latest version it names), else derived
            from the source (see `derive_handle`).
        info: description, task and license for a starter doc.
        force: replace a version that is already mirrored or published.

    Returns:
        What was written.

    Raises:
        InvalidHandleError: no `as_handle` given and none can be derived, or a malformed one.
        VersionExistsError: the version exists (and is not a doc waiting for its model).
        tfhub.errors.TFHubError: resolving failed (download, not found, offline, ...).
        NotAModelError, DocValidationError, PublishTargetError, PublishWriteError,
            PublishBusyError: as `publish`.
        MirrorTooLargeError: the source hub's API answer, or a gs:// model folder, is larger
            than `MAX_API_BYTES` or TFHUB_MAX_EXTRACTED_BYTES.
    """
    explicit = doc_handles.parse_handle(as_handle) if as_handle else None
    refusals.refuse_inside_hub(root, "mirror")  # Before the source is read or downloaded.
    derived = None if explicit else derive_handle(source)
    found: SourceDoc | None = None
    asked: list[str] = []
    # The source hub's API names the handle (without --as) and gives the doc (if ROOT has none).
    if explicit is None or not fmt.doc_path(root, explicit).is_file():
        found, asked = _source_doc(source)
    # A hub served below a path (https://host/hub/acme/emb/1) names acme/emb/1, as its API says.
    target = explicit or (found.origin if found else derived)
    if target is None:
        raise _no_target(source, asked)
    # Before the download; with mirror's advice (publish checks again, under the lock).
    refusals.refuse_case_twin(root, target, "mirror")
    url_clashes.refuse_latest_url_clash(root, target, "mirror")
    # A version-less URL (the latest) is downloaded by the version its hub's API named.
    path = saved_model_lib.resolve(found.url if found else source)
    base = info or starter.StarterInfo()
    doc_text = None
    if not fmt.doc_path(root, target).is_file():
        doc_text = _retargeted(found, target) if found else None
        if found is None and asked:
            logger.warning(
                "Found no doc of %s at its hub's JSON API (asked %s): writing a starter doc for "
                "%s. If the source is a `tfhub serve`, check that its API answers there (a hub "
                "behind a reverse proxy needs its --base-url), or edit the starter doc.",
                public_source(source),
                ", ".join(asked),
                target,
            )
    described = _described(base, target, source, _publisher_doc(found, target, root, source))
    with local_copy(path) as local:
        published = install(
            local,
            root,
            target,
            doc_text=doc_text,
            info=described,
            force=force,
            keep_existing_doc=True,
            command="mirror",
        )
    logger.info("Mirrored %s as %s", public_source(source), target)
    return published


def _no_target(source: str, asked: list[str]) -> errors.InvalidHandleError:
    """The error for a source without --as whose hub handle cannot be told (a URL without a
    version of a model no hub API asked, `asked`, has: it said only to pass --as)."""
    told = ""
    if asked:
        told = (
            " its URL names no version and no hub's JSON API names such a model (asked "
            f"{', '.join(asked)}): check the URL (the hub's pages list its models), or"
        )
    return errors.InvalidHandleError(
        f"Cannot tell the hub handle of {public_source(source)!r}:{told} pass --as "
        "publisher/model/version. Received: as_handle=None"
    )


def _source_doc(source: str) -> tuple[SourceDoc | None, list[str]]:
    """The Module doc of the version `source` names on another `tfhub serve`, if it has one, and
    the API URLs asked (`mirror_source.source_doc`, reading at most `MAX_API_BYTES` of each)."""
    return source_doc(source, max_bytes=MAX_API_BYTES)


def _retargeted(doc: SourceDoc, target: DocHandle) -> str:
    """The source's doc for `target`: its first line names `target`, its asset-path is the
    archive written beside it, and a hub URL of the source version in its body (the usage
    snippet's `https://HUB_HOST/<origin>`) names `target` too."""
    lines = doc.text.split("\n")
    lines[0] = f"# {DocKind.MODULE.value} {target}"
    asset = f"<!-- {doc_rules.ASSET_PATH}: {target.version}{docs_layout.ARCHIVE_SUFFIX} -->"
    text = "\n".join(asset if _ASSET_LINE.match(line) else line for line in lines)
    # Not a longer path or version: https://HUB_HOST/acme/emb/1 but not .../acme/emb/12.
    origin_url = re.compile(
        re.escape(f"{starter.HUB_URL_PLACEHOLDER}/{doc.origin}") + r"(?![\w/.-])"
    )
    return origin_url.sub(f"{starter.HUB_URL_PLACEHOLDER}/{target}", text)


def _publisher_doc(
    found: SourceDoc | None, target: DocHandle, root: str | os.PathLike[str], source: str
) -> str | None:
    """The source hub's doc of the target's publisher, for a hub that has none yet: only when
    the source is a `tfhub serve` and the version keeps its publisher (another publisher's doc
    would describe someone else)."""
    if found is None or found.origin.publisher != target.publisher:
        return None
    if fmt.doc_path(root, target, DocKind.PUBLISHER).exists():
        return None  # The hub's own publisher doc is kept.
    return source_publisher_doc(found, source, max_bytes=MAX_API_BYTES)


def _described(
    base: starter.StarterInfo, target: DocHandle, source: str, publisher_doc: str | None
) -> starter.StarterInfo:
    """The starter-doc info of a mirrored model: says where it came from, and carries the
    source's publisher doc (None: a starter one, if the hub has none)."""
    return starter.StarterInfo(
        description=base.description or f"{target.model} (mirrored from {public_source(source)}).",
        task=base.task,
        license=base.license,
        source=public_source(source),
        publisher_doc=publisher_doc,
    )


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
        ModelNotFoundError: if ROOT/assets/docs does not exist (as `validate_tree`: a mistyped
            ROOT mirrored nothing without a word).
    """
    docs = docs_layout.docs_dir(root)
    if not docs.is_dir():
        raise errors.ModelNotFoundError(
            f"{docs} does not exist, so it holds no docs to mirror the models of: give the hub "
            f"folder that holds {docs_layout.DOCS_DIR_POSIX}/<publisher>/... (tfhub.dev's "
            f"layout). Received: root={os.fspath(root)!r}",
            path=os.fspath(docs),
        )
    # A mirror killed while putting a version's files in place left its archive without the
    # rest: rolled back first (as `validate` does), so the version is mirrored again, whole.
    leftovers.clean_tree(docs)
    report = MirrorReport()
    seen: set[str] = set()
    for doc in _readable_docs(root, report if only is None else None):
        if doc.kind is not DocKind.MODULE or (only is not None and str(doc.handle) not in only):
            continue
        seen.add(str(doc.handle))
        try:  # The server's rule: a doc with two asset-path lines has none to mirror.
            declared = doc_file.asset_path(doc)
        except errors.DocValidationError as err:
            report.failed.append((str(doc.handle), str(err)))
            continue
        asset = None if declared is None else declared.value
        parts = fmt.url_parts(asset) if asset else None
        if asset is None or parts is None or parts.scheme not in asset_paths.REMOTE_SCHEMES:
            continue
        if not force and _has_model_files(doc.path):
            continue
        refused = doc_handles.handle_problem(doc.handle)
        if refused:
            report.failed.append((str(doc.handle), f"{doc.display_path}: the handle {refused}"))
            continue
        if len(asset) > fmt.MAX_VALUE_CHARS:
            report.failed.append((str(doc.handle), _too_long(doc, asset)))
            continue
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
    report.failed.extend(_without_doc(only or [], seen, root))
    return report


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

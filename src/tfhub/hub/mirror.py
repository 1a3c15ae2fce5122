"""Mirror models into a hub folder for an air-gapped server.

`mirror` resolves any handle tfhub resolves (an http(s) URL of a hub, a Kaggle model URL, a
gs:// path, a local folder such as a tfhub cache entry) with `tfhub.resolve`, then installs it
like `publish`: packed archive, signature summary, and the doc: the source's own doc when the
source is another `tfhub serve` (its JSON API gives it), else a starter doc if the hub has none
for the version (a doc already there, e.g. from a fork of tfhub.dev whose asset-path is a URL,
is kept).
`mirror_doc_assets` (`mirror_docs`, importable from here too) does the same for the docs of a
hub folder whose asset-path is a URL that is not mirrored yet.

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

from .. import constants, errors, handles
from .. import saved_model as saved_model_lib
from . import doc_handles, doc_rules, docs_layout, starter, url_clashes
from . import docs_format as fmt
from . import publish_refusals as refusals
from .doc_handles import DocHandle
from .docs_format import DocKind
from .mirror_copy import local_copy

# `--from-docs` is `mirror_docs`'s; its names stay importable from here.
from .mirror_docs import MirrorReport as MirrorReport
from .mirror_docs import mirror_doc_assets as mirror_doc_assets
from .mirror_source import SourceDoc, asks_an_api, public_source, source_doc, source_publisher_doc
from .publish import Published, install, refuse_url_root

logger = logging.getLogger(__name__)
# The most bytes of a source hub's JSON API answer for a model that are read: its versions'
# docs (tfhub serve renders docs of up to 64 K characters; tfhub.dev's were a few KB).
MAX_API_BYTES = 32 << 20
_ASSET_LINE = re.compile(r"<!--\s*asset-path\s*:.*-->\s*")


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
        InvalidHandleError: no `as_handle` given and none can be derived (or, with
            TFHUB_OFFLINE set, a hub URL's source: its API is not asked), or a malformed one.
        VersionExistsError: the version exists (and is not a doc waiting for its model).
        tfhub.errors.TFHubError: resolving failed (download, not found, offline, ...).
        NotAModelError, DocValidationError, PublishTargetError, PublishWriteError,
            PublishBusyError: as `publish` (a `root` that is a URL too).
        MirrorTooLargeError: the source hub's API answer, or a gs:// model folder, is larger
            than `MAX_API_BYTES` or TFHUB_MAX_EXTRACTED_BYTES.
    """
    refuse_url_root(root, "mirror")  # Before anything is resolved (a swapped HANDLE and ROOT).
    explicit = doc_handles.parse_handle(as_handle) if as_handle else None
    refusals.refuse_inside_hub(root, "mirror")  # Before the source is read or downloaded.
    refusals.refuse_link_to_nothing(root)
    if explicit is not None:  # Before the source hub is asked or the source read.
        refusals.refuse_long_names(root, explicit)
    target, found, asked = _target(source, root, explicit)
    if explicit is None:  # A handle the source hub's API or URL gave: before the download.
        refusals.refuse_long_names(root, target)
    # Before the download; with mirror's advice (publish checks again, under the lock).
    refusals.refuse_case_twin(root, target, "mirror")
    url_clashes.refuse_latest_url_clash(root, target, "mirror")
    # A version-less URL (the latest) is downloaded by the version its hub's API named.
    path = saved_model_lib.resolve(found.url if found else source)
    base = info or starter.StarterInfo()
    doc_text = _doc_text(source, root, target, found, asked)
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


def _target(
    source: str, root: str | os.PathLike[str], explicit: DocHandle | None
) -> tuple[DocHandle, SourceDoc | None, list[str]]:
    """The version's handle in the hub (`explicit`, else as the source hub's JSON API names
    it, else `derive_handle`'s), the source hub's doc of it (asked only if the hub has no doc
    for `explicit`), and the API URLs asked.

    Raises:
        InvalidHandleError: no handle can be told (`_no_target`), or the source names one no
            hub can hold.
    """
    derived = None if explicit else derive_handle(source)
    found: SourceDoc | None = None
    asked: list[str] = []
    # The source hub's API names the handle (without --as) and gives the doc (if ROOT has none).
    if explicit is None or not fmt.doc_path(root, explicit).is_file():
        found, asked = _source_doc(source, explicit=explicit, derived=derived)
    # A hub served below a path (https://host/hub/acme/emb/1) names acme/emb/1, as its API says.
    target = explicit or (found.origin if found else derived)
    if target is None:
        raise _no_target(source, asked)
    return target, found, asked


def _doc_text(
    source: str,
    root: str | os.PathLike[str],
    target: DocHandle,
    found: SourceDoc | None,
    asked: list[str],
) -> str | None:
    """The doc `install` writes for `target`: None if the hub has one (kept) or the source hub
    gave none (a starter doc, with a warning if its API was asked, or not asked offline), else
    the source's doc retargeted."""
    if fmt.doc_path(root, target).is_file():
        return None
    if found is not None:
        return _retargeted(found, target)
    if asked:
        logger.warning(
            "Found no doc of %s at its hub's JSON API (asked %s): writing a starter doc for "
            "%s. If the source is a `tfhub serve`, check that its API answers there (a hub "
            "behind a reverse proxy needs its --base-url), or edit the starter doc.",
            public_source(source),
            ", ".join(asked),
            target,
        )
    elif _offline_hub_source(source):
        logger.warning(
            "TFHUB_OFFLINE is set: the JSON API of the hub of %s was not asked for its doc; "
            "writing a starter doc for %s (a doc put into ROOT before the mirror is kept).",
            public_source(source),
            target,
        )
    return None


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


def _source_doc(
    source: str, explicit: DocHandle | None = None, derived: DocHandle | None = None
) -> tuple[SourceDoc | None, list[str]]:
    """The Module doc of the version `source` names on another `tfhub serve`, if it has one, and
    the API URLs asked (`mirror_source.source_doc`, reading at most `MAX_API_BYTES` of each).
    With TFHUB_OFFLINE set (the cache only), no API is asked: no doc (`_doc_text` warns that a
    starter doc is written), and the --as handle, `explicit`, is needed.

    Raises:
        InvalidHandleError: TFHUB_OFFLINE is set, `source` is a hub URL in the cache and no
            `explicit` handle is given (`_offline_no_target`; `derived` is the one its path
            gives).
        OfflineModeError: the same, and `source` is not in the cache.
    """
    if _offline_hub_source(source):
        if explicit is None:
            saved_model_lib.resolve(source)  # Not in the cache: that is the error to fix first.
            raise _offline_no_target(source, derived)
        return None, []
    return source_doc(source, max_bytes=MAX_API_BYTES)


def _offline_hub_source(source: str) -> bool:
    """Whether TFHUB_OFFLINE is set and `source` is a hub URL, whose JSON API is then not asked."""
    return constants.is_offline() and asks_an_api(source)


def _offline_no_target(source: str, derived: DocHandle | None) -> errors.InvalidHandleError:
    """The error for a hub URL mirrored offline without --as: the API that names the version's
    handle in its hub (after the path a hub is served below) is not asked, so none is guessed."""
    example = f", e.g. --as {derived}" if derived else ""
    return errors.InvalidHandleError(
        f"Cannot tell the hub handle of {public_source(source)!r} with TFHUB_OFFLINE set: its "
        "hub's JSON API, which names the version's handle in that hub (a hub served below a "
        "path has it after that path), is not asked offline. Pass --as "
        f"publisher/model/version{example}, or mirror with TFHUB_OFFLINE unset to copy that "
        "hub's doc too. Received: as_handle=None"
    )


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

"""The `asset-path` of a doc, checked as tfhub.dev's validator did: the kind's suffix, not a
GitHub release download, an http(s) or gs:// URL a hub can fetch, or a file beside the doc
(or the archive the server packs from a model folder beside it)."""

from __future__ import annotations

import os
import re
import urllib.parse

from ..utils import urls
from ..utils.redact import redact
from . import confinement, docs_layout
from . import docs_format as fmt
from .docs_format import DocFile, Problem

REMOTE_SCHEMES = ("http", "https", "gs")
_GITHUB_DOWNLOAD = re.compile(r"https://github\.com/.*/releases/download/.*")


def problems(doc: DocFile, values: list[fmt.MetadataValue], suffix: str | None) -> list[Problem]:
    """The problems of a doc's `asset-path` metadata.

    Args:
        doc: the parsed doc.
        values: its `asset-path` values (the first counts; repeats are the metadata checks').
        suffix: what the kind's asset must end with (`.tar.gz`, `.tflite`); None: the kind
            takes no asset-path.

    Returns:
        The problems ([] if the asset-path is good or absent).
    """
    if suffix is None or not values:
        return []
    value = values[0]
    if value.value == "legacy":  # tfhub.dev's marker for assets it hosted itself.
        return []
    message = _asset_problem(doc, value.value, suffix)
    return [] if message is None else [Problem(doc.display_path, value.line, message)]


def _asset_problem(doc: DocFile, asset: str, suffix: str) -> str | None:
    """What is wrong with the asset-path `asset` of `doc`, whose kind's asset ends with
    `suffix` (None: nothing): its form, then what it names (a URL or a file beside the doc)."""
    parts = fmt.url_parts(asset)
    if parts is None:
        return (
            "'asset-path' is neither a URL nor a path (a bracket left open, a NUL "
            f"character). Received: {asset!r}"
        )
    shown = redact(asset)
    if shown != asset:  # Before any message that quotes the value.
        return (
            "'asset-path' holds credentials (a user name or password, or a signature, token "
            "or key in its query), which the model's page, its doc and /api/models would "
            "show to every visitor: give a URL that needs none, or copy the files into the "
            f"hub with `tfhub mirror URL ROOT --as HANDLE`. Received: {shown!r}"
        )
    if not parts.path.endswith(suffix):
        return f"'asset-path' must end with {suffix}. Received: {asset!r}"
    if _GITHUB_DOWNLOAD.fullmatch(asset):
        return (
            "'asset-path' is a GitHub release download, which GitHub's "
            f"robots.txt forbids fetching; host the file elsewhere. Received: {asset!r}"
        )
    if parts.scheme not in REMOTE_SCHEMES and asset.lower().startswith(f"{parts.scheme}://"):
        return (  # file://, ftp://, s3://, ...: not a file beside the doc either.
            f"'asset-path' is a {parts.scheme}:// URL, which a hub does not fetch (`tfhub "
            "mirror` skips it): give an http(s) or gs:// URL, or a file beside the doc. "
            f"Received: {asset!r}"
        )
    if parts.scheme in REMOTE_SCHEMES:
        problem = _remote_url_problem(parts)
        return None if problem is None else f"{problem}. Received: {asset!r}"
    return _local_asset_problem(doc, asset, suffix)


def _remote_url_problem(parts: urllib.parse.SplitResult) -> str | None:
    """Why an http(s) or gs:// asset-path cannot be fetched whatever the network (no host or
    bucket, a port that is no port number: `urls.server_problem`), or None; `tfhub mirror`
    refused such a URL only when it came to download it."""
    problem = urls.server_problem(parts.geturl())
    if problem == "names no host" and parts.scheme == "gs":
        problem = "names no bucket (gs://BUCKET/PATH)"
    return None if problem is None else f"'asset-path' is a URL that {problem}"


def _local_asset_problem(doc: DocFile, asset: str, suffix: str) -> str | None:
    """What is wrong with a local asset-path `asset` of `doc` (None: nothing): it must be the
    `.tar.gz` archive beside the doc that the server answers, there or packed from the model
    folder beside it."""
    folder = doc.path.parent
    target = (folder / asset).resolve()
    if os.path.isabs(asset) or not confinement.inside(target, folder, strict=False):
        return (
            "a local 'asset-path' must name a file beside the doc (a URL "
            f"or a relative path inside the doc's folder). Received: {asset!r}"
        )
    if suffix != ".tar.gz":  # A `.tflite`: the server sends `.tar.gz` archives only.
        return (
            f"'asset-path' must be the URL of the model's {suffix} file: a hub serves the "
            f".tar.gz archives of models only, not a {suffix} beside the doc. "
            f"Received: {asset!r}"
        )
    archive = docs_layout.archive_path(doc.path)
    if target != archive.resolve():  # The only one the server answers.
        return (
            f"a local 'asset-path' must be {archive.name!r}, the archive beside the doc "
            "that `tfhub serve` answers for this version (and `tfhub publish` writes): "
            f"rename the file or fix the path. Received: {asset!r}"
        )
    if not target.is_file() and not _packed_from_folder(doc):  # `target` is the archive.
        return (
            f"'asset-path' names {asset!r}, which does not exist beside "
            "the doc; publish the model (`tfhub publish`) or fix the path"
        )
    return None


def _packed_from_folder(doc: DocFile) -> bool:
    """True if a model folder `<version>/` is beside the doc: the server answers the doc's
    `<version>.tar.gz` by packing the folder."""
    return docs_layout.is_model_dir(docs_layout.model_dir_path(doc.path))

"""A version URL that is also another model's latest-version URL, and who refuses or reports it.

With the models `acme/x` and `acme/x/1`, `/acme/x/1` is both version 1 of `acme/x` and the
version-less (latest) URL of `acme/x/1`. `tfhub serve`'s protocol and pages read such a path as
the version (`catalog.find`), its JSON API as the model (`/api/models/acme/x/1`): the model
`acme/x/1` has no latest-version URL, and `hub.load("https://host/acme/x/1")` loads version 1
of `acme/x` without an error. `publish` and `mirror` refuse to make such a clash
(`refuse_latest_url_clash`), `validate` reports one made by hand (`latest_url_problems`).
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import errors
from . import docs_layout
from .catalog import is_version
from .doc_handles import DocHandle
from .doc_rules import at
from .docs_format import DocFile, DocKind, Problem


def refuse_latest_url_clash(
    root: str | os.PathLike[str], handle: DocHandle, command: str = "publish"
) -> None:
    """Raises UrlClashError if publishing `handle` (a version not in the hub yet) would make its
    URL another model's latest-version URL, or its model's latest-version URL another model's
    version: `acme/x/1` while a model `acme/x/1` has docs, or `acme/x/1/4` while `acme/x` has a
    doc of version 1. A version already in the hub (`--force`) is not refused: the clash is
    older than this command (`tfhub validate` reports it). Two such versions published at once
    into the two model folders are not both seen (each takes its own folder's lock).

    Args:
        root: the hub folder.
        handle: the version to publish.
        command: `publish` or `mirror`, named in the advice.
    """
    models = docs_layout.docs_dir(root) / handle.publisher / "models"
    if (models / handle.model / f"{handle.version}.md").is_file():
        return
    shadowed = models / handle.model / str(handle.version)
    model_docs = sorted(shadowed.glob("*.md")) if shadowed.is_dir() else []
    model_docs = [doc for doc in model_docs if is_version(doc.stem)]
    if model_docs:
        other = f"{handle.model_handle}/{handle.version}"
        what = f"its URL /{handle} is also the latest-version URL of the model {other}"
        raise _clash_error(handle, what, other, model_docs[-1], command)
    parent, _, last = handle.model.rpartition("/")
    version_doc = models / parent / f"{last}.md"
    if parent and is_version(last) and version_doc.is_file():
        other = f"{handle.publisher}/{parent}"
        what = (
            f"the latest-version URL of its model, /{handle.model_handle}, is also version "
            f"{last} of the model {other}"
        )
        raise _clash_error(handle, what, other, version_doc, command)


def _clash_error(
    handle: DocHandle, what: str, other: str, doc: Path, command: str
) -> errors.UrlClashError:
    """The refusal of `handle`: `what` says which URL is shared with the model `other` (`doc`)."""
    return errors.UrlClashError(
        f"Cannot {command} {handle}: {what} ({doc}). tfhub serve and hub.load answer that URL "
        "with the version (the JSON API with the model), so one of the two models would be "
        f"loaded in place of the other without an error. {command.capitalize()} it under "
        f"another model name (or rename {other}); --force does not change this; nothing was "
        f"written. Received: handle={str(handle)!r}",
        path=os.fspath(doc),
        other=other,
    )


def latest_url_problems(claimed: dict[str, DocFile]) -> list[Problem]:
    """One problem per model whose latest-version URL is another doc's version URL.

    Args:
        claimed: each URL path a doc is served at (`p/m/v`, `p/lite-model/m/v`,
            `p/collections/m/v`) and its doc, as `validator._duplicate_problems` fills it.

    Returns:
        The problems, at line 1 of the first doc (by URL) of each model whose latest URL clashes.
    """
    problems: list[Problem] = []
    seen: set[str] = set()
    for url, doc in sorted(claimed.items()):
        latest = url.rpartition("/")[0]
        other = claimed.get(latest)
        if doc.kind is DocKind.PUBLISHER or other is None or latest in seen:
            continue
        seen.add(latest)
        model = str(doc.handle).rpartition("/")[0]
        message = (
            f"the latest-version URL /{latest} of {doc.kind.value} {model} is version "
            f"{other.handle.version} of {other.kind.value} {other.handle.model_handle} "
            f"({other.display_path}): tfhub serve and hub.load answer it with that version "
            "(the JSON API with this model); rename one of the models (`tfhub publish` and "
            "`tfhub mirror` refuse to make such a clash)"
        )
        problems.append(at(doc, 1, message))
    return problems

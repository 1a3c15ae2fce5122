"""What a hub folder (ROOT) holds: publishers, models with their versions, collections (each
entry is a `catalog_entries` class).

`Catalog.scan(root)` reads every documentation file once (with the publishing engineer's
parser, `docs_format`) and answers lookups by handle from memory; URLs are mapped to files
only through these lookups, never by joining a URL onto ROOT. A doc is opened inside ROOT
before it is read (`served_docs`, in one confined walk: one swapped for a symlink out of ROOT,
or a FIFO, is never read); files beside a doc (archive, model folder, signature summary) are
used only if their real path stays inside ROOT. A doc is kept as the server shows it:
credentials in its URLs (an asset-path with a password or a signed query, a link in its body)
redacted, since every visitor sees the pages and the API.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import errors
from ..utils.numbers import is_number
from ..utils.paths import tree_size
from ..utils.redact import redact
from . import confinement, doc_walk, docs_layout
from . import settled as settled_lib
from .catalog_entries import Model, Publisher, Version, handle_order
from .docs_format import DocFile, DocKind
from .settled import Settled, served_doc
from .signatures import SignatureSummary, read_summary

logger = logging.getLogger(__name__)

DERIVED_PREFIXES = {
    DocKind.LITE: "lite-model",
    DocKind.TFJS: "tfjs-model",
    DocKind.CORAL: "coral-model",
}
MODEL_KINDS = (DocKind.MODULE, DocKind.PLACEHOLDER, DocKind.LITE, DocKind.TFJS, DocKind.CORAL)


@dataclass(frozen=True)
class MissingVersion:
    """A version its model lacks (`Catalog.missing_version`).

    Attributes:
        meant: the handle it names when written without leading zeros (`acme/emb/1` for
            `acme/emb/01`) if the model has that version, else None.
        has_versions: the model's versions, e.g. "acme/emb has version(s) 1, 2".
    """

    meant: str | None
    has_versions: str


@dataclass
class Catalog:
    """Everything served from one ROOT, read once."""

    root: Path
    models: dict[str, Model] = field(default_factory=dict)
    collections: dict[str, Model] = field(default_factory=dict)
    publishers: dict[str, Publisher] = field(default_factory=dict)
    # "publisher/model/version" -> the Lite, Tfjs and Coral versions whose parent-model it is.
    derived: dict[str, list[tuple[Model, Version]]] = field(default_factory=dict)
    # A served doc's path below ROOT/assets/docs -> its page's URL path (`doc_page`).
    doc_pages: dict[str, str] = field(default_factory=dict)

    def settled(self) -> Settled:
        """The journals of killed publishes as of now, for one request (see `Settled`)."""
        return Settled(docs_layout.docs_dir(self.root))

    @classmethod
    def scan(cls, root: str | os.PathLike[str]) -> Catalog:
        """Reads every doc under ROOT/assets/docs.

        Args:
            root: the hub folder.

        Returns:
            The catalog (empty if the folder has no docs).
        """
        catalog = cls(Path(root).resolve())
        settled = catalog.settled()
        for doc in settled.docs_of(served_docs(catalog.root), catalog.root):
            catalog._add(doc, settled)
        for publisher in catalog.publishers.values():
            publisher.models.sort(key=handle_order)
            publisher.collections.sort(key=handle_order)
        catalog._link_derived()
        logger.info(
            "Catalog of %s: %d models, %d collections, %d publishers",
            catalog.root,
            len(catalog.models),
            len(catalog.collections),
            len(catalog.publishers),
        )
        return catalog

    def _link_derived(self) -> None:
        """Fills `derived`: each Lite, Tfjs or Coral version under its parent-model."""
        for model in self.models.values():
            if model.kind not in DERIVED_PREFIXES:
                continue
            for number in sorted(model.versions):
                parent = model.versions[number].doc.first("parent-model")
                if parent:
                    self.derived.setdefault(parent, []).append((model, model.versions[number]))

    def _publisher(self, name: str) -> Publisher:
        return self.publishers.setdefault(name, Publisher(name))

    def _add(self, doc: DocFile, settled: Settled) -> None:
        doc = shown_doc(doc)
        held = settled.file(doc.path)
        if held is None:
            logger.warning(
                "Ignoring %s: the roll-back of the publish killed in its folder removes it",
                doc.path,
            )
            return
        if not confinement.inside(held, self.root):
            logger.warning("Ignoring %s: it is a symlink out of %s", doc.path, self.root)
            return
        if doc.kind is DocKind.PUBLISHER:
            self._publisher(doc.handle.publisher).doc = doc
            self.doc_pages[doc.rel_path] = doc.handle.publisher
            return
        if doc.handle.version is None:
            return
        table = self.collections if doc.kind is DocKind.COLLECTION else self.models
        name = url_model_name(doc)
        key = f"{doc.handle.publisher}/{name}"
        if key not in table:
            table[key] = Model(doc.handle.publisher, name, doc.kind)
            owner = self._publisher(doc.handle.publisher)
            (owner.collections if doc.kind is DocKind.COLLECTION else owner.models).append(key)
        if doc.handle.version in table[key].versions:
            logger.warning("Two docs for %s: ignoring %s", doc.handle, doc.rel_path)
            return
        version = table[key].versions[doc.handle.version] = self._version(doc, settled)
        where = f"{doc.handle.publisher}/collections/{name}" if table is self.collections else key
        self.doc_pages[doc.rel_path] = f"{where}/{version.version}"

    def _version(self, doc: DocFile, settled: Settled) -> Version:
        """A version with the files beside its doc (those that stay inside ROOT), as the
        roll-back of a publish killed in its folder will leave them (`settled`)."""
        version = Version(doc, int(doc.handle.version or 0), docs=settled.docs)
        if doc.kind is DocKind.COLLECTION:
            return version
        archive = settled.file(docs_layout.archive_path(doc.path))
        folder = settled.file(docs_layout.model_dir_path(doc.path))
        inside = confinement.inside
        if archive is not None and archive.is_file() and inside(archive, self.root):
            version.archive = docs_layout.archive_path(doc.path)  # Settled again when sent.
        elif (
            folder is not None and docs_layout.is_model_dir(folder) and inside(folder, self.root)
        ):  # tfhub.dev keeps Tfjs docs in <version>/: not a model.
            version.folder = docs_layout.model_dir_path(doc.path)  # Settled again when sent.
        summary = settled.file(docs_layout.signatures_path(doc.path))
        version.signatures = None if summary is None else read_signatures(summary, self.root)
        return version

    def doc_page(self, rel_path: str) -> str | None:
        """The URL path (unquoted, no leading `/`) of the page showing the doc at `rel_path`
        below ROOT/assets/docs (`acme/models/emb/2.md` -> `acme/emb/2`, `acme/acme.md` ->
        `acme`), or None if the hub serves no doc there (none, refused, or a second doc of a
        handle, which is ignored)."""
        return self.doc_pages.get(rel_path)

    def find(self, segments: list[str]) -> tuple[Model, Version] | None:
        """Maps URL segments to a model version: `publisher/model/N`, or `publisher/model` (latest).

        Args:
            segments: the URL path split on `/` (see `protocol.split_path`).

        Returns:
            (model, version), or None if no model has that handle.
        """
        return _find_in(self.models, segments)

    def not_found_reason(self, segments: list[str]) -> str:
        """Why `find(segments)` found nothing, as the end of "no model ...": the versions the
        model has, or the models its publisher has (a few), so a client can name the right one.
        """
        handle = "/".join(segments)
        missing = self.missing_version(segments)
        if missing is not None:
            if missing.meant is not None:
                return (
                    f"{handle}: a version is written without leading zeros; use "
                    f"{missing.meant} if that is the one meant"
                )
            return f"{handle}: {missing.has_versions}"
        collection = self.find_collection(segments)
        if collection is not None:
            return (
                f"{handle}: it is the collection {collection[0].handle}, a page listing models, "
                "not a model; load one of the models it lists"
            )
        publisher = self.publishers.get(segments[0]) if segments else None
        if publisher is not None and publisher.models:
            names = list(publisher.models)  # Handles, in its page's order (`handle_order`).
            more = f" and {len(names) - 10} more" if len(names) > 10 else ""
            shown = ", ".join(names[:10]) + more
            return f"{handle}: the publisher {publisher.name} has {shown}"
        return handle

    def missing_version(self, segments: list[str]) -> MissingVersion | None:
        """What to tell of `publisher/model/N` when the model has versions but not N (the
        download's 404 and the API's say it), else None."""
        model = self.model_without_version(segments)
        if model is None:
            return None
        versions = ", ".join(str(number) for number in sorted(model.versions))
        has_versions = f"{model.handle} has version(s) {versions}"
        return MissingVersion(meant=self.version_meant(segments), has_versions=has_versions)

    def version_meant(self, segments: list[str]) -> str | None:
        """The handle of a version written with leading zeros (`acme/emb/01`) as tfhub.dev
        writes it (`acme/emb/1`) when the model has that version, else None."""
        model = self.model_without_version(segments)
        if model is None or is_version(segments[-1]) or int(segments[-1]) not in model.versions:
            return None
        return f"{model.handle}/{int(segments[-1])}"

    def model_without_version(self, segments: list[str]) -> Model | None:
        """The model of `publisher/model/N` when it has versions but not N, else None."""
        if len(segments) < 3 or not is_number(segments[-1]):
            return None
        model = self.models.get("/".join(segments[:-1]))
        return model if model is not None and model.versions else None

    def collection_without_version(self, segments: list[str]) -> Model | None:
        """The collection of `publisher/collections/name/N` when it has versions but not N."""
        if len(segments) < 4 or segments[1] != "collections" or not is_number(segments[-1]):
            return None
        found = self.collections.get("/".join([segments[0], *segments[2:-1]]))
        return found if found is not None and found.versions else None

    def find_collection(self, segments: list[str]) -> tuple[Model, Version] | None:
        """Like `find`, for `publisher/collections/name[/N]` (tfhub.dev's collection URLs)."""
        if len(segments) < 3 or segments[1] != "collections":
            return None
        return _find_in(self.collections, [segments[0], *segments[2:]])


def served_docs(root: Path) -> list[DocFile]:
    """Every servable doc under ROOT/assets/docs (`root`: its real path), sorted by path: what
    `docs_format.list_docs` finds, read in one confined walk (`doc_walk.read_docs`: each doc
    opened relative to its folder's descriptor, following no link, and checked before a byte of
    it is read; a doc swapped for a FIFO is skipped with a warning, never read) and at most
    `settled.MAX_DOC_BYTES` of it read. A doc that is a symlink is read as `settled.served_doc`
    reads it (one out of ROOT is skipped with a warning, never read)."""
    real_root = os.path.realpath(root)  # Once per scan, not once per doc.
    limit = settled_lib.MAX_DOC_BYTES  # Read at call time, as `served_doc` reads it.
    walked = doc_walk.read_docs(
        root, limit=limit, refused=settled_lib.NOT_SERVED, real_root=real_root
    )
    found = (_served(doc, root, real_root) for doc in walked)
    return [doc for doc in found if doc is not None]


def _served(walked: doc_walk.WalkedDoc, root: Path, real_root: str) -> DocFile | None:
    """The doc the walk read, parsed and served as `settled.served_doc` serves one (the same
    warnings); a symlink read by its path there."""
    if walked.by_path:
        return served_doc(walked.path, walked.path, root, real_root=real_root)
    shown = docs_layout.shown_doc_path(walked.rel_path)
    if walked.error is not None or walked.data is None:
        settled_lib.warn_unreadable(shown, walked.error or OSError("nothing read"))
        return None
    return settled_lib.doc_from_bytes(
        walked.data, holder=walked.path, target=walked.path, rel_path=walked.rel_path, shown=shown
    )


def shown_doc(doc: DocFile) -> DocFile:
    """The doc as the server shows it: the credentials of every URL in its description,
    metadata and body (`https://user:***@host/m.tar.gz?X-Amz-Signature=***`) redacted."""
    entries = tuple(
        (key, dataclasses.replace(value, value=redact(value.value))) for key, value in doc.entries
    )
    return dataclasses.replace(
        doc, description=redact(doc.description), entries=entries, body=redact(doc.body)
    )


def url_model_name(doc: DocFile) -> str:
    """The model part of a doc's URL, as tfhub.dev spelled it.

    Modules, placeholders and collections use the handle's model (`google/spice/2` is served at
    `/google/spice/2`); tfhub.dev served Lite, Tfjs and Coral docs under `lite-model/`,
    `tfjs-model/` and `coral-model/` (`# Lite google/spice/1` at `/google/lite-model/spice/1`),
    so they never take the versions of the module they derive from.
    """
    prefix = DERIVED_PREFIXES.get(doc.kind)
    return f"{prefix}/{doc.handle.model}" if prefix else doc.handle.model


def is_version(text: str) -> bool:
    """True for a version as tfhub.dev writes it in a URL: a number without leading zeros
    (`1`, `12`; not `01` or `002`). Other spellings of a number are not aliases of it: the
    cache keys on the handle string, so each would be a second cached copy."""
    return is_number(text) and (text == "0" or text[0] != "0")


def _find_in(table: dict[str, Model], segments: list[str]) -> tuple[Model, Version] | None:
    if len(segments) >= 3 and is_version(segments[-1]):
        model = table.get("/".join(segments[:-1]))
        if model is not None and int(segments[-1]) in model.versions:
            return model, model.versions[int(segments[-1])]
    model = table.get("/".join(segments))
    if model is not None and model.versions:
        return model, model.latest
    return None


def read_signatures(path: Path, root: Path) -> SignatureSummary | None:
    """Reads a signature summary (`signatures.read_summary`) if present and inside ROOT.

    A summary that cannot be read is logged and left out (the page then shows none).
    """
    if not path.is_file() or not confinement.inside(path, root):
        return None
    try:
        return read_summary(path)
    except errors.SignatureSummaryError as err:
        logger.warning("Ignoring a signature summary: %s", err)
        return None


def folder_size(path: Path) -> int:
    """The total size of the regular files below a folder (symlinks not followed)."""
    return tree_size(path)

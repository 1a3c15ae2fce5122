"""The entries of the catalog (`catalog.Catalog`): a Version (a doc and the files beside it,
as they are now: a killed publish's roll-back included), a Model (its versions and the values
of its filters) and a Publisher, and the order handles are listed in.

A Version answers what the server needs to know of it (which file holds its archive, model
folder or doc now; why it has no model files) without rereading the hub: the catalog made it
once, at a scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import docs_format, docs_layout
from .docs_format import DocFile, DocKind
from .settled import Settled
from .signatures import SignatureSummary

# Metadata keys shown as filters, and the key(s) each reads (tfhub.dev's spellings).
FACETS: dict[str, tuple[str, ...]] = {
    "task": ("task", "module-type"),
    "architecture": ("network-architecture",),
    "dataset": ("dataset",),
    "language": ("language",),
    "license": ("license",),
    "format": ("format",),
    "fine-tunable": ("fine-tunable",),
    "publisher": (),
}


def requested_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The value of each filter of FACETS a request's query `params` ask for ("" if none): its
    parameter (`architecture=`), else one named by a metadata key it reads, as docs and each
    version's `metadata` in the API spell it (`network-architecture=`, `module-type=`), which
    was ignored (every model was listed, unfiltered)."""
    return {
        name: params.get(name) or next((params[key] for key in keys if params.get(key)), "")
        for name, keys in FACETS.items()
    }


def handle_order(handle: str) -> tuple[str, str]:
    """The key that lists handles as a reader looks them up: by letter whatever the case
    (`lab/alpha`, `lab/Beta`, `lab/LaBSE`, `lab/zeta`), and by case among equal ones; a
    plain sort put every capital first (`lab/Beta`, `lab/LaBSE`, `lab/alpha`)."""
    return handle.casefold(), handle


@dataclass
class Version:
    """One published version of a model: its doc and the files beside it."""

    doc: DocFile
    version: int
    # <version>.tar.gz beside the doc, if the scan found the version's archive inside ROOT
    # (there, or aside in a killed publish's staging folder): `archive_file` is the file now.
    archive: Path | None = None
    folder: Path | None = None  # <version>/ model folder beside the doc: as `archive`
    signatures: SignatureSummary | None = None  # <version>.signatures.json, read once
    docs: Path | None = None  # ROOT/assets/docs, where interrupted publishes are looked for

    def archive_file(self, settled: Settled | None = None) -> Path | None:
        """The file holding the version's archive now: `archive`, or where the roll-back of a
        publish killed in its folder will bring it back from (`settled`); None if none.

        Args:
            settled: the journals as this request reads them: pass one `Settled` (`Catalog.
                settled`) to every version a request shows, so each model folder is listed
                once (not 2-3 times per version); default a new one.
        """
        return self._settled(self.archive, settled)

    def folder_path(self, settled: Settled | None = None) -> Path | None:
        """The model folder of a folder version now (`archive_file`, for the folder)."""
        return self._settled(self.folder, settled)

    def doc_file(self, settled: Settled | None = None) -> Path | None:
        """The file holding the version's doc now (`archive_file`, for the doc)."""
        return self._settled(self.doc.path, settled)

    def _settled(self, path: Path | None, settled: Settled | None) -> Path | None:
        if path is None or self.docs is None:
            return path
        return (settled or Settled(self.docs)).file(path)

    @property
    def asset_path(self) -> str | None:
        """The doc's `asset-path` (where the files were published from), if any."""
        return self.doc.first("asset-path")

    @property
    def servable(self) -> bool:
        return self.archive is not None or self.folder is not None

    @property
    def missing_archive(self) -> str | None:
        """The archive's path below ROOT (`archive_below_root`) when a Module or Tfjs doc's
        asset-path names a file beside it (not a URL, not `legacy`) and the version has no
        model files: the archive was put there and then removed. None otherwise.

        Such a version is not "not mirrored": `tfhub mirror --from-docs` copies only URLs.
        """
        asset = self.asset_path
        parts = docs_format.url_parts(asset) if asset and asset != "legacy" else None
        local = parts is not None and not parts.scheme and not parts.netloc
        if self.servable or not local or self.doc.kind not in (DocKind.MODULE, DocKind.TFJS):
            return None
        return self.archive_below_root

    @property
    def archive_below_root(self) -> str:
        """Where the version's archive goes below ROOT (`assets/docs/.../<version>.tar.gz`)."""
        return docs_layout.archive_path(Path(self.doc_below_root)).as_posix()

    @property
    def no_files(self) -> str | None:
        """Why the version has no model files in this hub (None if it has), the one answer the
        download's 404 and the model page each put in words:

        - "placeholder": a placeholder doc, no model is published;
        - "legacy": a Module doc hosted by tfhub.dev itself (`tfhub mirror SOURCE --as`);
        - "derived-legacy": a Lite, Tfjs or Coral doc hosted by tfhub.dev itself (mirror and
          publish refuse their handles: only an archive put beside the doc serves it);
        - "missing-archive": the local archive of a Module or Tfjs doc was removed;
        - "derived-url": a Lite, Tfjs or Coral doc's URL (`mirror --from-docs` skips it);
        - "not-mirrored": a Module doc's URL not mirrored yet;
        - "none": no asset-path that says where the files are.
        """
        if self.servable:
            return None
        kind, asset = self.doc.kind, self.asset_path
        if kind is DocKind.PLACEHOLDER:
            return "placeholder"
        if asset == "legacy":
            return "legacy" if kind is DocKind.MODULE else "derived-legacy"
        if self.missing_archive:
            return "missing-archive"
        parts = docs_format.url_parts(asset) if asset else None
        if parts is None or not parts.scheme:
            return "none"
        return "not-mirrored" if kind is DocKind.MODULE else "derived-url"

    @property
    def doc_below_root(self) -> str:
        """The doc's path below ROOT, with `/` separators (`assets/docs/.../<version>.md`)."""
        return f"{docs_layout.DOCS_DIR_POSIX}/{self.doc.rel_path}"


@dataclass
class Model:
    """A model handle without version (`publisher/model`) and its versions."""

    publisher: str
    name: str
    kind: DocKind
    versions: dict[int, Version] = field(default_factory=dict)
    _facets: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    _facet_keys: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def handle(self) -> str:
        return f"{self.publisher}/{self.name}"

    @property
    def latest(self) -> Version:
        """The version a handle without version names: the highest that is not a Placeholder
        (tfhub.dev's latest is the newest version one can download; a placeholder announces
        one to come), or the highest if all are placeholders."""
        real = [n for n, v in self.versions.items() if v.doc.kind is not DocKind.PLACEHOLDER]
        return self.versions[max(real or self.versions)]

    def facet_values(self, facet: str) -> list[str]:
        """The latest doc's values for a filter (see FACETS); publisher for "publisher".

        Computed once per model (the catalog does not change while it is served).
        """
        if facet not in self._facets:
            if facet == "publisher":
                values = [self.publisher]
            else:
                doc = self.latest.doc  # Each value once, in file order (a dict, not `in` a
                # list: a doc of 24,000 `dataset` lines took 6 s to index, at each start).
                values = list(dict.fromkeys(v for key in FACETS[facet] for v in doc.values(key)))
            self._facets[facet] = values
        return self._facets[facet]

    def facet_keys(self, facet: str) -> frozenset[str]:
        """`facet_values` in lower case, for filtering."""
        if facet not in self._facet_keys:
            self._facet_keys[facet] = frozenset(v.lower() for v in self.facet_values(facet))
        return self._facet_keys[facet]


@dataclass
class Publisher:
    """A publisher: its doc (if any) and the handles of its models and collections."""

    name: str
    doc: DocFile | None = None
    models: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)

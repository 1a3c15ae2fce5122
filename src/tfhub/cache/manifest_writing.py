"""The manifest written at install: its text (format in `tfhub.cache.bookkeeping`), the hashes
an extraction reported, and the file beside the entry.

Files whose hash nobody reported are hashed through `bookkeeping.file_digest` (a module
attribute, so a test can see that an install re-reads no file the extraction hashed).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Mapping

from . import bookkeeping, layout
from .bookkeeping import DEFAULT_ALGORITHM
from .safe_writes import atomic_write_text

# What an extraction may report: {relative path: (size, hex hash)} and the hashlib algorithm name.
Digests = Mapping[str, tuple[int, str]]
FetchResult = tuple[Digests, str]
SAMPLE_LARGEST = 16
SAMPLE_SPREAD = 48


def manifest_text(sizes: Mapping[str, int], digests: Mapping[str, str], *, algorithm: str) -> str:
    """Returns a manifest's content (format 2) for files with these sizes and hashes."""
    files = {rel: [sizes[rel], digests[rel]] for rel in sorted(sizes)}
    body = '"files": ' + json.dumps(files, separators=(",", ":")) + "}"
    header = {
        "format": 2,
        "written_by": "tfhub",
        "algorithm": algorithm,
        "count": len(files),
        "size": sum(sizes.values()),
        "files_bytes": len(body.encode("utf-8")) + 1,
        "files_digest": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "sample": _sample(sizes),
    }
    return json.dumps(header, separators=(",", ":"))[:-1] + ",\n" + body + "\n"


def _sample(sizes: Mapping[str, int]) -> dict[str, int]:
    """Picks the files checked on every resolve: the largest ones and a spread of the rest."""
    names = sorted(sizes)
    if len(names) <= SAMPLE_LARGEST + SAMPLE_SPREAD:
        return {rel: sizes[rel] for rel in names}
    chosen = set(sorted(names, key=lambda rel: (-sizes[rel], rel))[:SAMPLE_LARGEST])
    step = len(names) / SAMPLE_SPREAD
    chosen.update(names[int(i * step)] for i in range(SAMPLE_SPREAD))
    chosen.update(rel for rel in names if posixpath.basename(rel) in _KEY_FILES)
    return {rel: sizes[rel] for rel in sorted(chosen)}


_KEY_FILES = frozenset(
    {"saved_model.pb", "saved_model.pbtxt", "tfhub_module.pb", "variables.index"}
)


def as_fetch_result(value: object) -> FetchResult | None:
    """Returns what a fetch returned if it reports hashes, else None.

    A fetch reports them as `(digests, algorithm)` or as an object with `.files` ({path: (size,
    hex)}) and `.algorithm`, such as the `_archive.ExtractResult` of an extraction.
    """
    files, algorithm = getattr(value, "files", None), getattr(value, "algorithm", None)
    if isinstance(files, Mapping) and isinstance(algorithm, str) and algorithm:
        return files, algorithm
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Mapping):
        if isinstance(value[1], str) and value[1]:
            return value[0], value[1]
    return None


def known_digests(files: Mapping[str, int], fetched: FetchResult | None) -> dict[str, str]:
    """Returns the reported hashes of the files whose reported size matches what is on disk."""
    if not fetched:
        return {}
    digests, _ = fetched
    return {rel: hexd for rel, (size, hexd) in digests.items() if files.get(rel) == size}


def write_manifest(
    module_path: str,
    files: Mapping[str, int],
    *,
    digests: Mapping[str, str] | None = None,
    algorithm: str | None = None,
    source_dir: str | None = None,
) -> None:
    """Records the files of an entry beside it (sizes and content hashes), atomically.

    Args:
        module_path: the entry's folder (the manifest goes beside it).
        files: {relative path: size}.
        digests: {relative path: hex hash}, e.g. computed while extracting; the files missing
            from it are hashed here by reading them from `source_dir`.
        algorithm: the `hashlib` name of `digests`' algorithm (default sha256).
        source_dir: where the files are now (default `module_path`), to hash what is missing.

    Raises:
        tfhub.errors.CacheError: if the manifest cannot be written (naming it).
    """
    text = manifest_of(source_dir or module_path, files, digests=digests, algorithm=algorithm)
    atomic_write_text(layout.manifest_path(module_path), text)


def manifest_of(
    folder: str,
    files: Mapping[str, int],
    *,
    digests: Mapping[str, str] | None = None,
    algorithm: str | None = None,
) -> str:
    """Returns the manifest text of `files` in `folder`, hashing those `digests` lacks (as
    `write_manifest`, which writes it; an install that replaces an entry writes it itself, at
    the moment it chooses)."""
    algorithm = algorithm or DEFAULT_ALGORITHM
    known = dict(digests or {})
    for rel in files:
        if rel not in known:
            known[rel] = bookkeeping.file_digest(os.path.join(folder, *rel.split("/")), algorithm)
    return manifest_text(files, known, algorithm=algorithm)

"""The names of the files in embedding and index folders (upstream's, and the safe ones tfhub
writes beside them: see `files`), and which names each output folder holds."""

from __future__ import annotations

RANDOM_PROJECTION_FILENAME = "random_projection.matrix"
RANDOM_PROJECTION_NPY = RANDOM_PROJECTION_FILENAME + ".npy"
INDEX_FILENAME = "ann.index"
MAPPING_FILENAME = "ann.index.mapping"
MAPPING_JSON = MAPPING_FILENAME + ".json"
INDEX_INFO_JSON = INDEX_FILENAME + ".json"
EMBED_FILE_PREFIX = "emb"
EMBED_FILE_SUFFIX = ".tfrecords"

# What each output folder is, by the flag that names it (for error messages).
OUTPUT_FOLDERS = {"embed_output_dir": "embedding folder", "index_output_dir": "index folder"}


_INDEX_NAMES = frozenset(
    {INDEX_FILENAME, MAPPING_FILENAME, MAPPING_JSON, INDEX_INFO_JSON}
    | {RANDOM_PROJECTION_FILENAME, RANDOM_PROJECTION_NPY}
)


def is_output_name(name: str, *, flag: str) -> bool:
    """Whether `name` is a file that `generate` (flag "embed_output_dir") or `build`
    ("index_output_dir") writes in its output folder."""
    if flag == "index_output_dir":
        return name in _INDEX_NAMES
    embeddings = name.startswith(EMBED_FILE_PREFIX + "-") and name.endswith(EMBED_FILE_SUFFIX)
    projection = name in (RANDOM_PROJECTION_FILENAME, RANDOM_PROJECTION_NPY)
    return embeddings or projection or name.startswith("beam-temp-")

"""The names of the files in embedding and index folders (upstream's, and the safe ones tfhub
writes beside them: see `files`), and which names each output folder holds."""

from __future__ import annotations

import re
import uuid

RANDOM_PROJECTION_FILENAME = "random_projection.matrix"
RANDOM_PROJECTION_NPY = RANDOM_PROJECTION_FILENAME + ".npy"
INDEX_FILENAME = "ann.index"
MAPPING_FILENAME = "ann.index.mapping"
MAPPING_JSON = MAPPING_FILENAME + ".json"
INDEX_INFO_JSON = INDEX_FILENAME + ".json"
EMBED_FILE_PREFIX = "emb"
EMBED_FILE_SUFFIX = ".tfrecords"
# Which module and projection made the embeddings (`module_record`): written by generate,
# copied by build. Not *.tfrecords, so upstream's build (which globs those) passes it by.
MODULE_RECORD_JSON = "embedding_module.json"

# What each output folder is, by the flag that names it (for error messages).
OUTPUT_FOLDERS = {"embed_output_dir": "embedding folder", "index_output_dir": "index folder"}


_INDEX_NAMES = frozenset(
    {INDEX_FILENAME, MAPPING_FILENAME, MAPPING_JSON, INDEX_INFO_JSON}
    | {RANDOM_PROJECTION_FILENAME, RANDOM_PROJECTION_NPY, MODULE_RECORD_JSON}
)


# Beam's WriteToTFRecord (FileBasedSink) writes each bundle into a folder beside the output,
# `beam-temp-<last part of the prefix>-<uuid1().hex>` (`_create_temp_dir`), as files
# `<uuid4()>.<that part><suffix>` (`open_writer`), renamed into place at the end; a run cut
# short leaves it. The hex is 32 digits in Beam 2.x; any number is taken.
_BEAM_TEMP_FOLDER = re.compile(rf"beam-temp-{EMBED_FILE_PREFIX}-[0-9a-f]+")
_BEAM_TEMP_FILE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    + re.escape(f".{EMBED_FILE_PREFIX}{EMBED_FILE_SUFFIX}")
)
# The sub-folder that `generate` stages a remote embedding folder's files in (`files`).
STAGING_PREFIX = "tfhub-staging-"
_STAGING_FOLDER = re.compile(re.escape(STAGING_PREFIX) + "[0-9a-f]{32}")


def staging_name() -> str:
    """A new, unique name for a staging sub-folder (`STAGING_PREFIX` and 32 hex digits)."""
    return STAGING_PREFIX + uuid.uuid4().hex


def is_output_folder(name: str, *, flag: str) -> bool:
    """Whether `name` is a sub-folder that `generate` (flag "embed_output_dir") leaves in its
    output folder when a run is cut short: Beam's temporary folder, or a staging folder. Its
    own names are the tool's only as `is_output_name(..., inside=name)` says."""
    folder = _BEAM_TEMP_FOLDER.fullmatch(name) or _STAGING_FOLDER.fullmatch(name)
    return flag == "embed_output_dir" and folder is not None


def is_output_name(name: str, *, flag: str, inside: str = "") -> bool:
    """Whether `name` is a file that `generate` (flag "embed_output_dir") or `build`
    ("index_output_dir") writes in its output folder, or (`inside`) in that folder's
    sub-folder `inside` (see `is_output_folder`; a Beam temporary folder in a staging folder is
    named "STAGING/BEAM-TEMP")."""
    if flag == "index_output_dir":
        return not inside and name in _INDEX_NAMES
    if _BEAM_TEMP_FOLDER.fullmatch(inside.rsplit("/", 1)[-1]):
        return _BEAM_TEMP_FILE.fullmatch(name) is not None
    embeddings = name.startswith(EMBED_FILE_PREFIX + "-") and name.endswith(EMBED_FILE_SUFFIX)
    projection = name in (RANDOM_PROJECTION_FILENAME, RANDOM_PROJECTION_NPY, MODULE_RECORD_JSON)
    if inside and not _STAGING_FOLDER.fullmatch(inside):
        return False
    staging = not inside and _STAGING_FOLDER.fullmatch(name) is not None
    return embeddings or projection or _BEAM_TEMP_FOLDER.fullmatch(name) is not None or staging

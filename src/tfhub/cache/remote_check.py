"""Is an entry of a cache on a tf.io.gfile filesystem complete: `damage`, the bounded check
`tfhub.cache.remote` asks before serving or copying an entry (and `cache.health` for any gfile
entry), and `model_files_in`, the model files at the top of one.

An entry tfhub wrote is complete once its manifest, written last, is there and the files it
samples have their sizes; one tensorflow_hub wrote (its descriptor, no manifest) once its folder
is not empty, as tensorflow_hub decides. TensorFlow is imported only when a check runs.
"""

from __future__ import annotations

import re
from typing import Any

from .. import errors, gfile_io
from ..utils.lazy import import_tensorflow
from ..utils.printable import escaped, quoted_reason
from . import bookkeeping, layout

# The files beside an entry (`<entry>.descriptor.txt`, `.manifest.json`, tensorflow_hub's
# `.lock`, a staging `<entry>.<uuid>.tmp` and its `.owner`, a `.part` being written): ram://
# lists by name prefix, so they are "in" the entry's folder there, which then seems to exist
# when only they do.
SIBLING = re.compile(
    r"^\.(?:descriptor\.txt|manifest\.json|lock|[0-9a-f]{32}\.(?:tmp|owner))(?:\..*)?$"
)


def damage(module_path: str) -> str | None:
    """Says what is wrong with an entry of a gfile cache (bounded check), or None.

    An entry tfhub wrote without a valid manifest is incomplete: the manifest is written last.
    One tensorflow_hub wrote (its descriptor, without tfhub's mark) has no manifest: it is
    complete if its folder is not empty (`_upstream_damage`).

    Raises:
        tfhub.errors.RetryTimeoutError: the filesystem gives no answer within
            TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (GCS's listing that pages for
            ever, a failing server).
        tfhub.errors.CacheError: the filesystem refuses to say (a 403), quoting it.
    """
    from .._http_deadline import within_http_timeouts  # Only for a cache on gfile.

    tf = import_tensorflow("A cache on a tf.io.gfile filesystem (TFHUB_CACHE_DIR)")
    try:
        return within_http_timeouts(
            lambda: _damage(tf.io.gfile, module_path),
            path=module_path,
            what="whether the cache entry is complete",
        )
    except tf.errors.OpError as err:
        raise errors.CacheError(
            f"Cannot check the cache entry {escaped(module_path)}: "
            f"{quoted_reason(err, module_path)}. Check the filesystem's permissions, or set "
            "TFHUB_CACHE_DIR to a folder you can read.",
            path=module_path,
        ) from err


def _damage(gfile: Any, module_path: str) -> str | None:
    """`damage`, without its deadline."""
    if not gfile.isdir(module_path):
        return "the folder does not exist"
    header = _read_header(gfile, layout.manifest_path(module_path))
    if header is None:
        return _unlisted_damage(gfile, module_path)
    for rel, size in header.sample.items():
        try:
            actual = gfile.stat(f"{module_path}/{rel}").length
        except Exception:  # tf.errors.NotFoundError
            return f"{rel} is missing"
        if actual != size:
            return f"{rel} has {actual} bytes instead of {size}"
    return None


def _read_header(gfile: Any, path: str) -> bookkeeping.ManifestHeader | None:
    try:
        with gfile.GFile(path, "r") as text:
            return bookkeeping.parse_header(text.readline())
    except Exception:  # tf.errors.NotFoundError and friends.
        return None


def _unlisted_damage(gfile: Any, module_path: str) -> str | None:
    """Damage of an entry without a valid manifest: none for a complete entry of
    tensorflow_hub, which writes its descriptor (unmarked) and never a manifest."""
    no_manifest = "it has no valid manifest (an interrupted copy)"
    descriptor = _read_descriptor(gfile, layout.descriptor_path(module_path))
    if descriptor is None or descriptor.written_by_tfhub:
        return no_manifest  # tfhub's copy, interrupted before its descriptor or its manifest.
    if gfile.exists(layout.manifest_path(module_path)):
        return no_manifest  # Only tfhub writes one; this one cannot be read.
    return _upstream_damage(gfile, module_path)


def _upstream_damage(gfile: Any, module_path: str) -> str | None:
    """What is missing from an entry of tensorflow_hub, or None: as tensorflow_hub, a folder
    that is not empty is complete; a SavedModel (it has `variables/` or `tfhub_module.pb`)
    must also hold `saved_model.pb`."""
    try:
        listed = {name.rstrip("/") for name in gfile.listdir(module_path)}
    except Exception:  # tf.errors.NotFoundError: removed meanwhile.
        return "the folder does not exist"
    names = {name for name in listed if not SIBLING.match(name)}
    if not names:
        return "the folder is empty"
    saved_model = names & {"variables", "tfhub_module.pb"}
    if saved_model and not names & {"saved_model.pb", "saved_model.pbtxt"}:
        return "saved_model.pb is missing"
    return None


def _read_descriptor(gfile: Any, path: str) -> bookkeeping.Descriptor | None:
    try:
        with gfile.GFile(path, "r") as text:
            return bookkeeping.parse_descriptor(text.read(64 * 1024).splitlines())
    except Exception:  # tf.errors.NotFoundError and friends.
        return None


def model_files_in(module_path: str) -> list[str]:
    """The names of the model files (`saved_model.pb`, ...) at the top of a gfile entry."""
    from ..model_folder_checks import MODEL_FILE_NAMES

    return [name for name in MODEL_FILE_NAMES if gfile_io.is_file(f"{module_path}/{name}")]

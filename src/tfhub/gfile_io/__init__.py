"""The gfile boundary for gs:// (and other tf.io.gfile) paths, bounded in time.

tfhub reaches Google Cloud Storage only through TensorFlow's `tf.io.gfile`, as upstream does.
The functions here are that boundary (the gs:// resolver, `tfhub.resolvers.gcs`, gives the
first of them too): reads (`exists`, `is_file`, `walk`, `open_binary`, `read_bytes`), the
requests of a cache on such a filesystem (`makedirs`, `copy`, `rename`, `remove`, ...: see
`_writes`), and listings and sizes of a model there (`is_dir`, `listdir`, `size`, `glob`,
`checkpoint_reader`). Everything else in tfhub is filesystem-agnostic. Each of their
requests about a URL path (an existence check, a size, one read call, an upload) must end
within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (`within_http_timeouts`), else a
RetryTimeoutError names the path (a local path's are made directly, as tfhub's other local
file operations are): TensorFlow's GCS reader waits for an object that trickles
for an hour per request, and retries. A reader's read calls are its own: another reader of the
same bytes does not wait behind one that is stuck. A read call is of READ_STEP bytes at most
where tfhub chooses (`read_bytes`), or of the archive reader's chunk; TensorFlow's GCS reader
fetches a block of GCS_READ_CACHE_BLOCK_SIZE_MB for it when that is bigger, so a link slower
than one block in that time is cut too.

Modules (each name below is given here too, loaded at its first use):

- `_requests`: one request bounded in time (`_bounded`, `_asked`), and the errors of what
  TensorFlow could not read (`unreadable_error`, `access_todo`); `is_url`; the refusal of a
  path of a file system TensorFlow has not registered (`refuse_unregistered`: s3://, hdfs://),
  which every request meets first, so every caller raises the same UnregisteredFileSystemError;
- `_reads`: `exists`, `is_file`, `walk`, `read_bytes`, `read_steps`, `open_binary` (its reader);
- `_listings`: `is_dir`, `listdir`, `size`, `glob`, `checkpoint_reader`;
- `_writes`: the bounded requests of a cache (`makedirs`, `copy`, ...), and which of those that
  timed out still run (`landing`);
- `_exports`: a TF1 module exported there (`upload_folder`, `exists_for_export`, ...), and
  the staging folders that killed uploads left (`remove_stale_uploads`; `sweep_stale_uploads`,
  which each upload runs first, logs what it cannot remove), the clean-up of a failed one
  (`remove_quietly`).

The submodules call each other's functions directly: a test that replaces one (a spy on
`copy`) replaces it where it is defined (`gfile_io._writes.copy`), which the package's name
does not reach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..utils.lazy import package_getattr

# Public name -> the submodule that defines it. Submodules load on first use, so resolving a
# cached handle (the gs:// resolver's names) loads neither the writes nor the exports.
_EXPORTS = {
    "access_todo": "_requests",
    "is_url": "_requests",
    "refuse_unregistered": "_requests",
    "unreadable_error": "_requests",
    "READ_STEP": "_reads",
    "exists": "_reads",
    "is_file": "_reads",
    "open_binary": "_reads",
    "read_bytes": "_reads",
    "read_steps": "_reads",
    "walk": "_reads",
    "checkpoint_reader": "_listings",
    "glob": "_listings",
    "is_dir": "_listings",
    "listdir": "_listings",
    "size": "_listings",
    "MOST_LATE": "_writes",
    "copy": "_writes",
    "landing": "_writes",
    "makedirs": "_writes",
    "mtime_nsec": "_writes",
    "read_text": "_writes",
    "remove": "_writes",
    "rename": "_writes",
    "rmtree": "_writes",
    "walk_tree": "_writes",
    "write_text": "_writes",
    "UPLOAD_PREFIX": "_exports",
    "exists_for_export": "_exports",
    "latest_checkpoint": "_exports",
    "listdir_for_export": "_exports",
    "remove_quietly": "_exports",
    "remove_stale_uploads": "_exports",
    "stages_exports": "_exports",
    "sweep_stale_uploads": "_exports",
    "upload_folder": "_exports",
    "write_bytes": "_exports",
}
_SUBMODULES = frozenset(
    {
        "_exports",
        "_listings",
        "_reads",
        "_requests",
        "_writes",
    }
)

if TYPE_CHECKING:
    from ._exports import (
        UPLOAD_PREFIX,
        exists_for_export,
        latest_checkpoint,
        listdir_for_export,
        remove_quietly,
        remove_stale_uploads,
        stages_exports,
        sweep_stale_uploads,
        upload_folder,
        write_bytes,
    )
    from ._listings import checkpoint_reader, glob, is_dir, listdir, size
    from ._reads import READ_STEP, exists, is_file, open_binary, read_bytes, read_steps, walk
    from ._requests import access_todo, is_url, refuse_unregistered, unreadable_error
    from ._writes import (
        MOST_LATE,
        copy,
        landing,
        makedirs,
        mtime_nsec,
        read_text,
        remove,
        rename,
        rmtree,
        walk_tree,
        write_text,
    )

__all__ = [
    "MOST_LATE",
    "READ_STEP",
    "UPLOAD_PREFIX",
    "access_todo",
    "checkpoint_reader",
    "copy",
    "exists",
    "exists_for_export",
    "glob",
    "is_dir",
    "is_file",
    "is_url",
    "landing",
    "latest_checkpoint",
    "listdir",
    "listdir_for_export",
    "makedirs",
    "mtime_nsec",
    "open_binary",
    "read_bytes",
    "read_steps",
    "read_text",
    "refuse_unregistered",
    "remove",
    "remove_quietly",
    "remove_stale_uploads",
    "rename",
    "rmtree",
    "size",
    "stages_exports",
    "sweep_stale_uploads",
    "unreadable_error",
    "upload_folder",
    "walk",
    "walk_tree",
    "write_bytes",
    "write_text",
]


__getattr__ = package_getattr(__name__, _EXPORTS, _SUBMODULES)

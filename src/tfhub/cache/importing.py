"""Put a local archive into the cache under a handle (`tfhub import`)."""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Callable

from .. import _archive, errors, handles
from ..archive_fetch import with_archive_hint
from ..download import atomic_download
from ..model_folder_checks import model_files_in, no_pb_problem
from ..utils.paths import (
    STREAMS,
    closed_descriptor,
    describe_descriptor,
    is_terminal,
    special_kind,
)
from ..utils.printable import escaped
from ..utils.redact import redact
from . import health, layout

logger = logging.getLogger(__name__)


def import_archive(archive: str, handle: str, *, force: bool = False) -> str:
    """Extracts a local archive into the cache entry of `handle`; returns its folder.

    Args:
        archive: a .tar, .tar.gz or .tgz file of the model folder, or a pipe that streams one
            (`/dev/stdin`; `-`, as tar takes it, is standard input, which messages name so).
        handle: the handle it will be found under (an http(s) URL or a gs:// archive).
        force: replace an entry already in the cache (once the new one is complete).

    Returns:
        The entry's folder.

    Raises:
        tfhub.errors.ModelNotFoundError: if the archive does not exist (or names a closed
            stream: /dev/stdin after `<&-`).
        tfhub.errors.ArgumentError: if the archive is a terminal (/dev/stdin at a prompt).
        tfhub.errors.InvalidHandleError: for a handle that is never looked up in the cache.
        tfhub.errors.ArchiveError: if it is not a valid, safe archive.
        tfhub.errors.UnreadableArchiveError: (a PermissionError) if this user may not read it.
        tfhub.errors.OtherUsersEntryError: (a PermissionError) the entry is another user's,
            which this user may not read, or the copy resolve serves (`health.served_entry`)
            is one this user may not remove: nothing is changed. (With `force`, another user's
            readable entry this user may not change is replaced; its old folder stays set
            aside for its owner's `tfhub cache prune`.)
    """
    source, name = _readable_source(archive)
    if handles.is_read_in_place(handle) or handles.unknown_scheme(handle) is not None:
        raise _never_cached_error(handle)
    key = handles.cache_handle(handle)
    module_path = layout.module_dir(key)
    served = health.served_entry(handle)  # tensorflow_hub's, keyed as given, comes first.
    if not force and health.is_complete(served):
        _warn_kept(handle, served, name)
        return served
    if not layout.is_remote(module_path):
        _refuse_others_entries(module_path, served)
    extracted: list[str] = []
    # With --force the old entry is replaced only once the new one is complete: a bad archive
    # must not cost a working entry (in an air-gapped setup, maybe the only copy).
    path = _install(key, _extractor(source, name, extracted), module_path, replace=force)
    if not extracted:  # Another process installed it while this one waited for its lock.
        _warn_kept(handle, module_path, name, meanwhile=True)
        return path
    if served != module_path:  # Else resolve would go on serving tensorflow_hub's copy.
        _remove_served_copy(served, handle)
    _warn_if_not_loadable(path, name, handle)
    return path


def _readable_source(archive: str) -> tuple[str, str]:
    """Returns (the path to read, its name in messages) of `archive` (`-`: standard input).

    Raises:
        tfhub.errors.ModelNotFoundError: it is neither a file nor a stream (missing, a folder,
            a device, a closed descriptor).
        tfhub.errors.ArgumentError: it is a terminal, which would wait for the user to type.
    """
    source, name = ("/dev/stdin", "standard input") if archive == "-" else (archive, archive)
    kind = special_kind(source)
    if not os.path.isfile(source) and kind not in STREAMS:  # A pipe is read as it comes.
        problem = _not_an_archive_problem(archive, source, kind)
        raise errors.ModelNotFoundError(
            f"{name} {problem}. Received: archive={archive!r}", path=source
        )
    if kind == "character device" and is_terminal(source):
        raise errors.ArgumentError(  # It would wait for the user to type an archive.
            f"{name} is a terminal: stream the archive into it (`< model.tar.gz`, or "
            f"`ssh host cat m.tar.gz |`) or name the archive file. Received: archive={archive!r}"
        )
    return source, name


def _command_argument(path: str) -> str:
    """`path` quoted for a shell command line, `./`-prefixed if it starts with `-` (so that
    it is not read as an option: `./-x`, not `-x`)."""
    return shlex.quote(f"./{path}" if path.startswith("-") else path)


def _not_an_archive_problem(archive: str, source: str, kind: str | None) -> str:
    """What is wrong with a `source` that is neither a file nor a stream: "does not exist",
    a closed descriptor (with what to do), or what it is instead."""
    closed = closed_descriptor(source)
    if closed is not None:
        closed_is = (
            "is closed"
            if archive == "-"
            else f"names {describe_descriptor(closed)}, which is closed"
        )
        return (
            f"{closed_is}: stream the archive into it (`< model.tar.gz`) or name the archive file"
        )
    if os.path.isdir(source):  # A model folder, say: its archive is what is imported.
        return (
            "is a folder, not an archive file: pack the model folder into one (`tfhub pack "
            f"{escaped(_command_argument(archive))} -o model.tar.gz`), then import that archive"
        )
    if kind is not None:
        return f"is a {kind}, not an archive file"
    return "does not exist"


def _refuse_others_entries(module_path: str, served: str) -> None:
    """Raises if the entry is another user's that this user may not read, or the copy resolve
    serves (`served`, removed once the import is done) is one this user may not remove.

    Raises:
        tfhub.errors.OtherUsersEntryError: as `import_archive` says.
    """
    from . import owners

    # Not replaced (nor renamed aside) even with --force: another user's model.
    foreign = owners.other_users_entry_error(module_path)
    if foreign is None and served != module_path:  # Removed once the import is done.
        foreign = owners.undeletable_entry_error(served)
    if foreign is not None:
        raise foreign


def _extractor(source: str, name: str, extracted: list[str]) -> Callable[[str], object]:
    """The fetch that extracts `source` into the folder it is given (noted in `extracted`),
    an archive error carrying its hint."""

    def fetch(target: str) -> _archive.ExtractResult:
        extracted.append(target)
        try:
            return _archive.extract_file(source, target, name=name)
        except errors.ArchiveError as err:
            raise with_archive_hint(err, remote=False) from err

    return fetch


def _remove_served_copy(served: str, handle: str) -> None:
    """Removes the copy resolve served before the import (tensorflow_hub's), saying so."""
    from . import store

    store.remove(served)
    logger.warning("Removed %s, the copy of %s that resolve used before.", served, redact(handle))


def _never_cached_error(handle: str) -> errors.InvalidHandleError:
    """The error for a handle tfhub never looks up in the cache: a scheme no resolver of tfhub
    reads (`UnknownSchemeError`: a custom resolver's, such as docs/resolving.md's `mirror://`),
    or a path read in place (a local path, file:// URL, gs:// folder, other tf.io.gfile path)."""
    start = "Only http(s):// URLs and gs:// archives are looked up in the cache"
    received = f"Received: handle={redact(handle)!r}"
    scheme = handles.unknown_scheme(handle)
    if scheme is not None:
        return errors.UnknownSchemeError(
            f"{start}; no resolver of tfhub reads {scheme}:// handles. A custom resolver "
            "(hub.register_resolver) fills its own cache entries when it runs: resolve the "
            f"handle with it where its server is reachable, then copy the cache folder. {received}",
            scheme=scheme,
        )
    return errors.InvalidHandleError(
        f"{start}; local paths and gs:// folders are read in place, as are file:// URLs and "
        "other tf.io.gfile paths (s3://, hdfs://, ...), and never cached: load the folder "
        f"itself, or import its archive under an http(s):// URL. {received}"
    )


def _warn_kept(handle: str, module_path: str, archive: str, *, meanwhile: bool = False) -> None:
    """Warns that the entry in the cache was kept and `archive` not imported."""
    logger.warning(
        "%s is already in the cache (%s%s) and was kept; pass --force to replace it with %s.",
        redact(handle),
        module_path,
        ", installed by another process while this import waited" if meanwhile else "",
        archive,
    )


def _install(key: str, fetch: Callable[[str], object], module_path: str, *, replace: bool) -> str:
    """Installs the extracted archive as `module_path`, replacing the entry there if `replace`."""
    return atomic_download(key, fetch, module_path=module_path, local=True, replace=replace)


def _warn_if_not_loadable(module_path: str, archive: str, handle: str) -> None:
    """Warns if the imported entry holds no saved_model.pb at its top, so `tfhub.load` of the
    handle would fail (`tar czf A my_model/` packs the folder, not its contents). It is kept,
    as a download of the archive would be: `hub.resolve` gives it (a TF.js model, say). A
    check of a gs:// entry that fails (no answer in time) is only warned of: the import is done."""
    if layout.is_remote(module_path):
        from . import remote_check

        try:
            if remote_check.model_files_in(module_path):
                return
        except errors.DownloadError as err:  # A RetryTimeoutError too: the import is done.
            logger.warning(
                "Imported %s as %s, but could not check whether tfhub.load can load it: %s",
                archive,
                redact(handle),
                err,
            )
            return
    elif model_files_in(module_path):
        return
    problem, todo = no_pb_problem(module_path)
    logger.warning(
        "Imported %s as %s, but %s: tfhub.load cannot load it.%s",
        archive,
        redact(handle),
        problem,
        f" {todo}" if todo else "",
    )

"""Resolvers: from a handle to a local folder, and the registry that picks one.

`resolve_with_registry(handle)` (what `hub.resolve` calls) asks the registered resolvers, most
recently registered first; the defaults are installed on first use in upstream's order (path
last, http compressed first).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .. import errors, handles
from ..utils.redact import redact
from .base import Resolver
from .registry import MultiImplRegistry

__all__ = [
    "Resolver",
    "MultiImplRegistry",
    "install_default_resolvers",
    "reinstall_default_resolvers",
    "register_resolver",
    "registry",
    "resolve_with_registry",
]

registry: MultiImplRegistry[Any] = MultiImplRegistry("resolver")
_defaults_lock = threading.Lock()
_defaults_installed = False


def install_default_resolvers() -> None:
    """Registers the built-in resolvers (once), in upstream's order, after every resolver
    registered already: one added to `registry` before the first resolve is still tried
    first."""
    with _defaults_lock:
        if not _defaults_installed:
            _add_defaults(missing_only=False)


def reinstall_default_resolvers() -> None:
    """Registers again each built-in resolver the registry lacks, in upstream's order, after
    every other (upstream's `config._run()` added them all on each call, so that its tests'
    `registry._clear(); config._run()` restored them); none when all are there."""
    with _defaults_lock:
        _add_defaults(missing_only=True)


def _add_defaults(*, missing_only: bool) -> None:
    """Adds the built-in resolvers (those of a class not registered, if `missing_only`) as
    fallbacks; the caller holds `_defaults_lock`."""
    global _defaults_installed
    from .gcs import GcsCompressedResolver
    from .http_compressed import HttpCompressedResolver
    from .http_uncompressed import HttpUncompressedResolver
    from .path import PathResolver

    present = {type(impl) for impl in registry.implementations} if missing_only else set()
    in_upstreams_order = (
        PathResolver,
        HttpUncompressedResolver,
        GcsCompressedResolver,
        HttpCompressedResolver,
    )
    registry.add_fallbacks([cls() for cls in in_upstreams_order if cls not in present])
    _defaults_installed = True


def register_resolver(resolver: Any) -> None:
    """Registers a resolver; it is tried before every resolver registered earlier.

    Args:
        resolver: an object with `is_supported(handle) -> bool` and `__call__(handle) -> str`,
            e.g. a `tfhub.resolvers.Resolver` subclass.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) if `resolver` lacks those methods, or is
            a class rather than an instance of one.
    """
    install_default_resolvers()
    registry.add_implementation(resolver)


def resolve_with_registry(handle: str) -> str:
    """Resolves a handle to a local folder (or gs:// folder), downloading it if needed.

    Args:
        handle: a local path, file://, gs://, http(s):// or Kaggle model URL, or any handle a
            registered resolver accepts.

    Returns:
        The folder's path: the cache entry of a downloaded model; for a handle that is a path
        (local, file://, gs:// and other tf.io.gfile ones), the path it names if it exists,
        read in place (as upstream, whatever it names: a file too); with
        TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED, the gs:// folder the server names.

    Raises:
        tfhub.errors.InvalidHandleError: for control characters (in a URL; a local path may
            hold them, not a NUL) or a URL with spaces around it;
            `HandleTypeError` (also a TypeError) for a handle that is not text, `EmptyHandleError`
            (also a FileNotFoundError) for ""; `UnknownSchemeError` (also an
            UnsupportedHandleError) for a `scheme://` that no resolver reads, listing the
            resolvers tried, without importing TensorFlow.
        tfhub.errors.ModelNotFoundError: (a FileNotFoundError) a path that does not exist.
        tfhub.errors.ArgumentTypeError: (a TypeError) a registered resolver returned something
            that is not a path (None, say), naming that resolver; `ArgumentError` (a
            ValueError) for an empty path.
        tfhub.errors.TFHubError: subclasses say what else went wrong.
    """
    install_default_resolvers()
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    # A local folder's name may hold control characters (read in place, written nowhere).
    handles.check(handle, local_controls=True)
    try:
        return _as_path(registry(handle), handle)
    except errors.UnsupportedHandleError as err:
        scheme = handles.unknown_scheme(handle)
        if scheme is None or isinstance(err, errors.UnknownSchemeError):
            raise
        raise errors.UnknownSchemeError(
            f"No resolver reads {scheme}:// handles (tried {', '.join(err.tried)}). Built in: "
            "http(s)://, file://, gs:// and other tf.io.gfile filesystems "
            f"({', '.join(sorted(handles.GFILE_SCHEMES))}), and local paths. Check the "
            f"spelling, or register a resolver with hub.register_resolver. "
            f"Received: handle={redact(handle)!r}",
            scheme=scheme,
            tried=err.tried,
        ) from None


def _as_path(result: object, handle: str) -> str:
    """The path a resolver returned, as a str (a `pathlib.Path` or bytes too, as upstream's
    callers took them).

    Raises:
        tfhub.errors.ArgumentTypeError: for anything else, naming the resolver that returned it.
        tfhub.errors.ArgumentError: (a ValueError) for an empty path ("" named no folder: the
            current one, for some callers), naming the resolver.
    """
    if isinstance(result, (str, bytes, os.PathLike)):
        path = os.fsdecode(result) if not isinstance(result, str) else str(result)
        if path:
            return path
        raise errors.ArgumentError(
            f"The resolver {_supporting(handle)} returned an empty path for "
            f"{redact(handle)!r}: its __call__ must return the path of the model's folder (or "
            f"raise an error if it cannot resolve the handle). Received: path={result!r}"
        )
    raise errors.ArgumentTypeError(
        f"The resolver {_supporting(handle)} returned {type(result).__name__}, not the "
        f"path of the model's folder, for {redact(handle)!r}: its __call__ must return a str "
        f"(or raise an error if it cannot resolve the handle). Received: path={result!r}"
    )


def _supporting(handle: str) -> str:
    """The class name of the resolver the registry asks for `handle` (the newest supporting,
    as it is asked: upstream's class where a patch of it stands in for a built-in)."""
    return type(registry.supporting(handle)).__name__

"""Upstream's resolver classes stand in for tfhub's built-in resolvers while code patches them.

tensorflow_hub registered instances of its module paths' classes (`resolver.PathResolver`,
`uncompressed_module_resolver.HttpUncompressedFileResolver`, `compressed_module_resolver`'s
`GcsCompressedFileResolver` and `HttpCompressedFileResolver`), so a class-level patch of one of
them (`mock.patch.object(HttpCompressedFileResolver, "__call__")`, its `_request_gcs_location`,
`resolver.HttpResolverBase._call_urlopen`, as upstream's own tests do) changed what `hub.resolve`,
`hub.load` and `hub.Module` did. tfhub registers its own classes (`tfhub.resolvers`), which
those subclass. Each of upstream's classes is recorded here when its module is imported (none
can be patched before), with the attributes of its upstream-named classes at that moment; while
they differ (a patch is in place), the resolver registry asks one instance of upstream's class
(made once, as upstream's registration made it) in place of tfhub's built-in. A program that
never imports those modules, or patches nothing, runs tfhub's own resolvers as before.
"""

from __future__ import annotations

import operator
import threading
from typing import Any

# The modules of upstream's names: their classes' own attributes are what a patch replaces.
_UPSTREAM_MODULES = frozenset(
    {"tfhub.resolver", "tfhub.compressed_module_resolver", "tfhub.uncompressed_module_resolver"}
)

# (class, the names of its own attributes, their values) when recorded, for each upstream-named
# class of a recorded one.
_Snapshot = tuple[tuple[type, tuple[str, ...], tuple[Any, ...]], ...]

_lock = threading.Lock()
# (module, name) of a built-in resolver class -> (upstream's class, the snapshot of its
# upstream-named classes).
_recorded: dict[tuple[str, str], tuple[type, _Snapshot]] = {}
# Upstream's class -> the instance that stands in for the built-in while it is patched.
_made: dict[type, Any] = {}


def record(builtin: str, upstream: type) -> None:
    """Records `upstream` as the class a patch of which reroutes the registered instances of
    the built-in resolver class `builtin`; the first call hooks the resolver registry. Called
    by the module that defines `upstream`, at its import.

    Args:
        builtin: the dotted name of a class of `tfhub.resolvers` that
            `install_default_resolvers` registers, e.g. "tfhub.resolvers.path.PathResolver"
            (a name: `tfhub.resolver` need not import the resolvers to record its own).
        upstream: upstream's class of the same job, under upstream's module path.
    """
    from .. import resolvers  # The package, whose `registry` is the resolver registry.

    module, _, name = builtin.rpartition(".")
    with _lock:
        _recorded[(module, name)] = (upstream, _snapshot(upstream))
        resolvers.registry.set_stand_in(stand_in)


def stand_in(impl: Any) -> Any:
    """Returns the instance of upstream's class that stands in for `impl` while that class (or
    an upstream-named base) is patched; else `impl` itself (any resolver not built in, too)."""
    kind = type(impl)
    entry = _recorded.get((kind.__module__, kind.__qualname__))
    if entry is None:
        return impl
    upstream, before = entry
    if _unchanged(before):
        return impl
    made = _made.get(upstream)
    if made is None:
        made = _made.setdefault(upstream, upstream())
    return made


def _snapshot(upstream: type) -> _Snapshot:
    """The own attributes (names, then values) of `upstream` and of its bases under upstream's
    module paths."""
    classes = [cls for cls in upstream.__mro__ if cls.__module__ in _UPSTREAM_MODULES]
    return tuple((cls, tuple(vars(cls)), tuple(vars(cls).values())) for cls in classes)


def _unchanged(snapshot: _Snapshot) -> bool:
    """Whether each class of `snapshot` has exactly the attributes it had (the same objects)."""
    for cls, names, values in snapshot:
        now = vars(cls)
        if len(now) != len(names) or not all(map(operator.is_, map(now.get, names), values)):
            return False
    return True

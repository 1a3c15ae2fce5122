"""Upstream's resolver classes stand in for tfhub's built-in resolvers while code patches them.

tensorflow_hub registered instances of its module paths' classes (`resolver.PathResolver`,
`uncompressed_module_resolver.HttpUncompressedFileResolver`, `compressed_module_resolver`'s
`GcsCompressedFileResolver` and `HttpCompressedFileResolver`), so a class-level patch of one of
them (`mock.patch.object(HttpCompressedFileResolver, "__call__")`, its `_request_gcs_location`,
`resolver.HttpResolverBase._call_urlopen`, as upstream's own tests do) changed what `hub.resolve`,
`hub.load` and `hub.Module` did. tfhub registers its own classes (`tfhub.resolvers`), which
those subclass.

Each upstream-named class is watched from the import of its own module, where it is defined
(`watch`: its own attributes then are its unpatched state; none can be patched before), and
`record` says which built-in each of the four stands in for. At each call, the resolver registry
asks `stand_ins()` once: None while every watched class has its unpatched attributes (a
program that never imports those modules, or patches nothing, runs tfhub's own resolvers as
before); else the function that swaps a built-in for one instance of upstream's class (made
once, as upstream's registration made it) when that class or an upstream-named base of it is
patched. Attributes Python fills in lazily (`__annotations__` on first read, in 3.11) are no
patch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

# Attributes that Python (or a documentation tool reading them) may add to a class after its
# definition without anyone patching it.
_LAZY = frozenset({"__annotations__", "__weakref__", "__dict__", "_abc_impl"})

_lock = threading.Lock()
# The watched classes, in the order watched (a tuple, replaced as a whole, for a loop that a
# concurrent import does not disturb).
_watched: tuple[type, ...] = ()
# Each watched class -> its own attributes when watched (without `_LAZY`'s).
_saved: dict[type, dict[str, Any]] = {}
# Each watched class -> what `vars(cls) == ...` compares with: `_saved`'s, plus lazy attributes
# as last seen (so that one read of `__annotations__` leaves the fast comparison exact).
_seen: dict[type, dict[str, Any]] = {}
# (module, name) of a built-in resolver class -> upstream's class that stands in for it.
_recorded: dict[tuple[str, str], type] = {}
# Upstream's class -> the instance that stands in for the built-in while it is patched.
_made: dict[type, Any] = {}


def watch(*classes: type) -> None:
    """Saves the own attributes of each of `classes` (once: a later call keeps the first) as
    its unpatched state. Called by the module that defines them, at its import.

    Args:
        classes: upstream-named classes just defined (not yet patched by anyone).
    """
    global _watched
    with _lock:
        for cls in classes:
            if cls not in _saved:
                _seen[cls] = dict(vars(cls))
                _saved[cls] = _without_lazy(_seen[cls])
                _watched = (*_watched, cls)


def record(builtin: str, upstream: type) -> None:
    """Watches `upstream` (see `watch`) and records it as the class a patch of which (or of an
    upstream-named base) reroutes the registered instances of the built-in resolver class
    `builtin`; the first call hooks the resolver registry. Called by the module that defines
    `upstream`, at its import, after its bases' modules have watched them.

    Args:
        builtin: the dotted name of a class of `tfhub.resolvers` that
            `install_default_resolvers` registers, e.g. "tfhub.resolvers.path.PathResolver"
            (a name: `tfhub.resolver` need not import the resolvers to record its own).
        upstream: upstream's class of the same job, under upstream's module path.
    """
    from .. import resolvers  # The package, whose `registry` is the resolver registry.

    watch(upstream)
    module, _, name = builtin.rpartition(".")
    with _lock:
        _recorded[(module, name)] = upstream
        resolvers.registry.set_stand_ins(stand_ins)


def stand_ins() -> Callable[[Any], Any] | None:
    """None if no watched class is patched (the registry asks its implementations as they
    are); else `stand_in`, to pass each implementation through."""
    for cls in _watched:
        if vars(cls) != _seen[cls] and _patched(cls):
            return stand_in
    return None


def stand_in(impl: Any) -> Any:
    """Returns the instance of upstream's class that stands in for `impl` while that class (or
    an upstream-named base) is patched; else `impl` itself (any resolver not built in, too)."""
    kind = type(impl)
    upstream = _recorded.get((kind.__module__, kind.__qualname__))
    if upstream is None or not any(map(_patched, _watched_in(upstream))):
        return impl
    made = _made.get(upstream)
    if made is None:
        made = _made.setdefault(upstream, upstream())
    return made


def _watched_in(upstream: type) -> list[type]:
    """The watched classes among `upstream` and its bases."""
    return [cls for cls in upstream.__mro__ if cls in _saved]


def _patched(cls: type) -> bool:
    """Whether the watched `cls` has other own attributes than when watched (lazy ones aside);
    if not, its attributes as they are now become what the fast comparison expects."""
    now = dict(vars(cls))
    if _without_lazy(now) != _saved[cls]:
        return True
    _seen[cls] = now
    return False


def _without_lazy(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in attributes.items() if name not in _LAZY}

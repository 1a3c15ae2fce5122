"""A registry of implementations tried most-recently-registered first (upstream's semantics)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from .. import errors
from .base import debug_logger


class Implementation(Protocol):
    """What the registry calls: `is_supported(*args)` then `__call__(*args)`."""

    def is_supported(self, *args: Any, **kwargs: Any) -> bool: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


T = TypeVar("T", bound=Implementation)


class MultiImplRegistry(Generic[T]):
    """Holds implementations; calls the last registered one whose `is_supported` says yes."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._impls: list[T] = []
        self._lock = threading.Lock()
        self._stand_ins: Callable[[], Callable[[T], T] | None] | None = None

    def add_implementation(self, impl: T) -> None:
        """Registers an implementation; it is tried before all earlier ones.

        Raises:
            tfhub.errors.ArgumentTypeError: (a TypeError) if `impl` lacks `is_supported` or
                is not callable.
        """
        _check_implementation(impl)
        with self._lock:
            self._impls = [*self._impls, impl]

    def add_fallbacks(self, impls: list[T]) -> None:
        """Registers implementations tried after every other one, already registered or not
        (the built-in resolvers), the last of `impls` first among them.

        Raises:
            tfhub.errors.ArgumentTypeError: as `add_implementation`.
        """
        for impl in impls:
            _check_implementation(impl)
        with self._lock:
            self._impls = [*impls, *self._impls]

    def clear_implementations(self) -> None:
        """Removes every implementation (for tests)."""
        with self._lock:
            self._impls = []

    def set_stand_ins(self, stand_ins: Callable[[], Callable[[T], T] | None] | None) -> None:
        """Sets the function asked once per call for the one each implementation passes
        through before it is asked (it returns the implementation, or one that stands in for
        it: see `tfhub.resolvers.upstream_classes`), or None when none need to; None for no
        such function, the default."""
        self._stand_ins = stand_ins

    @property
    def implementations(self) -> list[T]:
        """The registered implementations, in registration order."""
        return list(self._impls)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the first supporting implementation, most recently registered first; logs (at
        DEBUG) each one that does not support the arguments.

        Raises:
            tfhub.errors.UnsupportedHandleError: (a RuntimeError) listing every one tried.
        """
        tried: list[str] = []
        for impl in self._asked():
            if impl.is_supported(*args, **kwargs):
                _log_passed_over(self._name, tried)
                return impl(*args, **kwargs)
            tried.append(type(impl).__name__)
        _log_passed_over(self._name, tried)
        raise errors.UnsupportedHandleError(
            f"Missing implementation that supports: {self._name}(*{args!r}, **{kwargs!r}). "
            f"Tried {tried!r}. {_REGISTER_HINT.get(self._name, _REGISTER_HINT['resolver'])}",
            tried=tried,
        )

    def supporting(self, *args: Any, **kwargs: Any) -> T | None:
        """The implementation a call with these arguments asks now (the first supporting, as
        it stands in: see `set_stand_ins`); None if none supports them."""
        return next((i for i in self._asked() if i.is_supported(*args, **kwargs)), None)

    def _asked(self) -> list[T]:
        """The implementations in the order a call asks them, each as it is asked."""
        impls = self._impls[::-1]
        swap = self._stand_ins() if self._stand_ins is not None else None
        return impls if swap is None else [swap(impl) for impl in impls]


# What to do when no implementation takes the arguments (after `registry.clear_implementations()`,
# or a handle no registered resolver supports).
_REGISTER_HINT = {
    "resolver": "Register a resolver that supports it with hub.register_resolver(...).",
    "loader": "Register a loader that supports it: hub.registry.loader.add_implementation(...).",
}


def _log_passed_over(registry: str, implementations: list[str]) -> None:
    """Logs, one line each, the implementations that do not support the handle, at DEBUG level
    (upstream's internal registry logged them at INFO: six lines for every https handle loaded
    by a program that logs INFO, e.g. the tools' --verbose); only when DEBUG is on in a program
    that imported `logging` (`base.debug_logger`), the level checked once per call."""
    logger = debug_logger(__name__) if implementations else None
    if logger is not None:
        for implementation in implementations:
            logger.debug("%s %s does not support the provided handle.", registry, implementation)


def _check_implementation(impl: Any) -> None:
    if isinstance(impl, type):  # Accepted, it made every later call fail with a TypeError.
        raise errors.ArgumentTypeError(
            f"A resolver is registered as an instance: pass {impl.__name__}(), not the class "
            f"{impl.__name__}. Received: resolver={impl!r}"
        )
    if not callable(getattr(impl, "is_supported", None)) or not callable(impl):
        raise errors.ArgumentTypeError(
            "A resolver needs an `is_supported(handle)` method and a `__call__(handle)`. "
            f"Received: resolver={impl!r}"
        )

"""A bounded memory of what a long-running process has warned about, so that a condition met on
every request (a refused file, an unreadable doc, a journal that cannot be followed) is named
in one warning, not one per request, and the memory does not grow for the life of the server.

`WarnedOnce` remembers the `limit` keys seen last; the one seen longest ago is forgotten first
(and warned about again if it is met again). It is a `MutableSet`, so a caller that takes "the
keys already warned about" as a set takes it as it is. Its operations hold a lock: a server
calls it from its event loop and from worker threads alike.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, MutableSet
from typing import Any, TypeVar

from .. import errors

T = TypeVar("T", bound=Hashable)
# How many keys a memory keeps by default: a few hundred KiB at most, whatever the server meets.
DEFAULT_LIMIT = 1024


class WarnedOnce(MutableSet[T]):
    """The keys warned about: the `limit` last seen, the one seen longest ago forgotten first.

    Args:
        limit: how many keys are kept (at least 1).

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) if `limit` is below 1.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise errors.ArgumentError(
                f"A WarnedOnce keeps at least one key. Received: limit={limit!r}"
            )
        self.limit = limit
        self._keys: OrderedDict[T, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: T) -> bool:
        """True if `key` is not remembered (the caller warns), and remembers it as the last
        seen either way (the one seen longest ago forgotten past `limit`)."""
        with self._lock:
            new = key not in self._keys
            self._remember(key)
            return new

    @classmethod
    def _from_iterable(cls, iterable: Iterable[Any]) -> WarnedOnce[Any]:
        """What the set operators (|, &, -, ^) return: a memory of the keys of `iterable`, in
        its order, and none forgotten (its limit: `DEFAULT_LIMIT`, or more for more keys). The
        `Set` mixins' default, `cls(iterable)`, would take the iterable as the limit."""
        keys = list(dict.fromkeys(iterable))
        made = cls(max(DEFAULT_LIMIT, len(keys)))
        for key in keys:
            made.add(key)
        return made

    def __contains__(self, item: object) -> bool:
        with self._lock:
            return item in self._keys

    def __iter__(self) -> Iterator[T]:
        """The keys, the one seen longest ago first (a copy: safe while others add)."""
        with self._lock:
            return iter(list(self._keys))

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)

    def add(self, value: T) -> None:
        """Remembers `value` as the last seen (the oldest forgotten past `limit`)."""
        with self._lock:
            self._remember(value)

    def discard(self, value: T) -> None:
        with self._lock:
            self._keys.pop(value, None)

    def _remember(self, key: T) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.limit:
            self._keys.popitem(last=False)

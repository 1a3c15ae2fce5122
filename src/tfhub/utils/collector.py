"""Large imports with Python's cyclic garbage collector paused.

Importing TensorFlow 2.21 (and Keras) creates millions of objects that live as long as the
process, and the collector's passes over them find nothing to free: 0.6-0.9 s of a 2.7-3.7 s
`import tensorflow` on this project's 2-core machine, for 1-2 MB more peak memory without them.
tfhub pauses the collector around the imports it starts itself (a lazy attribute of `tfhub`,
`utils.lazy.import_optional`), never around a program's own imports, and restores it as it was.
"""

from __future__ import annotations

import gc

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")


def paused(work: Callable[[], T]) -> T:
    """Returns `work()`, run with the cyclic garbage collector paused (then restored: left
    paused if the program had paused it). Cycles made meanwhile are collected later."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return work()
    finally:
        if was_enabled:
            gc.enable()

"""Unique weight names for hub layers: `.h5` files store optimizer slots by name
(`Adam/m/hidden/kernel:0` in tf_keras, `adam/<layer>/hidden_kernel_momentum` in Keras 3), and
two loads of one SavedModel have equal variable names (as may two variables of one model).
tf_keras's layer renames the variables themselves (`make_unique`); Keras 3's names its own
Keras variables (`UniqueNames`), under the layer's name."""

from __future__ import annotations

import gc
import itertools
import weakref
from typing import Any

from .. import _tf_private

_LIVE: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def make_unique(variables: list[Any]) -> None:
    """Renames each variable whose name a live variable of another hub layer holds, as TF1 graphs
    did (`hidden/kernel_1:0`; the first keeps its name), and records them all."""
    if any(map(_taken, variables)):
        gc.collect()  # Layers of a dropped model may still await the cycle collector.
    for variable in variables:
        if _taken(variable):
            base = variable.name.rsplit(":", 1)[0]
            new = next(f"{base}_{n}" for n in itertools.count(1) if f"{base}_{n}:0" not in _LIVE)
            if not _tf_private.rename_eager_variable(variable, new):
                continue
        _LIVE[variable.name] = variable


def _taken(variable: Any) -> bool:
    return _LIVE.get(variable.name, variable) is not variable


class UniqueNames:
    """Hands out names unique among those it gave: `kernel`, then `kernel_1`, `kernel_2`, ..."""

    def __init__(self) -> None:
        self._given: set[str] = set()

    def unique(self, name: str) -> str:
        """Returns `name`, or `name_<n>` with the smallest n >= 1 not given yet."""
        candidates = itertools.chain([name], (f"{name}_{n}" for n in itertools.count(1)))
        chosen = next(candidate for candidate in candidates if candidate not in self._given)
        self._given.add(chosen)
        return chosen

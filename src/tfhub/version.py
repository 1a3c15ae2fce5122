"""tensorflow_hub's `version` module path: `__version__`, tfhub's version."""

from __future__ import annotations

from . import __version__

__all__ = ["__version__"]

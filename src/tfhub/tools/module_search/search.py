"""Upstream's module name for the command line (`python -m tensorflow_hub.tools.module_search.
search --dataset=... --module=...`)."""

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

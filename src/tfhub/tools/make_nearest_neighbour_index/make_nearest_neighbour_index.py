"""Upstream's module name for the command line (`python -m tensorflow_hub.tools.
make_nearest_neighbour_index.make_nearest_neighbour_index generate ...`)."""

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Questions about local paths that several parts of tfhub ask (stat calls only)."""

from __future__ import annotations

import os


def nearest_existing(path: str) -> str:
    """Returns `path` (made absolute) if it exists, else its nearest existing parent (a folder,
    or a file in the way); the root always exists."""
    current = os.path.abspath(path)
    while not os.path.lexists(current):
        parent = os.path.dirname(current)
        if parent == current:  # Only if the root itself is missing (a vanished mount).
            break
        current = parent
    return current


def relative_below(path: str, folder: str) -> str | None:
    """Returns `path` relative to `folder` ("." for the folder itself), both with their links
    followed, or None if `path` is neither the folder nor below it (neither needs to exist)."""
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(folder))
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative

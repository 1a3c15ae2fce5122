"""Helpers for the KerasLayer tests: the flavour tuple."""

from __future__ import annotations

from typing import Any, NamedTuple


class Flavour(NamedTuple):
    """One Keras flavour: its name, its hub.KerasLayer class and its Keras module."""

    name: str
    layer: Any
    keras: Any

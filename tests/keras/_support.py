"""Helpers for the KerasLayer tests: the flavour tuple and the upstream fixtures' records."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

UPSTREAM = Path(__file__).parents[1] / "data" / "upstream"


class Flavour(NamedTuple):
    """One Keras flavour: its name, its hub.KerasLayer class and its Keras module."""

    name: str
    layer: Any
    keras: Any


def upstream_record(name: str) -> dict[str, Any]:
    """The expected.json of an upstream fixture."""
    return json.loads((UPSTREAM / f"{name}.expected.json").read_text())


def upstream_path(name: str) -> str:
    return os.fspath(UPSTREAM / name)

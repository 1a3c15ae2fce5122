"""tfhub.dev's tag definitions (ROOT/tags/*.yaml): the values metadata tags may take.

tfhub.dev's repository lists, per tag, the allowed ids (`dataset.yaml`, `language.yaml`,
`network_architecture.yaml`, `task.yaml`, `license.yaml`, `interactive_visualizer.yaml`:
`values: [{id: ..., display_name: ...}]`) or a URL format (`colab.yaml`, `demo.yaml`:
`format: url`, optional `required_domain`). A hub folder without ROOT/tags skips these checks.
Reading them needs PyYAML (imported only when ROOT/tags exists).
"""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cache.bookkeeping import open_text
from .docs_format import url_parts

logger = logging.getLogger(__name__)

TAGS_DIR = "tags"
ENUMERABLE_FILES = {
    "dataset": "dataset.yaml",
    "language": "language.yaml",
    "network-architecture": "network_architecture.yaml",
    "task": "task.yaml",
    "license": "license.yaml",
    "interactive-visualizer": "interactive_visualizer.yaml",
}
URL_FILES = {"colab": "colab.yaml", "demo": "demo.yaml"}


@dataclass(frozen=True)
class TagDefinitions:
    """Allowed ids per enumerable tag, required domain (or None) per URL tag, and read errors."""

    ids: dict[str, frozenset[str]] = field(default_factory=dict)
    url_domains: dict[str, str | None] = field(default_factory=dict)
    errors: tuple[tuple[str, str], ...] = ()

    def check(self, key: str, value: str) -> list[str]:
        """Problems of one metadata value against the definitions ([] if fine or undefined)."""
        if key in self.ids and value not in self.ids[key]:
            file = f"{TAGS_DIR}/{ENUMERABLE_FILES[key]}"
            return [f"{key} {value!r} is not defined in {file}; add it there or use one of its ids"]
        if key in self.url_domains:
            return _check_url(key, value, self.url_domains[key])
        return []


def _check_url(key: str, value: str, domain: str | None) -> list[str]:
    parts = url_parts(value)
    if parts is None or parts.scheme != "https" or not parts.netloc or " " in value:
        return [f"{key} must be an https URL. Received: {value!r}"]
    if domain and parts.netloc != domain:
        return [f"{key} must point to {domain}. Received: {value!r}"]
    return []


def load_tag_definitions(root: str | os.PathLike[str]) -> TagDefinitions | None:
    """Reads ROOT/tags/*.yaml, or returns None if ROOT/tags does not exist.

    Args:
        root: the hub folder.

    Returns:
        The definitions; files that cannot be read are listed in `.errors` as
        (path relative to ROOT, message) and their tag is not checked.
    """
    folder = Path(root) / TAGS_DIR
    if not folder.is_dir():
        return None
    from ..utils.lazy import import_optional

    yaml = import_optional("yaml", purpose=f"Reading tfhub.dev's tag definitions in {folder}")
    ids: dict[str, frozenset[str]] = {}
    domains: dict[str, str | None] = {}
    problems: list[tuple[str, str]] = []
    for key, name in {**ENUMERABLE_FILES, **URL_FILES}.items():
        file = folder / name
        if not os.path.lexists(file):  # A broken link is reported, not skipped.
            continue
        try:
            loaded = yaml.safe_load(_text(file))
            if key in URL_FILES:
                domains[key] = _url_domain(loaded)
            else:
                ids[key] = _ids(loaded)
        except Exception as err:  # Not UTF-8, not YAML, a folder, not tfhub.dev's shape.
            problems.append((f"{TAGS_DIR}/{name}", f"cannot read the tag definitions: {err}"))
    return TagDefinitions(ids, domains, tuple(problems))


def _text(file: Path) -> str:
    """The UTF-8 text of a tag file, opened without waiting (a named pipe in its place made
    `tfhub validate` wait for a writer for ever).

    Raises:
        OSError: if it cannot be read or is a folder; ValueError: if it is no regular file
            or not UTF-8.
    """
    with open_text(os.fspath(file)) as text:
        if text is None and file.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(file))
        if text is None:
            raise ValueError("it is not a regular file (a named pipe or a device)")
        return text.read()


def _ids(loaded: Any) -> frozenset[str]:
    """The ids of an enumerable tag file in tfhub.dev's shape: `values:`, a list of `- id: x`."""
    values = loaded.get("values") if isinstance(loaded, dict) else None
    if isinstance(values, list) and all(isinstance(item, dict) and "id" in item for item in values):
        return frozenset(str(item["id"]) for item in values)
    raise ValueError(
        "it must hold 'values:', a list of entries each with an 'id' (tfhub.dev's format, e.g. "
        f"'values: [{{id: text-embedding}}]'). Received: {_shown(loaded)}"
    )


def _shown(loaded: Any) -> str:
    """A YAML value as an error shows it: its repr, cut to 80 characters."""
    text = repr(loaded)
    return text if len(text) <= 80 else text[:77] + "..."


def _url_domain(loaded: Any) -> str | None:
    if not isinstance(loaded, dict):
        raise ValueError(
            "it must hold 'format: url' and, optionally, 'required_domain: DOMAIN' (tfhub.dev's "
            f"format). Received: {_shown(loaded)}"
        )
    if loaded.get("format") != "url":
        raise ValueError(f"'format' must be 'url'. Received: {loaded.get('format')!r}")
    domain = loaded.get("required_domain")
    return None if domain is None else str(domain)

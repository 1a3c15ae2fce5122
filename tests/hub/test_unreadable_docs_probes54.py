"""rf54c-F3: a folder of the docs tree that the server's user may not read (a teammate's
publish under `umask 077` makes its folders 0700) left its models out of the hub without a
word: `/healthz` said `ok 0 models`, every download of them `404 Not Found: no model ...`, and
the log held nothing, while an unreadable doc FILE was warned about. Each such folder is now
named in a warning saying why and what to do."""

from __future__ import annotations

import logging
import os

import pytest
from tests._helpers.cache_users import run_as_user
from tests._helpers.hub_server import hub_readable_by_all

from tfhub.hub.catalog import Catalog


def _scan_as_nobody(root: str) -> tuple[list[str], list[str]]:
    """(the models, the warnings) of a scan of `root`, run in this (forked) process."""
    said: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                said.append(record.getMessage())

    logger = logging.getLogger("tfhub")
    logger.addHandler(Collect())
    logger.setLevel(logging.INFO)
    return sorted(Catalog.scan(root).models), said


@pytest.mark.parametrize(
    "hidden",
    ["assets/docs", "assets/docs/acme", "assets/docs/acme/models", "assets/docs/acme/models/emb"],
)
def test_a_folder_the_server_may_not_read_is_named_in_a_warning(shared_dir, hidden):
    root = hub_readable_by_all(shared_dir, "acme/emb/1", "lab/tiny/1")
    os.chmod(root / hidden, 0o700)  # root's: the user nobody may not list it.
    models, warnings = run_as_user(_scan_as_nobody, str(root)).result()
    assert "acme/emb" not in models
    assert ("lab/tiny" in models) == (hidden != "assets/docs")
    named = [text for text in warnings if str(root / hidden) in text]
    assert len(named) == 1, warnings
    assert "may not read" in named[0] and f"chmod a+rX {root / hidden}" in named[0], named


def test_a_readable_hub_scans_without_a_warning(shared_dir):
    root = hub_readable_by_all(shared_dir, "acme/emb/1", "lab/tiny/1")
    models, warnings = run_as_user(_scan_as_nobody, str(root)).result()
    assert models == ["acme/emb", "lab/tiny"] and warnings == []

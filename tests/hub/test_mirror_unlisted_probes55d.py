"""Defect 3 of session 55: `tfhub mirror ROOT --from-docs` of a hub with a docs folder the
user mirroring may not list warned in the server's words ("Left out the docs below X (not
served): this process's user may not read it; let it: 'chmod a+rX X'") and exited 0 when all
else was mirrored. The folder is now a failure of the mirror (exit 1), saying its docs were
not mirrored and what the one mirroring can do."""

from __future__ import annotations

import logging
import os

from tests._helpers.cache_users import run_as_user
from tests._helpers.hub_server import hub_readable_by_all

from tfhub.hub.mirror import mirror_doc_assets


def _mirror_as_nobody(root: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(the failures, the warnings) of `mirror_doc_assets(root)`, in this (forked) process."""
    said: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                said.append(record.getMessage())

    logging.getLogger("tfhub").addHandler(Collect())
    return mirror_doc_assets(root).failed, said


def test_a_docs_folder_the_mirroring_user_may_not_list_fails_the_mirror(shared_dir):
    root = hub_readable_by_all(shared_dir, "acme/emb/1")
    for folder, _, _ in os.walk(root):
        os.chmod(folder, 0o777)  # The user nobody may write the hub: only acme/ is hidden.
    os.chmod(root / "assets/docs/acme", 0o700)
    failed, warnings = run_as_user(_mirror_as_nobody, str(root)).result()
    assert not [text for text in warnings if "not served" in text], warnings
    assert [path for path, _ in failed] == ["assets/docs/acme"], failed
    message = failed[0][1]
    assert "the docs below it were not mirrored" in message, message
    assert "this user (nobody) may not list it" in message, message
    assert f"'chmod a+rX {root / 'assets/docs/acme'}'" in message, message
    assert "tfhub mirror" in message and "server" not in message, message

"""rf54c-F5: `tfhub serve ROOT` for a ROOT the server's user may not enter (another user's 0700
folder) ended `tfhub: OS error: [Errno 13] Permission denied: 'ROOT/assets/docs'` (a raw
PermissionError from the check for an empty hub), and a rescan after `chmod 000 ROOT` swapped in
an empty catalog. It is now the ROOT check's error, naming ROOT and the fix, so a rescan keeps
the previous scan."""

from __future__ import annotations

import os

from tests._helpers.cache_users import run_as_user
from tests._helpers.hub_server import hub_readable_by_all

from tfhub import errors
from tfhub.hub import settings


def _check_as_nobody(root: str) -> str:
    """What `check_root` says of `root`, run in this (forked) process."""
    try:
        settings.check_root(settings.ServeSettings(root))
    except errors.ServeConfigError as err:
        return f"ServeConfigError({err.option}): {err}"
    return "ok"


def test_a_root_the_server_may_not_enter_is_a_serve_config_error(shared_dir):
    root = hub_readable_by_all(shared_dir, "acme/emb/1")
    assert run_as_user(_check_as_nobody, str(root)).result() == "ok"
    os.chmod(root, 0o700)  # root's: the user nobody may not enter it.
    said = run_as_user(_check_as_nobody, str(root)).result()
    assert said.startswith("ServeConfigError(ROOT): Cannot serve"), said
    assert "may not read" in said and f"chmod a+rX {root}" in said, said


def test_a_docs_folder_the_server_may_not_list_is_a_serve_config_error(shared_dir):
    root = hub_readable_by_all(shared_dir, "acme/emb/1")
    os.chmod(root / "assets" / "docs", 0o700)
    said = run_as_user(_check_as_nobody, str(root)).result()
    assert said.startswith("ServeConfigError(ROOT): Cannot serve"), said
    assert f"chmod a+rX {root / 'assets' / 'docs'}" in said, said


def test_a_root_without_docs_is_still_served_empty(shared_dir):
    root = shared_dir / "new-hub"
    root.mkdir(mode=0o755)
    assert run_as_user(_check_as_nobody, str(root)).result() == "ok"

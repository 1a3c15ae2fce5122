"""What a damaged cache entry's messages say, in words that read once.

- The offline error for an entry whose manifest is gone nested parentheses: "(its manifest is
  missing or corrupt (written by tfhub, which always writes one))".
- A `<sha1>.manifest.json` that is a folder: every resolve downloaded the model again, then
  failed with "[Errno 21] ... Is a directory. Check the folder's permissions" (the download is
  still made: refusing before it needs a check in `download.py`); it now says what stands
  there and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer

import tfhub as hub
from tfhub import errors
from tfhub.cache import layout
from tfhub.cli.main import main


def _nesting(text: str) -> int:
    """How deep parentheses nest in `text` (1: none inside another)."""
    depth = deepest = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    return deepest


@pytest.fixture
def cached(
    server: LocalServer, served_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    """(handle, entry folder) of a model resolved into a fresh cache from the real server."""
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    handle = server.url("m.tar.gz")
    return handle, hub.resolve(handle)


def test_the_offline_error_for_a_missing_manifest_nests_no_parentheses(
    cached: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    handle, folder = cached
    os.remove(layout.manifest_path(folder))
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    with pytest.raises(errors.OfflineModeError) as caught:
        hub.resolve(handle)
    message = str(caught.value)
    assert "manifest is missing or corrupt: tfhub wrote this entry and always" in message, message
    assert _nesting(message) == 1, message


def test_a_folder_where_the_manifest_goes_is_said_so(
    cached: tuple[str, str], server: LocalServer
) -> None:
    handle, folder = cached
    manifest = layout.manifest_path(folder)
    os.remove(manifest)
    os.mkdir(manifest)
    with pytest.raises(errors.CacheError) as caught:
        hub.resolve(handle)
    message = str(caught.value)
    name = os.path.basename(folder)
    assert f"A folder stands at {manifest}, where this file goes" in message, message
    assert f"remove that folder, or the whole entry with `tfhub cache rm {name}`" in message
    assert "permissions" not in message, message
    # What it says to do works: the entry and that folder go, and the next resolve installs.
    assert main(["cache", "rm", name]) == 0
    assert not os.path.lexists(manifest)
    assert os.path.isfile(os.path.join(hub.resolve(handle), "saved_model.pb"))

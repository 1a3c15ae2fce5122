"""The answers to a failed pack (hub/archive_answers.pack_failed), called directly: a model
folder whose path holds a backslash (every Windows path) crashed the handler (its path was
used as a `re.sub` template: "bad escape"), and a file of the CACHE folder gone while the
archive was written (a /tmp cleaner) was answered 404 "its model folder changed" (review47d
H1, M3)."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from tfhub.hub import archive_answers
from tfhub.utils.warn_once import WarnedOnce


def test_a_backslash_in_the_model_folder_s_path_is_shown_as_it_is(monkeypatch, caplog):
    monkeypatch.setattr(archive_answers, "UNPACKABLE", WarnedOnce())
    folder = Path("/srv/hub\\q/assets/docs/acme/models/x/1")
    err = OSError(errno.ENOENT, "No such file or directory", "/proc/self/fd/7/variables/v.index")
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.archive_answers"):
        answer = archive_answers.pack_failed(folder, err, "acme/x/1")
    assert answer.status_code == 404
    assert f"{folder}/variables/v.index" in caplog.text


def test_a_file_of_the_cache_folder_gone_is_a_server_fault_not_the_model_s(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(archive_answers, "UNPACKABLE", WarnedOnce())
    cache = tmp_path / "cache"
    err = OSError(errno.ENOENT, "No such file or directory", str(cache / "ab12.tar.gz.part"))
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.archive_answers"):
        answer = archive_answers.pack_failed(
            tmp_path / "hub" / "1", err, "acme/x/1", cache_dir=str(cache)
        )
    assert answer.status_code == 500
    assert "changed while it was packed" not in caplog.text
    assert f"the cache folder {cache}" in caplog.text


def test_a_cache_folder_refused_after_start_is_a_500_not_a_missing_model(tmp_path, caplog):
    """review47d M2: when the cache folder fails its check before a pack (made writable by
    others since the start, say), every folder version answered "404 ... has no model files
    in this hub", which clients take for a model that does not exist."""
    from tests._helpers.asgi import asgi_request
    from tests._helpers.hub_server import write_model_doc, write_model_folder

    from tfhub.hub.app import create_app
    from tfhub.hub.settings import ServeSettings

    root, cache = tmp_path / "hub", tmp_path / "cache"
    write_model_folder(write_model_doc(root, "acme/fold/1"))
    app = create_app(ServeSettings(root=str(root), cache_dir=str(cache), rescan_seconds=0))
    cache.mkdir(mode=0o700)
    cache.chmod(0o777)  # Others may now plant archives in it: refused.
    with caplog.at_level(logging.ERROR, logger="tfhub.hub.archive_answers"):
        status, body = asgi_request(app, "GET", b"/acme/fold/1", b"tf-hub-format=compressed")
    assert status == 500, body
    assert b"cache folder" in body
    assert str(cache) in caplog.text

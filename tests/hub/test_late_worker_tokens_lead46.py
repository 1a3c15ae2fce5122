"""A worker of `tfhub serve` that starts after the token file was emptied (the parent checked it
at start; granian starts workers one by one, late on a busy machine): its `create_app` raised
"holds no token", the worker died and granian stopped the whole server (a full test run on a
loaded machine failed on it). Such a worker refuses every token, with a warning, as a running
worker does; a server started with an empty file is still refused at start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_publisher

from tfhub import errors
from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings


def _settings(tmp_path: Path) -> ServeSettings:
    root = tmp_path / "root"
    write_publisher(root, "test", "Test")
    write_model_doc(root, "test/one/1")
    tokens = tmp_path / "tokens"
    tokens.write_text("# every token revoked\n")
    return ServeSettings(str(root), token_file=str(tokens), cache_dir=str(tmp_path / "cache"))


def test_a_worker_started_after_the_token_file_was_emptied_refuses_every_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path)
    caplog.set_level(logging.WARNING, logger="tfhub.hub.settings")
    app = create_app(settings, started=True)
    headers = {"Authorization": "Bearer kept-token"}
    status, _ = asgi_request(app, "GET", b"/api/models", headers=headers)
    assert status == 403
    assert "holds no token" in caplog.text and "Every token is refused" in caplog.text
    Path(settings.token_file or "").write_text("kept-token\n")
    assert asgi_request(app, "GET", b"/api/models", headers=headers)[0] == 200


def test_a_server_started_with_an_empty_token_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errors.ServeConfigError, match="holds no token"):
        create_app(_settings(tmp_path))

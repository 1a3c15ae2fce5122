"""hub.runner.BackgroundServer: a server that cannot start says why, at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests._helpers.hub_server import write_publisher

from tfhub import errors
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings


def test_a_server_whose_thread_dies_says_so_at_once_with_the_reason(tmp_path: Path) -> None:
    """Its thread ended (here: its socket was closed under it): the error names that and the
    reason, without waiting for the timeout ("did not start within 10 s" said otherwise)."""
    write_publisher(tmp_path, "acme", "Acme")
    settings = ServeSettings(root=str(tmp_path), cache_dir=str(tmp_path / "c"), rescan_seconds=0)
    server = BackgroundServer(settings)
    server._socket.close()  # What a server whose socket went away meets (uvicorn raises).
    started = time.monotonic()
    with pytest.raises(errors.TFHubError) as raised:
        server.start(timeout=30)
    assert time.monotonic() - started < 10
    message = str(raised.value)
    assert "stopped while starting" in message and server.url() in message, message
    assert "within" not in message and "OSError" in message, message


def test_a_started_server_serves_and_stops(tmp_path: Path) -> None:
    import requests

    write_publisher(tmp_path, "acme", "Acme")
    settings = ServeSettings(root=str(tmp_path), cache_dir=str(tmp_path / "c"), rescan_seconds=0)
    with BackgroundServer(settings) as server:
        assert requests.get(server.url("api/models"), timeout=10).status_code == 200

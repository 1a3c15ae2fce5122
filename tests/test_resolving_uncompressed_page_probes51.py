"""TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED and a server answering 200 with a web page (a model's
page, a login or captive-portal page): the error says it sent a page, not that it "sent the model
itself" (rf51c-F4). A real server on 127.0.0.1."""

from __future__ import annotations

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import answer_html

import tfhub as hub
from tfhub import errors


@pytest.fixture(autouse=True)
def _uncompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")


def test_a_web_page_is_named_as_such(server):
    server.state.behaviours.append(answer_html("/models/m/1"))
    with pytest.raises(errors.InvalidHandleError) as caught:
        hub.resolve(server.url("models/m/1"))
    message = str(caught.value)
    assert message.startswith("Expected 303 See other HTTP response but received code 200")
    assert "sent the model itself" not in message, message
    assert "sent a web page (text/html)" in message
    assert "Check the handle" in message  # What to do.
    assert isinstance(caught.value, ValueError)  # Upstream's ValueError.


def test_an_archive_is_still_the_model_itself(server, served_dir):
    make_tar_gz(served_dir / "m.tar.gz")
    with pytest.raises(errors.InvalidHandleError, match="The server sent the model itself"):
        hub.resolve(server.url("m.tar.gz"))

"""A 303 (no Location) whose text starts "gs://" under the compressed format (review of
3525f4ad): any such text was called the gs:// folder of the uncompressed format, so free text
("gs://b/m is gone; download https://evil/...") was recommended as the handle, a bare "gs://"
too, and a gs:// archive was told UNCOMPRESSED while a redirect to one is told to use it as the
handle. Now only a plain gs:// folder, by the uncompressed resolver's own check
(`urls.is_gcs_location`), is told so; a gs:// archive is told to use it as the handle; anything
else is quoted. Real local server.
"""

from __future__ import annotations

import pytest
from tests._helpers.http_server import answer_body

import tfhub as hub
from tfhub import errors


def _refused(server, text: bytes) -> str:
    server.state.behaviours.append(answer_body("/m/1", 303, "text/plain", text))
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("/m/1"))
    return str(info.value)


@pytest.mark.parametrize(
    "text",
    [b"gs://b/m is gone; download https://evil.example/m.tar.gz\n", b"gs://\n", b"gs://B/m\n"],
    ids=["free-text", "bare", "bad-bucket"],
)
def test_a_303_text_that_is_no_gcs_folder_is_quoted_not_recommended(server, text) -> None:
    message = _refused(server, text)
    shown = text.decode().strip()
    assert f'The server says: "{shown}."' in message, message
    assert "UNCOMPRESSED" not in message and "as the handle" not in message, message
    assert "gs:// folder" not in message, message


def test_a_303_text_naming_a_gcs_archive_says_to_use_it_as_the_handle(server) -> None:
    message = _refused(server, b"gs://bucket/models/m.tar.gz\n")
    assert "gs://bucket/models/m.tar.gz: tfhub reads gs:// archives, use it as the handle" in (
        message
    ), message
    assert "UNCOMPRESSED" not in message and "folder" not in message, message


def test_a_303_text_naming_a_gcs_folder_still_says_uncompressed(server) -> None:
    message = _refused(server, "gs://bucket/modèles/1\n".encode())
    assert "names the gs:// folder gs://bucket/modèles/1 as" in message, message
    assert "set TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED" in message, message

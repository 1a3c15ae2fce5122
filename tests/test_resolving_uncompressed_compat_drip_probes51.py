"""`uncompressed_module_resolver.HttpUncompressedFileResolver._call_urlopen`, which upstream's
`_request_gcs_location` calls (a subclass written for tensorflow_hub keeps that body), against a
server dripping its 303 body a byte at a time within TFHUB_HTTP_TIMEOUT: it was read until 4 KB
had come, however slowly (rf51c-F6). A real server on 127.0.0.1."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import pytest
from tests._helpers.http_server import drip_body, see_other

from tfhub import errors
from tfhub import uncompressed_module_resolver as umr


class _Upstreamish(umr.HttpUncompressedFileResolver):
    """`_request_gcs_location` as tensorflow_hub 0.10 wrote it."""

    def _request_gcs_location(self, handle_with_params: str, **_: Any) -> str:
        gcs_location = self._call_urlopen(urllib.request.Request(handle_with_params))
        if not gcs_location.startswith("gs://"):
            raise ValueError(
                f"Expected server to return a GCS location but received {gcs_location}"
            )
        return gcs_location


@pytest.fixture(autouse=True)
def _short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")


def test_a_dripping_303_body_is_cut(server: Any) -> None:
    server.state.behaviours.append(drip_body("/m", 303, {"Location": "gs://b/m"}, length=4000))
    url = server.url("m") + "?tf-hub-format=uncompressed"
    started = time.monotonic()
    with pytest.raises(errors.DownloadTooSlowError) as caught:
        _Upstreamish()._request_gcs_location(url)
    assert time.monotonic() - started < 8
    assert server.url("m") in str(caught.value)


def test_a_303_body_sent_at_once_is_the_location(server: Any) -> None:
    server.state.behaviours.append(see_other("/m", "gs://bucket/m", body=b"gs://bucket/m"))
    url = server.url("m") + "?tf-hub-format=uncompressed"
    assert _Upstreamish()._request_gcs_location(url) == "gs://bucket/m"

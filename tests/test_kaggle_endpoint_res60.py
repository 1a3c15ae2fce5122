"""TFHUB_KAGGLE_ENDPOINT and Kaggle model URLs that are not a model version (res60).

The setting promises that Kaggle models are downloaded from the mirror it names. A Kaggle model
URL without its version (`.../models/OWNER/MODEL/FRAMEWORK/VARIATION`, as a model's page is
linked) was fetched from www.kaggle.com itself, past the mirror: on a machine that reaches only
the mirror, a DNS error naming www.kaggle.com.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer, serve_folder

_VERSIONLESS = "https://www.kaggle.com/models/acme/emb/tensorFlow2/small"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A local server holding the archive a mirror serves for the versionless URL's path."""
    root = tmp_path_factory.mktemp("kaggle_mirror")
    folder = root / "models" / "acme" / "emb" / "tensorFlow2"
    folder.mkdir(parents=True)
    make_tar_gz(folder / "small.tar.gz")
    with serve_folder(str(root)) as server:
        yield server


def _gets_since(server: LocalServer, start: int) -> list[str]:
    with server.state.lock:
        return [path for _, path, _ in server.state.requests[start:]]


def test_a_versionless_kaggle_url_is_fetched_from_the_mirror(
    mirror: LocalServer, monkeypatch: pytest.MonkeyPatch, isolated_cache: Path
) -> None:
    import tfhub as hub

    monkeypatch.setenv("TFHUB_KAGGLE_ENDPOINT", mirror.url("").rstrip("/"))
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    start = len(mirror.state.requests)
    path = hub.resolve(_VERSIONLESS)
    assert _gets_since(mirror, start) == [
        "/models/acme/emb/tensorFlow2/small?tf-hub-format=compressed"
    ]
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    # Keyed by the URL as written (the latest version is whatever the hub has): not the mirror.
    assert path.startswith(str(isolated_cache))


def test_a_versionless_kaggle_url_asks_the_mirror_for_its_location_too(
    mirror: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tfhub as hub
    from tfhub import errors

    monkeypatch.setenv("TFHUB_KAGGLE_ENDPOINT", mirror.url("").rstrip("/"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    start = len(mirror.state.requests)
    with pytest.raises(errors.TFHubError):  # The plain folder server has no 303 to send.
        hub.resolve(_VERSIONLESS + "?tfhub-redirect=true")
    assert _gets_since(mirror, start) == [
        "/models/acme/emb/tensorFlow2/small?tfhub-redirect=true&tf-hub-format=uncompressed"
    ]


def test_without_the_setting_a_versionless_kaggle_url_is_fetched_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tfhub import handles

    monkeypatch.delenv("TFHUB_KAGGLE_ENDPOINT", raising=False)
    url = "https://kaggle.com/models/acme/emb/tensorFlow2/small"
    assert handles.parse(url).download_url() == url + "?tf-hub-format=compressed"

"""Review findings on TFHUB_KAGGLE_ENDPOINT for Kaggle URLs that are not a model version (rvfix60b).

1. A `.`/`..` part below `https://www.kaggle.com/models/` was sent to the mirror as written
   (`https://mirror/pre/fix/models/../../etc/passwd`): HTTP clients resolve the dots, so the
   request left the mirror's prefix. docs/resolving.md promises such a part is refused.
2. A signed versionless Kaggle URL went to www.kaggle.com when compressed but to the mirror when
   uncompressed: a signed URL is never rewritten (its signature is for its own host).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.http_server import LocalServer, serve_folder

_SIGNED = (
    "https://www.kaggle.com/models/acme/emb/tensorFlow2/small"
    "?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=abc123"
)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A local server standing for the mirror (empty: nothing should be asked of it)."""
    with serve_folder(str(tmp_path_factory.mktemp("kaggle_mirror_rvfix60b"))) as server:
        yield server


@pytest.mark.parametrize("load_format", ["COMPRESSED", "UNCOMPRESSED"])
@pytest.mark.parametrize(
    "path",
    ["models/../../etc/passwd", "models/acme/./emb/x", "models/acme/%2e%2E/secret"],
)
def test_a_dot_part_below_kaggle_models_is_refused_not_sent_to_the_mirror(
    mirror: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    isolated_cache: Path,
    load_format: str,
    path: str,
) -> None:
    import tfhub as hub
    from tfhub import errors

    monkeypatch.setenv("TFHUB_KAGGLE_ENDPOINT", mirror.url("pre/fix/"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    start = len(mirror.state.requests)
    with pytest.raises(errors.InvalidHandleError, match=r"cannot be '\.\.?'"):
        hub.resolve(f"https://www.kaggle.com/{path}")
    assert mirror.state.requests[start:] == []


def test_a_dot_part_is_refused_without_the_setting_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """As docs/resolving.md says of every Kaggle URL (no request is made: download_url)."""
    from tfhub import errors, handles

    monkeypatch.delenv("TFHUB_KAGGLE_ENDPOINT", raising=False)
    with pytest.raises(errors.InvalidHandleError):
        handles.parse("https://kaggle.com/models/acme/../x").download_url()


def test_a_signed_versionless_kaggle_url_is_asked_at_its_own_host_in_both_formats(
    mirror: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfhub import handles
    from tfhub.resolvers.http_uncompressed import HttpUncompressedResolver

    monkeypatch.setenv("TFHUB_KAGGLE_ENDPOINT", mirror.url("").rstrip("/"))
    assert handles.parse(_SIGNED).download_url() == _SIGNED
    asked = HttpUncompressedResolver()._format_url(_SIGNED)
    assert asked.startswith(_SIGNED.split("?")[0] + "?"), asked


def test_an_unsigned_versionless_kaggle_url_still_goes_to_the_mirror_in_both_formats(
    mirror: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfhub import handles
    from tfhub.resolvers.http_uncompressed import HttpUncompressedResolver

    base = mirror.url("").rstrip("/")
    monkeypatch.setenv("TFHUB_KAGGLE_ENDPOINT", base)
    url = _SIGNED.split("?")[0]
    path = "/models/acme/emb/tensorFlow2/small"
    assert handles.parse(url).download_url() == f"{base}{path}?tf-hub-format=compressed"
    asked = HttpUncompressedResolver()._format_url(url)
    assert asked == f"{base}{path}?tf-hub-format=uncompressed"

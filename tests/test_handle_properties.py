"""Handles, cache keys and redaction on inputs Hypothesis makes: any text is a handle or a
tfhub error; a plain URL's cache folder is tensorflow_hub's; every signature of one object
shares one key; secrets never survive `redact`."""

from __future__ import annotations

import hashlib
import string
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._helpers.properties import property_settings

from tfhub import errors, handles
from tfhub.utils.redact import redact

_SETTINGS = property_settings(300)

_HOST = st.from_regex(r"[a-z][a-z0-9\-]{0,15}(\.[a-z][a-z0-9\-]{0,10}){0,3}", fullmatch=True)
_PORT = st.one_of(st.just(""), st.integers(1, 65535).map(lambda port: f":{port}"))
_SEGMENT = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + "-._~%!$'()*+,;:@éжτ日 "),
    min_size=1,
    max_size=20,
)
# Query parameters that are not a signature's: the object's name, version, format, ...
_PLAIN_PARAMETER = st.tuples(
    st.sampled_from(["versionId", "tf-hub-format", "alt", "generation", "v", "name"]),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.%", max_size=12),
)
_PLAIN_URL = st.builds(
    lambda scheme, host, port, segments, query: (
        f"{scheme}://{host}{port}/{'/'.join(segments)}"
        + ("?" + "&".join(f"{name}={value}" for name, value in query) if query else "")
    ),
    st.sampled_from(["http", "https"]),
    _HOST,
    _PORT,
    st.lists(_SEGMENT, min_size=1, max_size=5),
    st.lists(_PLAIN_PARAMETER, max_size=3),
).filter(lambda url: url == url.strip())  # Spaces around a URL are refused (tested elsewhere).


@_SETTINGS
@given(text=st.text(max_size=80))
def test_any_text_is_a_handle_or_a_tfhub_error(text):
    try:
        parsed = handles.parse(text)
    except errors.TFHubError as err:
        assert isinstance(err, ValueError | RuntimeError) and str(err)
        return
    assert handles.cache_handle(text, parsed) == handles.cache_handle(text)


@_SETTINGS
@given(url=_PLAIN_URL)
def test_a_plain_urls_cache_folder_is_tensorflow_hubs(url):
    """tensorflow_hub names the folder sha1(handle) (`compressed_module_resolver._module_dir`):
    the same folder, so each library finds what the other downloaded."""
    if handles.parse_kaggle(url) is not None:
        return  # Kaggle URLs have a canonical key of their own.
    assert handles.cache_key(handles.cache_handle(url)) == hashlib.sha1(url.encode()).hexdigest()


@pytest.mark.tf
def test_the_folder_name_is_the_one_tensorflow_hub_computes(tmp_path, monkeypatch):
    """The sha1 above is tensorflow_hub 0.16.1's own computation, checked on a few URLs."""
    compressed = pytest.importorskip("tensorflow_hub.compressed_module_resolver")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    for url in [
        "https://hub.example/m/1.tar.gz",
        "http://10.0.0.1:8080/a%20b/é/model.tgz?versionId=3",
        "https://h.example/x/y;z/~m!.tar.gz",
    ]:
        folder = Path(compressed._module_dir(url)).name
        assert folder == handles.cache_key(handles.cache_handle(url))


_SIGNING = st.lists(
    st.tuples(
        st.sampled_from(
            ["X-Amz-Signature", "X-Amz-Date", "X-Amz-Credential", "X-Goog-Signature", "sig", "se"]
        ),
        st.text(alphabet=string.ascii_letters + string.digits + "%/+", min_size=1, max_size=16),
    ),
    min_size=1,
    max_size=4,
).filter(
    lambda pairs: any(name in ("X-Amz-Signature", "X-Goog-Signature", "sig") for name, _ in pairs)
)


@_SETTINGS
@given(url=_PLAIN_URL, first=_SIGNING, second=_SIGNING)
def test_every_signature_of_one_object_shares_its_key(url, first, second):
    def signed(pairs):
        joiner = "&" if "?" in url else "?"
        return url + joiner + "&".join(f"{name}={value}" for name, value in pairs)

    one, other = handles.cache_handle(signed(first)), handles.cache_handle(signed(second))
    assert one == other == handles.unsigned_url(one)
    kept = [pair.partition("=")[0] for pair in urllib.parse.urlsplit(one).query.split("&")]
    assert not {name for name, _ in first + second} & set(kept)


_SECRET = st.from_regex(r"S3CR3T[A-Za-z0-9]{4,12}", fullmatch=True)


@_SETTINGS
@given(
    url=_PLAIN_URL,
    user=st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    password=_SECRET,
    token_only=st.booleans(),
    token=_SECRET,
    parameter=st.sampled_from(["X-Amz-Signature", "sig", "token", "access_token", "key"]),
    upper=st.booleans(),
    then=st.sampled_from(["", "&v=1", "#part"]),
    before=st.text(max_size=20),
    after=st.sampled_from(["", "'", '"', "`", " and more", ")."]),
)
def test_redact_removes_every_secret(
    url, user, password, token_only, token, parameter, upper, then, before, after
):
    """A password (or a token as the user name) and a secret query parameter, in any text."""
    scheme, rest = url.split("://", 1)
    userinfo = password if token_only else f"{user}:{password}"
    name = parameter.upper() if upper else parameter
    joiner = "&" if "?" in rest else "?"
    with_secrets = f"{scheme}://{userinfo}@{rest}{joiner}{name}={token}{then}"
    shown = redact(f"{before}{with_secrets}{after}")
    assert password not in shown and token not in shown
    assert redact(shown) == shown

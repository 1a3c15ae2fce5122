"""Handles: parsing, canonical forms, cache keys, format queries."""

from __future__ import annotations

import hashlib
import json

import pytest

from tfhub import constants, errors, handles


def test_cache_key_is_sha1_of_handle_as_upstream(upstream_dir):
    record = json.loads((upstream_dir / "cache_0.15.json").read_text())
    for entry in record["entries"]:
        assert handles.cache_key(entry["handle"]) == entry["sha1_of_handle"]
    assert handles.cache_key("x") == hashlib.sha1(b"x").hexdigest()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/m/1", "https://h/m/1?tf-hub-format=compressed"),
        ("https://h/m/1?a=b", "https://h/m/1?a=b&tf-hub-format=compressed"),
        ("https://h/m.tar.gz?x=1&y=2", "https://h/m.tar.gz?x=1&y=2&tf-hub-format=compressed"),
        # Kept as written: upstream dropped parameters without a value and re-encoded others.
        ("https://h/m?raw", "https://h/m?raw&tf-hub-format=compressed"),
        ("https://h/m?a=&b=1&", "https://h/m?a=&b=1&tf-hub-format=compressed"),
        ("https://h/m?p=a/b&q=x%20y#f", "https://h/m?p=a/b&q=x%20y&tf-hub-format=compressed#f"),
        ("https://h/m?", "https://h/m?tf-hub-format=compressed"),
    ],
)
def test_compressed_query_is_merged(url, expected):
    assert handles.append_format_query(url, handles.COMPRESSED_FORMAT_QUERY) == expected


def test_kaggle_short_and_long_forms_share_one_key(monkeypatch):
    monkeypatch.delenv(constants.TFHUB_KAGGLE_ENDPOINT, raising=False)
    short = "https://www.kaggle.com/models/google/bert/TensorFlow2/en-uncased/3"
    long_ = (
        "https://www.kaggle.com/models/google/bert/frameworks/TensorFlow2/"
        "variations/en-uncased/versions/3"
    )
    a, b = handles.parse(short), handles.parse(long_)
    assert isinstance(a, handles.KaggleModel) and a == b
    canonical = "https://www.kaggle.com/models/google/bert/tensorFlow2/en-uncased/3"
    assert str(a) == canonical  # The framework spelled as Kaggle's model pages spell it.
    assert handles.cache_handle(long_) == canonical
    assert a.download_url() == long_ + "?tf-hub-format=compressed"
    assert (a.owner, a.model, a.framework, a.variation, a.version) == (
        "google",
        "bert",
        "TensorFlow2",
        "en-uncased",
        3,
    )


def test_non_version_kaggle_urls_are_plain_http():
    parsed = handles.parse("https://www.kaggle.com/models/google/bert")
    assert isinstance(parsed, handles.HttpModel)


def test_google_cn_maps_to_its_gcs_mirror():
    parsed = handles.parse("https://hub.tensorflow.google.cn/google/nnlm-en-dim128/2")
    assert parsed.download_url() == (
        "https://gcs.tensorflow.google.cn/tfhub-modules/google/nnlm-en-dim128/2.tar.gz"
    )


def test_plain_http_download_url_adds_query():
    parsed = handles.parse("http://127.0.0.1:1/m.tar.gz")
    assert parsed.download_url() == "http://127.0.0.1:1/m.tar.gz?tf-hub-format=compressed"


@pytest.mark.parametrize(
    "url",
    [
        "https://b.s3.amazonaws.com/m.tar.gz?X-Amz-Credential=A%2Fb&X-Amz-Signature=9f~x",
        "https://storage.googleapis.com/b/m.tgz?X-Goog-Algorithm=GOOG4&x-goog-signature=ab",
        "https://b.s3.amazonaws.com/m.tar.gz?AWSAccessKeyId=A&Expires=1&Signature=a%2Bb%3D",
        "https://a.blob.core.windows.net/c/m.tar.gz?sv=2024&se=&sp=r&sig=Ab%2Bc",
    ],
)
def test_a_signed_url_is_downloaded_as_given(url):
    """Its signature covers the query: `tf-hub-format` added (upstream did) or the query
    re-encoded (an empty `se=` dropped) would make the store answer 403."""
    assert handles.is_signed_url(url)
    assert handles.parse(url).download_url() == url
    assert not handles.is_signed_url("https://h/m.tar.gz?signatures=1&design=2")


def test_file_urls_and_paths(tmp_path):
    assert handles.parse(f"file://{tmp_path}") == handles.LocalPath(str(tmp_path))
    assert handles.parse(str(tmp_path)) == handles.LocalPath(str(tmp_path))
    assert handles.parse("gs://b/m.tar.gz").is_archive
    assert not handles.parse("gs://b/m").is_archive
    with pytest.raises(errors.InvalidHandleError, match="file:///abs/path"):
        handles.parse("file://remotehost/x")


@pytest.mark.parametrize("bad", ["", None, 3])
def test_invalid_handles(bad):
    with pytest.raises(errors.InvalidHandleError, match="Received: handle="):
        handles.parse(bad)


@pytest.mark.parametrize(
    "url",
    [
        # tfhub.dev redirects here (capital T, and a query).
        "https://www.kaggle.com/models/google/bert/frameworks/TensorFlow2/variations/en/versions/3"
        "?tfhub-redirect=true",
        # Kaggle's model page (lower-camel framework).
        "https://www.kaggle.com/models/google/bert/tensorFlow2/en/3",
        "https://kaggle.com/models/google/bert/frameworks/tensorflow2/variations/en/versions/3/",
        "https://WWW.Kaggle.com:443/models/google/bert/TENSORFLOW2/en/3",
    ],
)
def test_kaggle_spellings_share_one_key(url):
    assert handles.cache_handle(url) == "https://www.kaggle.com/models/google/bert/tensorFlow2/en/3"


def test_kaggle_download_keeps_the_framework_as_written(monkeypatch):
    monkeypatch.delenv(constants.TFHUB_KAGGLE_ENDPOINT, raising=False)
    parsed = handles.parse(
        "https://www.kaggle.com/models/o/m/frameworks/TensorFlow2/variations/v/versions/1"
    )
    assert parsed.download_url() == (
        "https://www.kaggle.com/models/o/m/frameworks/TensorFlow2/variations/v/versions/1"
        "?tf-hub-format=compressed"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.kaggle.com:8443/models/o/m/tensorFlow2/v/1",  # Another port: another server.
        "https://user@www.kaggle.com/models/o/m/tensorFlow2/v/1",
        "https://www.kaggle.com.evil.example/models/o/m/tensorFlow2/v/1",
    ],
)
def test_lookalike_kaggle_urls_are_plain_http(url):
    assert isinstance(handles.parse(url), handles.HttpModel)


# --- Hostile and mistyped handles (issue 10, items 3, 4, 14) -------------------------------------


@pytest.mark.parametrize(
    "handle",
    [
        "https://h/m\nDownload Time: 1999-01-01",
        "https://h/m\r",
        "/models/a\x00b",
        "https://h/m\u2028x",
        " http://h/m.tar.gz",
        "https://h/m.tar.gz\t",
    ],
)
def test_control_characters_and_spaced_urls_are_refused(handle):
    with pytest.raises(errors.InvalidHandleError):
        handles.parse(handle)


@pytest.mark.parametrize(
    ("handle", "meant"),
    [
        ("/models/m/1\n", "/models/m/1"),  # `open("handle.txt").read()`, `$(cat ...)` in Python.
        ("https://user:secret@h/m.tar.gz\r\n", "https://***@h/m.tar.gz"),
        ("\tgs://bucket/m", "gs://bucket/m"),
    ],
)
def test_a_line_ending_around_a_handle_offers_it_stripped(handle, meant):
    with pytest.raises(errors.InvalidHandleError) as caught:
        handles.check(handle)
    message = str(caught.value)
    assert f"strip it (handle.strip()). Did you mean {meant!r}?" in message
    assert "secret" not in message


def test_control_characters_inside_a_handle_offer_nothing():
    with pytest.raises(errors.InvalidHandleError) as caught:
        handles.check("https://h/m\nDownload Time: 1999-01-01\n")
    assert "Did you mean" not in str(caught.value)
    assert str(caught.value).startswith("A handle cannot hold control characters ('\\n'). ")


@pytest.mark.parametrize("handle", ["gs://", "GS://", "gs:///m.tar.gz"])
def test_a_gs_handle_without_a_bucket_is_invalid(handle):
    """It reached TensorFlow, whose InvalidArgumentError the CLI called "unexpected"."""
    with pytest.raises(errors.InvalidHandleError, match=r"gs://BUCKET/PATH"):
        handles.parse(handle)


@pytest.mark.parametrize("handle", ["/models/a\u00a0b", "/models/\u200bzero-width", "/é/ü"])
def test_unprintable_characters_that_break_no_line_are_accepted(handle):
    """A no-break space (Zs) or a zero-width space (Cf) is not printable, yet harmless."""
    assert handles.check(handle) == handle
    assert isinstance(handles.parse(handle), handles.LocalPath)


def test_schemes_are_case_insensitive_and_share_one_key():
    assert handles.parse("HTTP://h/m.tar.gz") == handles.parse("http://h/m.tar.gz")
    assert handles.cache_handle("HTTPS://h/m") == "https://h/m"
    assert handles.cache_handle("GS://b/m.tar.gz") == "gs://b/m.tar.gz"
    assert isinstance(handles.parse("File:///models/x"), handles.LocalPath)
    assert handles.unknown_scheme("htps://h/m") == "htps"
    assert handles.unknown_scheme("RAM://m") is None and handles.unknown_scheme("/a://b") is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/m.tar.gz", "https://:80/m", "http:///m"])
def test_unparseable_urls_are_invalid_handles(url):
    with pytest.raises(errors.InvalidHandleError, match="Received: handle="):
        handles.parse(url)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/m", True),
        ("http://127.8.9.10/m", True),
        ("http://[::1]:80/m", True),
        ("http://localhost/m", True),
        ("http://LOCALHOST./m", True),
        ("http://hub.localhost:9/m", True),
        ("http://10.0.0.1/m", False),
        ("https://localhost.example.com/m", False),
        ("http://[::1/m", False),  # Malformed: no answer, not an error.
    ],
)
def test_is_loopback_url(url, loopback):
    assert handles.is_loopback_url(url) is loopback


def test_redact_hides_userinfo_and_secret_query_parameters():
    from tfhub.utils.redact import redact

    assert redact("x https://u:p%40w@h:8/m?q=a@b y") == "x https://***@h:8/m?q=a@b y"
    assert redact("gs://b/m user@example.com") == "gs://b/m user@example.com"
    # Glued to a letter or digit (Hypothesis found it: the pattern began at a word boundary).
    assert redact("0https://u:pw@h/x,from=https://t@h") == "0https://***@h/x,from=https://***@h"
    presigned = (  # An S3 presigned URL, as `aws s3 presign` writes it, quoted in a message.
        "Received: handle='https://b.s3.amazonaws.com/m.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIA%2F20261202%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261202T"
        "&X-Amz-Expires=3600&X-Amz-Security-Token=IQoJb3Jp%2Bg&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=9f8e7d'"
    )
    assert redact(presigned) == (
        "Received: handle='https://b.s3.amazonaws.com/m.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=***&X-Amz-Date=20261202T&X-Amz-Expires=3600&X-Amz-Security-Token=***"
        "&X-Amz-SignedHeaders=host&X-Amz-Signature=***'"
    )
    assert redact("https://a.blob.core.windows.net/c/m.tgz?sv=2024&sp=r&sig=Ab%2Bc#x") == (
        "https://a.blob.core.windows.net/c/m.tgz?sv=2024&sp=r&sig=***#x"
    )
    assert redact("https://h/m?TOKEN=t1 and https://h/n?tf-hub-format=compressed&api_key=k") == (
        "https://h/m?TOKEN=*** and https://h/n?tf-hub-format=compressed&api_key=***"
    )
    # A handle quoted as code in a message kept its closing backtick.
    assert (
        redact("`tfhub pull https://h/m?token=t1` where")
        == "`tfhub pull https://h/m?token=***` where"
    )
    for kept in ("--num_trees=5 key=v", "https://h/m?keys=1&monkey=2", "https://h/m?token="):
        assert redact(kept) == kept


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://h.example:0/m/1", "names a port that is not a port number (1 to 65535)"),
        ("http://h.example:70000/m/1", "names a port that is not a port number (1 to 65535)"),
        ("https://:443/m/1", "names no host"),
        ("http://[::1/m/1", "cannot be parsed (Invalid IPv6 URL)"),
    ],
)
def test_an_http_handle_naming_no_server_is_refused_at_once(url, problem):
    """Port 0 was taken (nothing listens there: the download failed after its retries), as
    the hub's --base-url and TFHUB_KAGGLE_ENDPOINT refused it; one check answers for all."""
    with pytest.raises(errors.InvalidHandleError) as caught:
        handles.parse(url)
    assert str(caught.value) == f"The URL {problem}. Received: handle={url!r}"

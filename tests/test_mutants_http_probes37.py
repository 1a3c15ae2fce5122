"""Tests found by mutating the HTTP client's rules by hand (session 37): each kills a mutant that
every other test let live (a flipped comparison, a dropped check), or shows a defect the mutants
led to. Real servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import os
import time
import traceback

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import (
    answer_body,
    answer_status,
    archive_gets,
    delay,
    drop_mid_body,
    enable_tls,
    redirect_to,
    see_other,
    serve_folder,
)
from tests._helpers.raw_server import serve_raw

import tfhub as hub
from tfhub import errors


def _range_refused(suffix: str, *, times: int):
    """Answers the first `times` Range requests with 416 Range Not Satisfiable."""
    answered = []

    def behaviour(handler, path, query) -> bool:
        if not path.endswith(suffix) or not handler.headers.get("Range") or len(answered) >= times:
            return False
        answered.append(path)
        handler.send_error_page(416, "Range Not Satisfiable")
        return True

    return behaviour


def test_a_resume_answered_416_starts_the_download_over(server, served_dir, monkeypatch):
    """A 416 to a resume means the file is shorter now: the download starts over (not an
    HTTPStatusError for the 416)."""
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.01)
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours += [
        drop_mid_body("m.tar.gz", after=100, times=1),
        _range_refused("m.tar.gz", times=1),
    ]
    path = hub.resolve(server.url("m.tar.gz"))
    assert sorted(os.listdir(path)) == ["saved_model.pb", "variables"]
    gets = archive_gets(server, "m.tar.gz")
    assert [request[2].get("Range") for request in gets] == [None, "bytes=100-", None]


def test_a_redirected_download_that_receives_data_gets_the_full_timeout_again(
    server, served_dir, monkeypatch
):
    """A redirect starts a series against TFHUB_HTTP_RETRY_TIMEOUT; data arriving ends it, with
    its redirects: a healthy but slow download after a redirect is not cut at that limit."""
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1")
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", "0")
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours += [
        redirect_to("old/m.tar.gz", server.url("m.tar.gz")),
        delay("/m.tar.gz", 1.6, stall_after=100, times=1),  # Longer than the limit, once.
    ]
    path = hub.resolve(server.url("old/m.tar.gz"))
    assert sorted(os.listdir(path)) == ["saved_model.pb", "variables"]
    asked = [
        request[2].get("Range") for request in server.state.requests if request[1] == "/m.tar.gz"
    ]
    assert asked == [None]  # Never cut, never resumed.


@pytest.mark.parametrize(("size", "too_long"), [(4096, False), (4097, True)])
def test_a_303_body_one_byte_over_the_cap_is_told_from_one_at_it(
    server, monkeypatch, size, too_long
):
    """The 303's body is read up to MAX_LOCATION_BYTES plus one byte, to tell a longer one: read
    only up to the cap, a longer body passed cut to the cap."""
    from tfhub.resolvers.http_uncompressed import MAX_LOCATION_BYTES

    assert size - MAX_LOCATION_BYTES == int(too_long)
    server.state.behaviours.append(see_other("", "gs://bucket/m", body=b"x" * size))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    with pytest.raises(errors.InvalidHandleError) as info:
        hub.resolve(server.url("models/m/1"))
    assert ("more than 4096 bytes" in str(info.value)) is too_long


def test_a_303_body_quoting_the_token_does_not_show_it(server, monkeypatch):
    """A server echoing the request's Authorization into its 303 body (a bug, or a debugging
    page): the body is quoted in the error, which showed the token."""
    token = "tok-" + "S" * 40
    monkeypatch.setenv("TFHUB_TOKEN", token)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    server.state.behaviours.append(
        see_other("", "gs://bucket/m", body=f"Authorization: Bearer {token}".encode())
    )
    with pytest.raises(errors.InvalidHandleError) as info:
        hub.resolve(server.url("models/m/1"))
    assert "Bearer ***" in str(info.value)
    assert "SSSS" not in "".join(traceback.format_exception(info.value)) + repr(info.value)


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("identity", lambda tar: tar),
        ("x-gzip", gzip.compress),
    ],
    ids=["identity", "x-gzip"],
)
def test_each_content_encoding_tfhub_undoes_gives_the_archive(server, served_dir, encoding, encode):
    """`identity` is no encoding and `x-gzip` is gzip (deflate is
    tests/test_docs_claims_resolving_probes36.py's, gzip tests/test_download_encoding.py's)."""
    archive = make_tar_gz(served_dir / "source.tar", compression="")
    with open(archive, "rb") as stored:
        body = encode(stored.read())
    server.state.behaviours.append(
        answer_body("m.tar.gz", 200, "application/x-tar", body, {"Content-Encoding": encoding})
    )
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES


def test_a_server_that_closes_without_answering_is_a_drop_not_a_bad_answer(monkeypatch):
    """http.client's RemoteDisconnected is a BadStatusLine too: a connection closed before any
    answer is named as a drop, not as an answer that is not HTTP."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    listener, seen = serve_raw(b"")  # Reads the request, then closes.
    port = listener.getsockname()[1]
    try:
        with pytest.raises(errors.ConnectionFailedError) as info:
            hub.resolve(f"http://127.0.0.1:{port}/m.tar.gz")
    finally:
        listener.close()
    assert len(seen) == 1
    assert "RemoteDisconnected" in str(info.value)
    assert "not valid HTTP" not in str(info.value)


def test_a_403_after_a_redirect_to_another_host_names_that_host(tmp_path, monkeypatch):
    """As for a 401 (tests/test_token.py): a 403 from the host a redirect led to (an expired
    signed link) is that host's refusal, which no token setting changes."""
    with (
        serve_folder(os.fspath(tmp_path)) as hub_server,
        serve_folder(os.fspath(tmp_path)) as storage,
    ):
        storage.state.behaviours.append(answer_status("/signed.tar.gz", 403))
        target = f"http://localhost:{storage.port}/signed.tar.gz"
        hub_server.state.behaviours.append(redirect_to("/m.tar.gz", target))
        monkeypatch.setenv("TFHUB_TOKEN", "a-token-of-the-hub")
        monkeypatch.setenv("TFHUB_TOKEN_HOST", f"127.0.0.1:{hub_server.port}")
        with pytest.raises(errors.HTTPStatusError) as raised:
            hub.resolve(hub_server.url("m.tar.gz"))
    message = str(raised.value)
    assert (
        f"It was localhost:{storage.port}, where 127.0.0.1:{hub_server.port} redirected" in message
    )
    assert "refused the token" not in message


# A credential longer than the part of a text tfhub quotes: cut before it is redacted, the
# part kept no longer looks like a credential (no "@" after a password, half a token).
_LONG_SECRET = "s3cretX" * 60


def _leaks(text: str) -> bool:
    """Whether `text` holds 12 characters in a row of `_LONG_SECRET`."""
    return any(_LONG_SECRET[start : start + 12] in text for start in range(7))


def test_a_long_password_in_a_plain_http_redirect_is_not_shown(server, certificate, monkeypatch):
    """InsecureRedirectError quoted the target's first 300 characters, then redacted them: a
    password longer than that had no "@" after it any more, and was shown."""
    base = enable_tls(server, *certificate)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    target = f"http://alice:{_LONG_SECRET}@127.0.0.1:9/m.tar.gz"
    server.state.behaviours.append(redirect_to("m.tar.gz", target))
    with pytest.raises(errors.InsecureRedirectError) as info:
        hub.resolve(base + "m.tar.gz")
    assert "http://***@127.0.0.1:9/m.tar.gz" in str(info.value)
    assert not _leaks("".join(traceback.format_exception(info.value)))
    assert not _leaks(info.value.url)


def test_a_long_password_in_a_bytes_handle_is_not_shown():
    """The message quoted the bytes handle's first 200 characters, then redacted them."""
    with pytest.raises(errors.HandleTypeError) as info:
        hub.resolve(f"https://alice:{_LONG_SECRET}@127.0.0.1:9/m.tar.gz".encode())
    assert "handle.decode()" in str(info.value)
    assert not _leaks(str(info.value))


def test_a_long_token_the_server_quotes_is_not_shown(server, monkeypatch):
    """tfhub kept the first 300 characters of what the server said, then took the token out:
    a token running past that cut was no longer found, and its first part was shown."""
    monkeypatch.setenv("TFHUB_TOKEN", _LONG_SECRET)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")
    said = f"invalid token {_LONG_SECRET} for this model\n".encode()
    server.state.behaviours.append(answer_body("m.tar.gz", 403, "text/plain", said))
    with pytest.raises(errors.HTTPStatusError, match="403") as info:
        hub.resolve(server.url("m.tar.gz"))
    assert 'The server says: "invalid token *** for this model."' in str(info.value)
    assert not _leaks("".join(traceback.format_exception(info.value)))


def test_a_long_password_in_an_unreadable_location_is_not_shown(server):
    """The Location that cannot be read is quoted, cut to 200 characters after redaction."""
    location = f"https://alice:{_LONG_SECRET}@127.0.0.1:99999/m.tar.gz"  # Port out of range.
    server.state.behaviours.append(redirect_to("m.tar.gz", location))
    with pytest.raises(errors.DownloadError, match="cannot be read") as info:
        hub.resolve(server.url("m.tar.gz"))
    assert "https://***@127.0.0.1:99999/m.tar.gz" in str(info.value)
    assert not _leaks("".join(traceback.format_exception(info.value)))


def test_a_dripping_303_body_without_a_length_is_cut_not_taken_as_read(server, monkeypatch):
    """A body without Content-Length ends where the connection does: cut at the deadline, the
    read returns what came without an error, and that part was taken as the whole location."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.5")  # Headers and small bodies: 1 s.
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")

    def dripping(handler, path, query) -> bool:
        handler.send_response(303)
        handler.send_header("Location", "gs://bucket/m")
        handler.end_headers()
        handler.close_connection = True
        try:
            for char in "gs://bucket/m" * 20:  # 0.15 s a byte: 39 s, unless hung up on.
                handler.wfile.write(char.encode())
                handler.wfile.flush()
                time.sleep(0.15)
        except OSError:
            pass
        return True

    server.state.behaviours.append(dripping)
    started = time.monotonic()
    with pytest.raises(errors.DownloadTooSlowError, match="to send its 303 answer's body"):
        hub.resolve(server.url("models/m/1"))
    assert time.monotonic() - started < 8


def test_a_dead_proxy_is_not_taken_for_a_socks_one_by_the_words_of_the_url(monkeypatch):
    """Only an InvalidSchema or InvalidURL is read for a proxy setting requests cannot use: a
    dead http proxy's connection error, quoting a URL with "socks" in it, is not a SOCKS proxy
    wanting PySocks."""
    import socket

    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with socket.socket() as held:  # Bound, not listening: it refuses connections.
        held.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{held.getsockname()[1]}"
        monkeypatch.setenv("HTTP_PROXY", proxy)
        with pytest.raises(errors.DownloadError) as info:
            hub.resolve("http://models.invalid/socks-models/m.tar.gz")
    assert not isinstance(info.value, errors.MissingDependencyError)
    assert f"the proxy {proxy} refused the connection" in str(info.value)


def test_a_500_is_said_to_be_a_failing_server(server, monkeypatch):
    """500 is the first of the server-error statuses: said to be the server's failure (and
    retried), not "Check the handle"."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    server.state.behaviours.append(answer_status("m.tar.gz", 500))
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(server.url("m.tar.gz"))
    assert "The server is failing or overloaded" in str(info.value)
    assert "Check the handle" not in str(info.value)


def test_an_error_status_carries_the_url_without_its_password(server):
    """The message is redacted by the error's class; the data it carries (`.url`, pickled with
    it) must be too."""
    url = server.url("gone.tar.gz").replace("://", "://alice:s3cret-pw@")
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(url)
    assert info.value.url.startswith(server.url("gone.tar.gz").replace("://", "://***@"))
    assert "s3cret-pw" not in repr(info.value.__reduce_ex__(4))


def test_a_password_holding_an_at_sign_is_not_in_the_cache_key():
    """The user name and password end at the authority's last "@" (as urllib reads them)."""
    from tfhub import handles

    key = handles.cache_handle("https://alice:p@ss-word@host.example/m.tar.gz")
    assert key == "https://host.example/m.tar.gz"


def test_a_url_of_another_scheme_holding_bytes_that_are_not_utf8_is_refused():
    """Only a local path may hold bytes that are not UTF-8 (it names a file by its bytes)."""
    from tfhub import handles

    with pytest.raises(errors.InvalidHandleError, match="not UTF-8"):
        handles.check("gs://bucket/m\udcff")


def test_a_kaggle_address_over_plain_http_is_not_read_as_a_kaggle_model():
    """Kaggle model URLs are https: an http:// one is downloaded as the URL it is."""
    from tfhub import handles

    url = "http://www.kaggle.com/models/owner/model/tensorFlow2/variation/1"
    assert not isinstance(handles.parse(url), handles.KaggleModel)
    assert isinstance(handles.parse(url.replace("http:", "https:")), handles.KaggleModel)


def test_a_kaggle_address_with_more_after_the_version_is_not_a_kaggle_model():
    """Both Kaggle forms end at the version (a slash at most): more after it is another page."""
    from tfhub import handles

    long_form = "https://www.kaggle.com/models/o/m/frameworks/tensorFlow2/variations/v/versions/1"
    assert isinstance(handles.parse(long_form), handles.KaggleModel)
    for extra in ("/files", "2x"):
        assert not isinstance(handles.parse(long_form + extra), handles.KaggleModel)


def test_a_kaggle_version_too_long_to_read_is_a_tfhub_error():
    """Python refuses to read an integer of more than 4,300 digits (a builtin ValueError)."""
    from tfhub import handles

    url = "https://www.kaggle.com/models/o/m/tensorFlow2/v/" + "1" * 5000
    with pytest.raises(errors.InvalidHandleError, match="5,000 digits"):
        handles.parse(url)


def test_an_unsigned_url_keeps_its_query_in_the_cache_key():
    """Only a signed URL loses its signing parameters from the key: without a signature,
    `sv=` and `se=` are the object's own query (two of them name two entries)."""
    from tfhub import handles

    url = "https://host.example/m.tar.gz?se=2030&sv=1"
    assert handles.cache_handle(url) == url
    assert handles.cache_handle(url + "&sig=abc") == "https://host.example/m.tar.gz"


@pytest.mark.parametrize(
    ("text", "shown"),
    [  # A URL given as a path (`Path(url)` keeps one slash), any secret name spelled
        # `passw...`, a percent-encoded name, a secret's value holding another name.
        ("/c/https:/alice:pw@host/m", "/c/https:/***@host/m"),
        ("https://h/m?password=hunter22", "https://h/m?password=***"),
        ("https://h/m?%73ig=abc123", "https://h/m?%73ig=***"),  # sig
        ("https://h/m?token=abc;sig=def", "https://h/m?token=***"),
    ],
    ids=["one-slash", "password", "percent-encoded", "nested"],
)
def test_redact_hides_each_form_of_a_secret(text, shown):
    from tfhub.utils.redact import redact

    assert redact(text) == shown


def test_a_failed_connection_to_a_non_ascii_url_is_not_called_a_redirect(monkeypatch):
    """requests sends the path percent-encoded (m%C3%B1 for mñ); compared as given, the URL it
    failed on looked like another one: "(redirected to ...m%C3%B1...)" with no redirect."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    with pytest.raises(errors.ConnectionFailedError) as info:
        hub.resolve("http://127.0.0.1:9/m\u00f1/1.tar.gz")  # Port 9 (discard): refused.
    assert "redirected" not in str(info.value) and "connection was refused" in str(info.value)

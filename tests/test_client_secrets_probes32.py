"""Session 32's probes of the client side: secrets a handle or the environment carries stay out
of what tfhub shows and writes, and hostile servers on 127.0.0.1 cannot make a download
misbehave. Real servers, real downloads, the real CLI."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import traceback

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import answer_status

import tfhub as hub
from tfhub import errors
from tfhub.cli.main import main

SECRET = "s3cr3t-SECRET"

# Signed URLs and keys of stores the first list of secret parameters did not know, and places
# of a query it did not look at: each was shown (and written in the descriptor) as given.
_SECRET_QUERIES = {
    "swift": f"temp_url_sig={SECRET}&temp_url_expires=1700000000",  # OpenStack Swift TempURL
    "cos": f"q-sign-algorithm=sha1&q-ak=AKID&q-signature={SECRET}",  # Tencent COS
    "oss": f"x-oss-signature-version=OSS4&x-oss-signature={SECRET}",  # Alibaba OSS V4
    "akamai": f"hdnts=exp=1~acl=/*~hmac={SECRET}",  # Akamai token auth
    "b2": f"Authorization={SECRET}",  # Backblaze B2 download by name
    "auth_token": f"auth_token={SECRET}",
    "semicolon": f"v=1;sig={SECRET}",  # A separator some servers accept.
    "percent": f"X%2DAmz%2DSignature={SECRET}",  # Recognised as signed, but shown.
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _files_holding(root: str, secret: str) -> list[str]:
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(folder, name), "rb") as written:
                if secret.encode() in written.read():
                    found.append(name)
    return found


@pytest.mark.parametrize("query", list(_SECRET_QUERIES.values()), ids=list(_SECRET_QUERIES))
def test_a_secret_query_stays_out_of_logs_bars_the_cache_and_its_listing(
    query, server, served_dir, isolated_cache, monkeypatch, caplog, capsys
):
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    make_tar_gz(served_dir / "m.tar.gz")
    stderr = io.StringIO()
    with caplog.at_level(logging.INFO, logger="tfhub"), contextlib.redirect_stderr(stderr):
        path = hub.resolve(f"{server.url('m.tar.gz')}?{query}")
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Downloaded" in logged and SECRET not in logged
    assert SECRET not in stderr.getvalue()
    assert _files_holding(os.fspath(isolated_cache), SECRET) == []
    capsys.readouterr()
    assert main(["cache", "list"]) == 0
    listed = capsys.readouterr()
    assert "/m.tar.gz" in listed.out and SECRET not in listed.out + listed.err


def test_an_access_token_in_the_fragment_is_not_shown(server, served_dir, isolated_cache, caplog):
    """An OAuth access_token in a URL's fragment (the implicit flow's redirect) was written in
    the descriptor and logs as given."""
    make_tar_gz(served_dir / "m.tar.gz")
    with caplog.at_level(logging.INFO, logger="tfhub"):
        hub.resolve(f"{server.url('m.tar.gz')}#access_token={SECRET}&token_type=bearer")
    assert SECRET not in "\n".join(record.getMessage() for record in caplog.records)
    assert _files_holding(os.fspath(isolated_cache), SECRET) == []


def test_a_percent_encoded_signature_stays_out_of_the_error_and_its_traceback(server):
    """`X%2DAmz%2DSignature` is `X-Amz-Signature` to the store and to tfhub's cache key, but
    redact looked for the name as written."""
    server.state.behaviours.append(answer_status("m.tar.gz", 404))
    with pytest.raises(errors.HTTPStatusError, match="404") as info:
        hub.resolve(f"{server.url('m.tar.gz')}?X%2DAmz%2DSignature={SECRET}")
    assert SECRET not in "".join(traceback.format_exception(info.value))


def test_urllib3_debug_lines_do_not_show_a_signature(server, served_dir):
    """An application logging at DEBUG got urllib3's request line, `"GET
    /m.tar.gz?X-Amz-Signature=... HTTP/1.1" 200`, for every download of a signed URL."""
    make_tar_gz(served_dir / "m.tar.gz")
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        hub.resolve(f"{server.url('m.tar.gz')}?X-Amz-Expires=60&X-Amz-Signature={SECRET}")
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
    assert '"GET /m.tar.gz?' in records.getvalue()  # urllib3's line is there, redacted.
    assert SECRET not in records.getvalue()


def test_a_proxy_setting_without_a_scheme_is_named_not_blamed_on_a_redirect(monkeypatch):
    """HTTPS_PROXY=user:password@host:port (no http://) made requests raise InvalidProxyURL,
    which tfhub reported as "the server redirected to an address that cannot be fetched"."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    proxy = f"alice:{SECRET}@127.0.0.1:{_closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve("http://models.example/m.tar.gz")
    message = str(info.value)
    assert "HTTP_PROXY" in message and "is not a valid URL" in message
    assert "redirected" not in message
    assert SECRET not in "".join(traceback.format_exception(info.value))


@pytest.mark.parametrize("token", [f"{SECRET}\n# a comment", f"{SECRET}\r\nX-Injected: 1"])
def test_a_token_with_a_line_break_is_a_setting_error_that_does_not_show_it(
    server, monkeypatch, token
):
    """http.client refused the header with a builtin ValueError quoting it: `Invalid header
    value b'Bearer <the token>'`."""
    monkeypatch.setenv("TFHUB_TOKEN", token)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")
    with pytest.raises(errors.SettingError, match="TFHUB_TOKEN holds a control character") as info:
        hub.resolve(server.url("m.tar.gz"))
    assert info.value.name == "TFHUB_TOKEN"
    assert SECRET not in "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert server.state.requests == []  # Nothing was sent.


def test_a_token_with_a_byte_that_is_not_utf8_is_a_setting_error_that_does_not_show_it(
    server, monkeypatch
):
    """A hub reads the header as UTF-8, and tfhub sends the token so: a byte that is not UTF-8
    (a token file in Latin-1) ended in "invalid value: 'utf-8' codec can't encode ...",
    naming neither the variable nor what to do."""
    monkeypatch.setenv("TFHUB_TOKEN", f"{SECRET}\udcff")  # The byte 0xff, as os.environ has it.
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")
    with pytest.raises(
        errors.SettingError, match="TFHUB_TOKEN holds a byte that is not UTF-8"
    ) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert info.value.name == "TFHUB_TOKEN" and "\\xff" in message
    assert SECRET not in "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert server.state.requests == []  # Nothing was sent.


@pytest.mark.parametrize("token", ["t\u00f6ken-SECRET", "t\u20acken-SECRET"])
def test_a_token_beyond_ascii_is_sent_as_a_hub_reads_it(server, served_dir, monkeypatch, token):
    """A hub reads the token file, and the header, as UTF-8; the client sent a str header,
    which http.client encodes as latin-1: 'ö' arrived as another token (403), and '€' raised
    a builtin UnicodeEncodeError holding the whole header (`.object`)."""
    from tfhub.hub.middleware import bearer_token

    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_TOKEN", token)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")
    hub.resolve(server.url("m.tar.gz"))
    ((_, _, headers),) = server.state.requests
    sent = headers["Authorization"].encode("latin-1")  # http.server decodes it as latin-1.
    assert bearer_token({"headers": [(b"authorization", sent)]}) == token


def test_an_archive_too_large_keeps_no_signature_in_its_data(server, monkeypatch):
    """ArchiveTooLargeError's message was redacted, but its `.source` (what a pickle carries to
    the parent process) held the handle with its signature."""
    import gzip
    import pickle
    import tarfile

    from tests._helpers.http_server import answer_body

    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        member = tarfile.TarInfo("saved_model.pb")
        member.size = 4 << 20
        tar.addfile(member, io.BytesIO(bytes(member.size)))
    body = gzip.compress(archive.getvalue())
    server.state.behaviours.append(answer_body("m.tar.gz", 200, "application/gzip", body))
    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", "1M")
    with pytest.raises(errors.ArchiveTooLargeError) as info:
        hub.resolve(f"{server.url('m.tar.gz')}?X-Amz-Expires=60&X-Amz-Signature={SECRET}")
    assert info.value.source.endswith("X-Amz-Signature=***")
    assert SECRET.encode() not in pickle.dumps(info.value)


def _answer_always(answer: bytes) -> socket.socket:
    """A raw server on 127.0.0.1 answering each request with `answer`, then closing."""
    from tests._helpers.raw_server import accept_each, read_request

    def reply(connection: socket.socket) -> None:
        with connection:
            read_request(connection)
            connection.sendall(answer)

    return accept_each(reply)


def test_conflicting_content_lengths_are_a_bad_answer_not_a_bad_redirect(monkeypatch):
    """urllib3 refuses two different Content-Length values (InvalidHeader); tfhub said "the
    server redirected to an address that cannot be fetched", though nothing redirected."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    listener = _answer_always(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 500\r\n"
        b"Connection: close\r\n\r\n" + bytes(500)
    )
    with listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/m.tar.gz"
        with pytest.raises(errors.DownloadError, match="not valid HTTP") as info:
            hub.resolve(url)
    assert "redirect" not in str(info.value) and "Content-Length" in str(info.value)


@pytest.mark.parametrize("load_format", ["COMPRESSED", "UNCOMPRESSED"])
@pytest.mark.parametrize(
    "location",
    [b"http://[::1/m", b"http://127.0.0.1:99999/m", b"http://\xff\xfe.example/m"],
    ids=["unclosed-ipv6", "port-out-of-range", "not-utf8"],
)
def test_a_redirect_to_an_unreadable_location_is_a_download_error(
    monkeypatch, load_format, location
):
    """A hostile Location made requests (or tfhub's own redirect check) raise a builtin
    ValueError or UnicodeDecodeError, which no `except tfhub.errors.DownloadError` caught."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    listener = _answer_always(
        b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n"
        b"Connection: close\r\n\r\n"
    )
    with listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/m.tar.gz"
        with pytest.raises(errors.DownloadError, match="redirected to an address that cannot"):
            hub.resolve(url)


def test_a_refused_redirect_target_is_named_not_the_handles_server(server, monkeypatch):
    """A redirect to a port where nothing listens was reported as "Cannot download ... from
    <the handle's URL>: the connection was refused", though that server had answered."""
    from tests._helpers.http_server import redirect_to

    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    target = f"http://127.0.0.1:{_closed_port()}/blob"
    server.state.behaviours.append(redirect_to("m.tar.gz", target))
    with pytest.raises(errors.ConnectionFailedError, match="refused") as info:
        hub.resolve(server.url("m.tar.gz"))
    assert f"(redirected to {target})" in str(info.value)


def test_a_401_to_the_uncompressed_format_says_what_to_set(server, monkeypatch):
    """The COMPRESSED format's 401 says to set TFHUB_TOKEN; the UNCOMPRESSED format's said only
    "Expected 303 ... received code 401" and to unset TFHUB_MODEL_LOAD_FORMAT."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    server.state.behaviours.append(answer_status("m", 401))
    with pytest.raises(errors.InvalidHandleError, match="received code 401") as info:
        hub.resolve(server.url("m"))
    assert "set TFHUB_TOKEN to your token and TFHUB_TOKEN_HOST=127.0.0.1" in str(info.value)


@pytest.mark.parametrize("load_format", ["COMPRESSED", "UNCOMPRESSED"])
def test_a_chain_of_slow_redirects_stops_at_the_retry_timeout(monkeypatch, load_format):
    """Each of up to 30 redirects answered just inside the headers' deadline (2 x
    TFHUB_HTTP_TIMEOUT): one request took 60 x TFHUB_HTTP_TIMEOUT (half an hour at the
    default) without a byte of the model, whatever TFHUB_HTTP_RETRY_TIMEOUT said."""
    import time

    from tests._helpers.raw_server import accept_each, read_request

    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", load_format)
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.5")  # Headers may take 1 s.
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1.5")
    hops: list[int] = []

    def redirect_slowly(connection: socket.socket) -> None:
        with connection:
            read_request(connection)
            hops.append(len(hops))
            connection.sendall(b"HTTP/1.1 302 Found\r\n")
            time.sleep(0.4)  # Within the read timeout and the headers' deadline.
            connection.sendall(
                b"Location: /hop%d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % len(hops)
            )

    with accept_each(redirect_slowly) as listener:
        started = time.monotonic()
        with pytest.raises(errors.RetryTimeoutError, match="redirect"):
            hub.resolve(f"http://127.0.0.1:{listener.getsockname()[1]}/m")
        took = time.monotonic() - started
    assert took < 4, took  # Not the 31 hops x 0.4 s (12 s) to "redirects in a loop".
    assert len(hops) < 10, hops


@pytest.mark.parametrize("where", ["token", "password", "signature"])
def test_a_server_quoting_what_it_was_sent_does_not_print_the_secret(server, monkeypatch, where):
    """tfhub quotes the first line of a text/plain error ("The server says: ..."); a server
    that echoes the credential it refused put the token (or password, or signature) in the
    message, where `redact` does not see it (no URL around it)."""
    from tests._helpers.http_server import answer_body

    monkeypatch.setenv("TFHUB_TOKEN", SECRET if where == "token" else "other-token")
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")
    said = f"invalid credential '{SECRET}' for this model\n".encode()
    server.state.behaviours.append(answer_body("m.tar.gz", 403, "text/plain", said))
    url = server.url("m.tar.gz")
    if where == "password":
        url = url.replace("://", f"://alice:{SECRET}@")
    if where == "signature":
        url += f"?X-Amz-Expires=60&X-Amz-Signature={SECRET}"
    with pytest.raises(errors.HTTPStatusError, match="403") as info:
        hub.resolve(url)
    assert "The server says: \"invalid credential '***' for this model.\"" in str(info.value)
    assert SECRET not in "".join(traceback.format_exception(info.value))


@pytest.mark.parametrize(
    "signing",
    [
        ("temp_url_sig={sig}&temp_url_expires={when}"),  # OpenStack Swift TempURL
        ("q-sign-algorithm=sha1&q-ak=AKID&q-sign-time={when}&q-signature={sig}"),  # Tencent COS
        ("x-oss-signature-version=OSS4&x-oss-expires={when}&x-oss-signature={sig}"),  # OSS V4
        ("OSSAccessKeyId=AK&Expires={when}&Signature={sig}"),  # Alibaba OSS V1
    ],
)
def test_signed_urls_of_other_stores_are_sent_as_given_and_share_an_entry(
    server, served_dir, signing
):
    """These stores sign the query too: tfhub added `tf-hub-format=compressed` (their answer:
    403), and each new signature of one object made (and downloaded) a new cache entry."""
    from tests._helpers.http_server import archive_gets

    make_tar_gz(served_dir / "m.tar.gz")
    first = f"{server.url('m.tar.gz')}?v=2&" + signing.format(sig="a1", when="100")
    second = f"{server.url('m.tar.gz')}?v=2&" + signing.format(sig="b2", when="200")
    assert hub.resolve(first) == hub.resolve(second)
    ((_, path, _),) = archive_gets(server, "m.tar.gz")  # One download.
    assert path == "/" + first.split("/", 3)[3]  # As given: no `tf-hub-format` added.


def test_a_token_sent_over_plain_http_is_warned_about_once(server, monkeypatch, caplog):
    """TFHUB_TOKEN went to an http:// hub in clear text, silently; a hub on this machine's
    loopback (`tfhub demo`, a hub on 127.0.0.1) is not warned about."""
    monkeypatch.setenv("TFHUB_TOKEN", SECRET)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "hub-plain-http.invalid,127.0.0.1")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "2")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        for _ in range(2):
            with pytest.raises(errors.DownloadError):
                hub.resolve("http://hub-plain-http.invalid/acme/m/1")
        with pytest.raises(errors.HTTPStatusError):
            hub.resolve(server.url("m.tar.gz"))  # Loopback: 404, no warning.
    warned = [r.getMessage() for r in caplog.records if "over plain http" in r.getMessage()]
    assert len(warned) == 1 and "hub-plain-http.invalid" in warned[0], warned
    assert SECRET not in caplog.text

"""No secret is written or printed by the hub side (session 35 probes).

Each probe runs the real thing (`tfhub serve` on 127.0.0.1, `tfhub mirror` from a real
127.0.0.1 server that demands basic auth or a signed query, `tfhub publish` / `pack` on real
files) with a secret in what it is given, and looks for the secret in everything it shows or
writes: stdout, stderr, logs at -v, the files below ROOT and the served answers.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from tests._helpers import http_server
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import SRC, free_port, serve_hub, write_model_doc, write_publisher
from tests._helpers.warm_python import run_warm_python

SECRET = "pw-5ecr3t-35"
SIGNATURE = "sig-5ecr3t-35"


def _tfhub(
    *args: str, timeout: float = 120, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs `tfhub *args` in a child process; its stdout and stderr are captured. `tfhub
    serve` runs in a fresh one (its own process group, killed whole if it outlives `timeout`: a
    server that should have refused to start); the other commands, which end on their own, in
    a fork of the worker's warm server (tests/_helpers/warm_python.py), so that those that load
    a model (publish, mirror) do not import TensorFlow again."""
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=SRC, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TFHUB_SERVE_SETTINGS", None)
    if cache is not None:
        env["TFHUB_CACHE_DIR"] = str(cache)
    if next(arg for arg in args if not arg.startswith("-")) != "serve":
        return run_warm_python(code, *args, env=env, timeout=timeout, check=False)
    with subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"tfhub {args[:2]} still ran after {timeout} s: {out[-2000:]}{err[-2000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _files_text(folder: Path) -> str:
    """Every file below `folder` (names and bytes as text), for looking for a secret."""
    shown = []
    for path in sorted(folder.rglob("*")):
        shown.append(str(path))
        if path.is_file():
            shown.append(path.read_bytes().decode("latin-1"))
    return "\n".join(shown)


def _assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets or (SECRET, SIGNATURE):
        assert secret not in text, f"{secret!r} shown in:\n{text[-3000:]}"


def _one_model(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    write_publisher(root, "lab", "Lab")
    doc = write_model_doc(root, "lab/m/1", description="Version one.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    return root


# --- tfhub serve: --base-url, --uncompressed-base --------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        f"https://user:{SECRET}@hub.example",
        f"https://hub.example/?access_token={SECRET}",
        f"https://hub.example/hub#token={SECRET}",
    ],
)
def test_serve_refuses_a_base_url_with_credentials_without_showing_them(tmp_path, base_url):
    """A --base-url with credentials is refused (the pages would show them to every visitor);
    the refusal named the URL as given, its password in the terminal and the service's log."""
    root = _one_model(tmp_path)
    done = _tfhub(
        "serve", str(root), "--port", str(free_port()), "--base-url", base_url, timeout=30
    )
    assert done.returncode != 0 and "--base-url" in done.stderr
    _assert_hidden(done.stdout + done.stderr)


@pytest.mark.parametrize(
    "base",
    [
        f"https://user:{SECRET}@store.example/hub",
        f"gs://bucket/hub?X-Goog-Signature={SECRET}",
        f"gs://bucket/hub?access_token={SECRET}",
    ],
)
def test_serve_refuses_an_uncompressed_base_with_credentials_without_showing_them(tmp_path, base):
    """The 303 of `?tf-hub-format=uncompressed` names `<base>/<handle>`: a signed query there
    would be given to every client (and the path after it would break the URL); a gs:// base
    with a query was accepted, and a refused base's message showed its password."""
    root = _one_model(tmp_path)
    done = _tfhub(
        "serve", str(root), "--port", str(free_port()), "--uncompressed-base", base, timeout=30
    )
    assert done.returncode != 0 and "--uncompressed-base" in done.stderr
    _assert_hidden(done.stdout + done.stderr)


def test_print_nginx_config_with_credentials_in_the_base_url_shows_none(tmp_path):
    """`--print-nginx-config` takes only the path of --base-url; with credentials it is refused
    as `tfhub serve` refuses them, and neither the config nor the refusal holds them."""
    root = _one_model(tmp_path)
    for base_url in (f"https://u:{SECRET}@hub.example/hub", f"https://u:{SECRET}@hub.example/h b"):
        done = _tfhub(
            "serve", str(root), "--print-nginx-config", "80", "--base-url", base_url, timeout=60
        )
        _assert_hidden(done.stdout + done.stderr)


# --- tfhub serve: the token file and the tokens requests carry -------------------------------


def test_tokens_appear_in_no_log_page_or_answer(tmp_path):
    """Requests with `Authorization: Bearer`, Basic, or a token in the query (`?token=`,
    `?access_token=`, a signed URL's `X-Amz-Signature`): the access log (default and -v), the
    401/403 pages, /healthz and the API answers hold no token. The access log wrote the
    request's query as sent, `?token=...` included."""
    root = _one_model(tmp_path)
    known = f"known-{SECRET}"
    (tmp_path / "tokens").write_text(f"{known}\n", encoding="utf-8")
    (tmp_path / "tokens").chmod(0o600)
    answers = []
    for verbose, log in (((), tmp_path / "log"), (("-v",), tmp_path / "log-v")):
        options = (*verbose, "--token-file", str(tmp_path / "tokens"))
        with serve_hub(root, log, *options) as app:
            bearer = {"Authorization": f"Bearer {known}"}
            for path in ("lab/m/1", "healthz", "api/models", "api/models/lab/m", "lab/m"):
                answers.append(requests.get(app.url(path), headers=bearer, timeout=10))
            answers.append(requests.get(app.url("lab/m/1"), auth=("me", known), timeout=10))
            wrong = {"Authorization": f"Bearer wrong-{SECRET}"}
            answers.append(requests.get(app.url("lab/m/1"), headers=wrong, timeout=10))
            for query in (f"token={known}", f"access_token={known}", f"X-Amz-Signature={known}"):
                answers.append(requests.get(app.url(f"lab/m/1?{query}"), timeout=10))
                answers.append(requests.get(app.url(f"lab/m?{query}"), headers=bearer, timeout=10))
        assert "GET /lab/m/1?token=***" in app.access_log()
        _assert_hidden(app.access_log(), SECRET, base64.b64encode(f"me:{known}".encode()).decode())
    assert {answer.status_code for answer in answers} >= {200, 401, 403}
    for answer in answers:
        _assert_hidden(answer.text + str(answer.headers), SECRET)


def test_a_token_file_that_is_a_folder_or_holds_a_bad_byte_shows_no_token(tmp_path):
    """A token file that is a folder, or that holds a byte that is not UTF-8 inside a token:
    `tfhub serve` refuses to start, naming the file but none of its tokens."""
    root = _one_model(tmp_path)
    folder = tmp_path / "tokens-folder"
    folder.mkdir()
    (folder / "inner").write_text(f"{SECRET}\n")
    bad = tmp_path / "tokens-bad"
    bad.write_bytes(f"{SECRET}\nsecond-{SIGNATURE}\xe9\n".encode("latin-1"))
    for path in (folder, bad):
        done = _tfhub(
            "-v",
            "serve",
            str(root),
            "--port",
            str(free_port()),
            "--token-file",
            str(path),
            timeout=30,
        )
        assert done.returncode != 0 and str(path) in done.stderr
        _assert_hidden(done.stdout + done.stderr)


def test_an_asset_path_with_credentials_is_served_redacted(tmp_path):
    """A doc from a fork of tfhub.dev whose asset-path is a signed URL with a password (a
    validate problem, but served): the pages, the JSON API (its `asset_path`, metadata and
    `doc_markdown`), the 404 of the version's download and the search answer showed it."""
    root = tmp_path / "root"
    write_publisher(root, "lab", "Lab")
    asset = f"https://user:{SECRET}@store.example/m.tar.gz?X-Amz-Signature={SIGNATURE}"
    write_model_doc(root, "lab/m/1", asset=asset, body=f"Its files: {asset}")
    answers = []
    with serve_hub(root, tmp_path / "log", "-v") as app:
        for path in (
            "lab/m/1",
            "lab/m",
            "lab/m/1?tf-hub-format=compressed",
            "api/models",
            "api/models/lab/m",
            "api/models/lab/m/1",
            "api/search?q=lab",
            "search?q=m",
            "lab",
            "",
        ):
            answers.append(requests.get(app.url(path), timeout=10))
            html = requests.get(app.url(path), headers={"Accept": "text/html"}, timeout=10)
            answers.append(html)
    assert requests.codes.ok in {answer.status_code for answer in answers}
    assert any("store.example" in answer.text for answer in answers)
    for answer in answers:
        _assert_hidden(f"{answer.url}\n{answer.headers}\n{answer.text}")
    _assert_hidden(app.access_log())


# --- tfhub mirror from a 127.0.0.1 server that demands basic auth and a signed query ------------


def _guarded(handler, path: str, query: dict[str, list[str]]) -> bool:
    """401 without `Authorization: Basic user:SECRET`, 403 without `X-Amz-Signature=SIGNATURE`
    (a server in front of a private bucket); else the file is served."""
    expected = "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    if handler.headers.get("Authorization") != expected:
        handler.send_error_page(401, "Unauthorized", headers={"WWW-Authenticate": 'Basic x="y"'})
        return True
    if query.get("X-Amz-Signature") != [SIGNATURE]:
        handler.send_error_page(403, "Forbidden")
        return True
    return False


@pytest.fixture
def guarded_server(tmp_path):
    """A 127.0.0.1 server demanding basic auth and a signed query; `m.tar.gz` is a fake model
    (the failures are before loading), `reset.tar.gz` is cut after 100 bytes of body."""
    served = tmp_path / "served"
    served.mkdir()
    make_tar_gz(served / "m.tar.gz")
    make_tar_gz(served / "reset.tar.gz")
    with http_server.serve_folder(str(served)) as server:
        server.state.behaviours += [_guarded, http_server.drop_mid_body("reset.tar.gz", after=100)]
        yield server


def _signed(server, path: str, password: str = SECRET) -> str:
    url = server.url(path).replace("http://", f"http://user:{password}@")
    return f"{url}?X-Amz-Signature={SIGNATURE}&access_token={SIGNATURE}"


@pytest.mark.parametrize(
    ("path", "password", "said"),
    [
        ("m.tar.gz", f"wrong-{SECRET}", "401"),
        ("gone.tar.gz", SECRET, "404"),
        ("reset.tar.gz", SECRET, "reset.tar.gz"),
    ],
)
def test_a_failing_mirror_source_shows_no_credentials(
    guarded_server, tmp_path, path, password, said
):
    """`tfhub -v mirror URL ROOT --as ...` from a source that refuses the password (401), has
    no such file (404) or resets the connection mid-body: the error, the -v logs and ROOT hold
    neither the password nor the signature."""
    root = tmp_path / "root"
    root.mkdir()
    source = _signed(guarded_server, path, password)
    done = _tfhub("-v", "mirror", source, str(root), "--as", "acme/m/1", cache=tmp_path / "c")
    assert done.returncode != 0 and said in done.stderr
    _assert_hidden(done.stdout + done.stderr + _files_text(root) + _files_text(tmp_path / "c"))


def test_mirror_errors_before_downloading_show_no_credentials(guarded_server, tmp_path):
    """`--as` with two HANDLEs, and a hub URL without a version whose hub's API (asked with the
    credentials) names no model: the refusals quoted the sources as given."""
    root = tmp_path / "root"
    root.mkdir()
    first, second = _signed(guarded_server, "a.tar.gz"), _signed(guarded_server, "b.tar.gz")
    two = _tfhub("-v", "mirror", first, second, str(root), "--as", "acme/m/1")
    assert two.returncode != 0 and "--as" in two.stderr
    hub_url = _signed(guarded_server, "acme/emb")
    unnamed = _tfhub("-v", "mirror", hub_url, str(root), cache=tmp_path / "c")
    assert unnamed.returncode != 0 and "--as" in unnamed.stderr
    for done in (two, unnamed):
        _assert_hidden(done.stdout + done.stderr)
    _assert_hidden(_files_text(root) + _files_text(tmp_path / "c"))


@pytest.mark.tf
def test_a_mirror_from_a_guarded_source_writes_and_prints_no_credentials(
    guarded_server, saved_model, tmp_path
):
    """`tfhub -v mirror http://user:pw@host/m.tar.gz?X-Amz-Signature=... ROOT --as acme/m/1`
    with a real SavedModel: the starter doc (it names where the model came from), the
    signature summary, the archive, the printed report, the -v logs and the tfhub cache hold
    neither the password nor the signature; the doc names the source without them."""
    from tfhub.hub import pack

    pack.pack(saved_model, tmp_path / "served" / "m.tar.gz")  # The module's model, read only.
    root = tmp_path / "root"
    root.mkdir()
    source = _signed(guarded_server, "m.tar.gz")
    done = _tfhub("-v", "mirror", source, str(root), "--as", "acme/m/1", cache=tmp_path / "c")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("acme/m/1\t")
    doc = (root / "assets/docs/acme/models/m/1.md").read_text()
    assert f"`{guarded_server.url('m.tar.gz')}`" in doc
    _assert_hidden(done.stdout + done.stderr + _files_text(root) + _files_text(tmp_path / "c"))


# --- tfhub publish / pack ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> str:
    from tests._helpers import models

    return models.save_text_embedding(str(tmp_path_factory.mktemp("secrets35") / "model"))


@pytest.mark.tf
def test_publish_and_pack_with_credentials_in_their_arguments_show_none(saved_model, tmp_path):
    """`tfhub publish` with a --doc whose asset-path and body hold a signed URL with a password
    (refused: a validate problem), with a source or a --doc that is such a URL (not a file),
    and `tfhub pack` of such a URL: no output and no file below ROOT holds the secrets."""
    root = tmp_path / "root"
    root.mkdir()
    url = f"https://user:{SECRET}@store.example/m.tar.gz?X-Amz-Signature={SIGNATURE}"
    doc = write_model_doc(tmp_path / "docs", "acme/m/1", asset=url, body=f"From {url}.")
    runs = [
        _tfhub("-v", "publish", saved_model, str(root), "--handle", "acme/m/1", "--doc", str(doc)),
        _tfhub("publish", url, str(root), "--handle", "acme/m/1"),
        _tfhub("publish", saved_model, str(root), "--handle", "acme/m/1", "--doc", url),
        _tfhub("-v", "pack", url, "-o", str(tmp_path / "out.tar.gz")),
    ]
    assert [done.returncode != 0 for done in runs] == [True] * len(runs)
    assert "asset-path" in runs[0].stderr
    for done in runs:
        _assert_hidden(done.stdout + done.stderr)
    _assert_hidden(_files_text(root))


def test_mirror_from_docs_whose_asset_paths_fail_shows_no_credentials(guarded_server, tmp_path):
    """`tfhub -v mirror ROOT --from-docs` with docs whose asset-path is a signed URL with a
    password, one refused (401), one missing (404), one reset mid-body: the failures it
    prints, its -v logs and the files it writes hold neither secret (the docs themselves are
    the user's, kept as written; validate flags them)."""
    root = tmp_path / "root"
    write_publisher(root, "acme", "Acme")
    for model, path, password in (
        ("refused", "m.tar.gz", f"wrong-{SECRET}"),
        ("missing", "gone.tar.gz", SECRET),
        ("reset", "reset.tar.gz", SECRET),
    ):
        write_model_doc(root, f"acme/{model}/1", asset=_signed(guarded_server, path, password))
    docs = _files_text(root)
    done = _tfhub("-v", "mirror", str(root), "--from-docs", cache=tmp_path / "c")
    assert done.returncode == 1 and done.stderr.count("tfhub: cannot mirror acme/") == 3
    _assert_hidden(done.stdout + done.stderr + _files_text(tmp_path / "c"))
    assert _files_text(root) == docs  # Nothing written beside the docs.


@pytest.mark.parametrize(
    "options",
    [("--server", "uvicorn"), ("--server", "uvicorn", "--workers", "2"), ("--workers", "2")],
)
def test_a_token_in_the_query_is_redacted_in_every_servers_access_log(tmp_path, options):
    """The access log of each ASGI server `tfhub serve` runs (granian, uvicorn; one worker in
    the process or worker processes whose logging is set up anew) hides a `?token=`."""
    root = _one_model(tmp_path)
    with serve_hub(root, tmp_path / "log", *options) as app:
        for _ in range(4):  # Each worker, likely.
            requests.get(app.url(f"lab/m/1?token={SECRET}&X-Amz-Signature={SIGNATURE}"), timeout=10)
    assert "GET /lab/m/1?token=***&X-Amz-Signature=***" in app.access_log()
    _assert_hidden(app.access_log())


@pytest.mark.tf
def test_a_mirror_from_a_tfhub_serve_with_tokens_shows_no_token(saved_model, tmp_path):
    """`tfhub -v mirror http://me:<token>@host/lab/m/1 ROOT` from a real `tfhub serve
    --token-file` (the token as Basic password): the source's doc copied through its JSON API,
    its publisher doc, the report, the -v logs (the API URLs asked), the cache and the source
    hub's access log hold no token."""
    from tfhub.hub import pack

    source_root = tmp_path / "source"
    write_publisher(source_root, "lab", "Lab")
    doc = write_model_doc(source_root, "lab/m/1", description="Version one.")
    pack.pack(saved_model, doc.with_name("1.tar.gz"))
    token = f"tok-{SECRET}"
    (tmp_path / "tokens").write_text(f"{token}\n")
    (tmp_path / "tokens").chmod(0o600)
    root = tmp_path / "root"
    root.mkdir()
    with serve_hub(source_root, tmp_path / "log", "--token-file", str(tmp_path / "tokens")) as hub:
        source = hub.url("lab/m/1").replace("http://", f"http://me:{token}@")
        done = _tfhub("-v", "mirror", source, str(root), cache=tmp_path / "c")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (root / "assets/docs/lab/models/m/1.md").read_text().startswith("# Module lab/m/1")
    assert (root / "assets/docs/lab/lab.md").is_file()
    _assert_hidden(done.stdout + done.stderr + hub.access_log(), token)
    _assert_hidden(_files_text(root) + _files_text(tmp_path / "c"), token)


def _raw_get(port: int, authorization: bytes) -> bytes:
    """The answer to a GET with these raw `Authorization` bytes (requests would re-encode)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"GET /lab/m/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Authorization: " + authorization + b"\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def test_odd_tokens_and_a_token_file_broken_while_serving_show_no_token(tmp_path):
    """A request whose token has a byte that is not UTF-8, or is a near miss of a known token,
    and a token file rewritten while serving with such a byte (every token refused, a warning
    logged): no answer and no log line (at -v) holds a token."""
    root = _one_model(tmp_path)
    tokens = tmp_path / "tokens"
    tokens.write_text(f"tok-{SECRET}\n")
    tokens.chmod(0o600)
    with serve_hub(root, tmp_path / "log", "-v", "--token-file", str(tokens)) as app:
        answers = [
            _raw_get(app.port, f"Bearer tok-{SECRET}".encode() + b"\xff"),
            _raw_get(app.port, f"Bearer tok-{SECRET}x".encode()),
            _raw_get(app.port, b"Basic " + base64.b64encode(f"me:tok-{SECRET}".encode() + b"\xfe")),
        ]
        tokens.write_bytes(f"tok-{SECRET}\nnew-{SIGNATURE}\xe9\n".encode("latin-1"))
        answers.append(_raw_get(app.port, f"Bearer tok-{SECRET}".encode()))
    # A Basic password that is not UTF-8 is read as no token (401); the others are refused.
    assert [answer.split(b" ")[1] for answer in answers] == [b"403", b"403", b"401", b"403"]
    assert "token file" in app.access_log()
    for answer in answers:
        _assert_hidden(answer.decode("latin-1"))
    _assert_hidden(app.access_log())


@pytest.mark.parametrize("options", [(), ("--server", "uvicorn", "--workers", "2")])
def test_a_skipped_doc_quoting_a_url_with_credentials_is_logged_redacted(tmp_path, options):
    """Each worker process scans ROOT and warns about a doc it skips, quoting its bad first
    line: redacted, and said as the `tfhub` command says it (a worker process has no `tfhub`
    command's logging: the warning went through Python's last-resort handler, unprefixed and
    not redacted by a formatter)."""
    root = _one_model(tmp_path)
    bad = root / "assets" / "docs" / "lab" / "models" / "bad" / "1.md"
    bad.parent.mkdir(parents=True)
    bad.write_text(f"# Model https://me:{SECRET}@example.com/lab/bad/1\nShort.\n")
    with serve_hub(root, tmp_path / "log", *options) as app:
        requests.get(app.url("lab/m/1"), timeout=10)
    said = app.access_log()
    assert "tfhub: Skipping a doc (not served)" in said and "https://***@example.com" in said
    _assert_hidden(said)

"""docs/hub.md read as a team setting up its own hub would (session 34 probes): each claim here
was tried by hand against a running `tfhub serve` and had no test yet; those where the code and
the doc disagreed were settled (the nginx config of a hub folder with a space, a LISTEN that
broke the config, the API's 404 of a version written with leading zeros)."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests._helpers.hub_server import (
    free_port,
    nginx_binary,
    run_nginx,
    serve_hub,
    write_model_doc,
    write_model_folder,
    write_publisher,
)
from tests._helpers.python_process import run_tfhub

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import api, publish_locks, search, validator
from tfhub.hub.nginx import nginx_config
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "hub.md"
TOKEN = "s3cret-token"
COMPRESSED = {"tf-hub-format": "compressed"}


def _hub(root: Path) -> Path:
    """acme/emb/1 (a doc only: its files are a URL) and acme/emb/2 (a model folder)."""
    write_publisher(root, "acme", "Acme")
    write_model_doc(root, "acme/emb/1", description="Word embeddings.", body="A small model.")
    write_model_folder(
        write_model_doc(root, "acme/emb/2", description="Word embeddings.", asset="2.tar.gz")
    )
    return root


@pytest.fixture(scope="module")
def open_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    root = _hub(tmp_path_factory.mktemp("open"))
    settings = ServeSettings(
        root=str(root),
        cache_dir=str(tmp_path_factory.mktemp("cache")),
        access_log=False,
        rescan_seconds=0,
    )
    with BackgroundServer(settings) as server:
        yield server


def _models(server: BackgroundServer, query: str) -> list[str]:
    answer = requests.get(server.url("api/models"), params={"q": query}, timeout=30)
    assert answer.status_code == 200, answer.text
    return [model["handle"] for model in answer.json()["models"]]


def test_api_auth_answers_204_on_an_open_hub(open_hub):
    """hub.md, Pages and the JSON API: `/api/auth` answers 204 to an authorised request (for nginx);
    an open hub authorises every request (Scaling out: nginx in front)."""
    answer = requests.get(open_hub.url("api/auth"), timeout=30)
    assert (answer.status_code, answer.content) == (204, b"")


def test_api_auth_answers_401_403_and_204_as_the_archives_do(tmp_path):
    """hub.md, Scaling out: nginx's `auth_request` asks `/api/auth`: 401 without a token, 403 with a
    wrong one (as `tfhub serve`), 204 with a token as Bearer or as the Basic password."""
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# the team's token\n{TOKEN}\n")
    tokens.chmod(0o600)
    root = _hub(tmp_path / "root")
    settings = ServeSettings(
        root=str(root), token_file=str(tokens), access_log=False, rescan_seconds=0
    )
    with BackgroundServer(settings) as server:
        url = server.url("api/auth")
        missing = requests.get(url, timeout=30)
        wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=30)
        bearer = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        basic = requests.get(url, auth=("anyone", TOKEN), timeout=30)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Basic")  # nginx passes the first.
    assert wrong.status_code == 403
    assert (bearer.status_code, basic.status_code) == (204, 204)


def test_the_api_names_the_version_to_use_for_one_written_with_leading_zeros(open_hub):
    """hub.md, The hosting protocol: `/acme/emb/01` is a 404 naming the version to use, "the same
    for pages and the API"; the API's 404 named only `/api/models`."""
    answer = requests.get(open_hub.url("api/models/acme/emb/01"), timeout=30)
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert "(a version is written without leading zeros: acme/emb/1)" in error, error
    assert f"listed at {open_hub.url('api/models')}" in error
    page = requests.get(open_hub.url("acme/emb/01"), timeout=30)
    assert page.status_code == 404 and "no version 01" in page.text


def test_a_search_word_shorter_than_three_characters_matches_whole_words_only(open_hub):
    """hub.md, Pages and the JSON API: words match "as whole words or prefixes": a prefix counts
    from 3 characters (`wor` finds `Word embeddings.`, `wo` finds nothing); a short whole word still
    matches."""
    assert search.MIN_PREFIX == 3
    assert _models(open_hub, "wor") == ["acme/emb"]
    assert _models(open_hub, "wo") == []
    assert _models(open_hub, "A") == ["acme/emb"]  # The body's "A small model.": a whole word.


def test_a_search_reads_its_first_16_words(open_hub):
    """hub.md, Pages and the JSON API: "all words must match": of the first 16 (a pasted page is no
    query)."""
    matching = "acme emb word wor embeddings embed embedd embeddi embeddin embedding small"
    matching += " sma smal model mod mode"
    assert len(matching.split()) == search.MAX_QUERY_WORDS == 16
    assert _models(open_hub, matching + " zzzz") == ["acme/emb"]  # The 17th is not read.
    assert _models(open_hub, matching.rsplit(" ", 1)[0] + " zzzz") == []  # The 16th is.


def test_a_waiting_publish_gives_up_with_one_line_saying_so(tmp_path):
    """hub.md, `tfhub publish`: a publish waiting for another one's lock "gives up after 10 minutes
    with one line saying so" (the wait here is shortened; the default is 600 s)."""
    assert publish_locks.DEFAULT_TIMEOUT == 600.0
    folder = tmp_path / "acme" / "models" / "emb"
    folder.mkdir(parents=True)
    holder = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # Another publish at work.
        with pytest.raises(errors.PublishBusyError) as caught:
            with publish_locks.folder_lock(folder, what="publishing", timeout=0.5):
                pytest.fail("the lock was taken while another process held it")
    finally:
        os.close(holder)
    message = str(caught.value)
    assert "\n" not in message and str(folder) in message
    assert "wait for it to finish, or stop it, then try again" in message
    assert isinstance(caught.value, OSError)


def test_no_access_log_and_the_default_cache_dir(tmp_path, monkeypatch):
    """hub.md, the options of `tfhub serve`: `--no-access-log` writes no line per request, and a
    folder version is packed into `<tmp>/tfhub-serve-<uid>` without `--cache-dir`."""
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    root = _hub(tmp_path / "root")
    log = tmp_path / "serve.log"
    with serve_hub(root, log, "--no-access-log", "--rescan", "0") as server:
        archive = requests.get(server.url("acme/emb/2"), params=COMPRESSED, timeout=30)
        missing = requests.get(server.url("acme/emb/9"), params=COMPRESSED, timeout=30)
    assert (archive.status_code, missing.status_code) == (200, 404)
    assert "tfhub: serving" in server.access_log()
    assert "GET /" not in server.access_log()
    cache = tmp_path / "tmp" / f"tfhub-serve-{os.getuid()}"
    assert cache.is_dir() and any(path.is_file() for path in cache.rglob("*"))


def _documented_options(section: str) -> set[str]:
    """The `--options` named in one `## ` section of docs/hub.md."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", text[start : end if end > 0 else None]))


def _cli_options(command: str, capsys: pytest.CaptureFixture[str]) -> set[str]:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    found = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", capsys.readouterr().out))
    return found - {"--help", "--verbose"}


@pytest.mark.parametrize(
    "command, section",
    [
        ("serve", "`tfhub serve ROOT`"),
        ("publish", "`tfhub publish MODEL_DIR"),
        ("mirror", "`tfhub mirror HANDLE"),
    ],
)
def test_hub_md_names_every_option_of_the_command(command, section, capsys):
    """The options of `tfhub serve`, `publish` and `mirror` each appear in their section of
    docs/hub.md (the mirror section named neither `--force` nor `--description`/`--license`)."""
    assert _cli_options(command, capsys) <= _documented_options(section)


def test_the_nginx_config_of_a_hub_folder_whose_path_has_a_space_passes_nginx(tmp_path):
    """hub.md, Scaling out: the printed config is an nginx `server` block; for a ROOT such as
    `/srv/my hub` its `root` line had two arguments and nginx refused the whole config."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    root = _hub(tmp_path / "my hub")
    (root / "assets/docs/acme/models/emb/3.tar.gz").write_bytes(b"archive bytes")
    write_model_doc(root, "acme/emb/3", asset="3.tar.gz")
    port = free_port()
    conf = nginx_config(str(root), upstream="127.0.0.1:9", listen=f"127.0.0.1:{port}", auth=False)
    with run_nginx(conf, tmp_path / "nginx", port=port) as base:
        answer = requests.get(f"{base}/acme/emb/3", params=COMPRESSED, timeout=30)
    assert (answer.status_code, answer.content) == (200, b"archive bytes")


@pytest.mark.parametrize("listen", ["80; include x", "80\n}", "80 {", "'80'", "$port", ""])
def test_a_listen_value_that_would_break_the_nginx_config_is_refused(tmp_path, listen, capsys):
    """`--print-nginx-config LISTEN` pasted LISTEN into the config as written: `80; x` made a
    directive of its own, a newline or brace broke the block. Such a value is refused in one
    line (nginx's own `listen` values, `127.0.0.1:8080`, `[::1]:80`, `443 ssl`, still pass)."""
    root = _hub(tmp_path / "root")
    with pytest.raises(errors.ServeConfigError, match="--print-nginx-config") as caught:
        nginx_config(str(root), upstream="127.0.0.1:8000", listen=listen)
    assert caught.value.option == "--print-nginx-config"
    for good in ("80", "127.0.0.1:8080", "[::1]:80", "443 ssl", "unix:/run/hub.sock"):
        assert f"listen {good};" in nginx_config(str(root), upstream="h:1", listen=good)
    code = main(["serve", str(root), "--print-nginx-config", "80;"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err


def test_an_empty_listen_is_refused_not_taken_for_no_option(tmp_path):
    """`--print-nginx-config ''` (an unset shell variable) started the server instead."""
    root = _hub(tmp_path / "root")
    done = run_tfhub("serve", str(root), "--port", str(free_port()), "--print-nginx-config", "")
    assert done.returncode == 2, done.stderr
    assert "--print-nginx-config takes nginx's `listen` value" in done.stderr


def test_a_hub_folder_nginx_cannot_name_is_refused(tmp_path):
    """A ROOT path holding `"`, `$` (an nginx variable) or a control character cannot go into
    the quoted `root` line: refused, naming the path and what to do."""
    for name in ('a"b', "a$b", "a\nb"):
        root = tmp_path / name
        root.mkdir()
        with pytest.raises(errors.ServeConfigError, match="move the hub folder"):
            nginx_config(str(root), upstream="127.0.0.1:8000", listen="80")
    assert main(["serve", str(tmp_path / "a$b"), "--print-nginx-config", "80"]) == 1


def test_the_publish_example_prints_what_the_command_prints():
    """hub.md, `tfhub publish`: `tfhub publish` prints the handle, the archive, its sha256 and what
    it did with the doc, tab-separated, as the example shows it (the CLI's line itself is checked by
    tests/hub/test_publish.py)."""
    text = DOC.read_text(encoding="utf-8")
    assert "$ tfhub publish ./my_model hub/ --handle acme/text-embedding/1 --description" in text
    shown = text.split("--license apache-2.0\n", 1)[1].split("\n", 1)[0]
    line = r"acme/text-embedding/1\thub/\S+/1\.tar\.gz\tsha256=\S+\tdoc written"
    assert re.fullmatch(line, shown), shown


@pytest.mark.parametrize(
    "options, status",
    [
        (["--port", "0"], 2),
        (["--workers", "0"], 2),
        (["--rescan", "-1"], 2),
        (["--base-url", "ftp://hub.example/"], 2),
        (["--cache-dir", "{file}"], 2),
        (["--token-file", "{missing}"], 7),
        (["--token-file", "{file}"], 1),  # Empty: no token.
    ],
)
def test_serve_refuses_an_option_in_one_line_with_the_documented_status(
    tmp_path, capsys, options, status
):
    """hub.md (`tfhub serve ROOT`): the exit statuses of the options refused at start."""
    root = _hub(tmp_path / "root")
    (tmp_path / "file").write_text("")
    paths = {"file": tmp_path / "file", "missing": tmp_path / "missing"}
    argv = ["serve", str(root), "--port", str(free_port()), "--rescan", "0"]
    argv += [option.format(**paths) for option in options]
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's own refusals (a port outside 1-65535).
        code = exited.code
    err = capsys.readouterr().err
    assert code == status, err
    assert "Traceback" not in err and err.strip(), err


def test_validate_reports_a_local_asset_path_the_server_never_answers(tmp_path):
    """hub.md, The hub folder: the server answers a version with the files beside its doc,
    `<version>.tar.gz` (or the folder `<version>/`). `13.md` naming `9.tar.gz`, present beside it,
    passed `tfhub validate`, yet `/acme/emb/13` was a 404 calling `13.tar.gz` "the doc's local
    asset-path" (`publish --doc` refuses such a doc already)."""
    root = _hub(tmp_path / "root")
    doc = write_model_doc(root, "acme/emb/13", asset="9.tar.gz")
    (doc.parent / "9.tar.gz").write_bytes(b"an archive")
    found = _asset_path_problems(root, "13.md")
    assert len(found) == 1, found
    assert "'13.tar.gz'" in found[0].message and "Received: '9.tar.gz'" in found[0].message
    assert found[0].line == 4
    write_model_doc(root, "acme/emb/13", asset="./13.tar.gz")  # Spelled otherwise: the same.
    (doc.parent / "13.tar.gz").write_bytes(b"an archive")
    assert _asset_path_problems(root, "13.md") == []


def _asset_path_problems(root: Path, name: str) -> list[validator.Problem]:
    problems = validator.validate_tree(root)
    return [p for p in problems if p.path.endswith(name) and "asset-path" in p.message]


def test_validate_reports_a_local_tflite_the_server_never_sends(tmp_path):
    """hub.md: "Only `.tar.gz` files are ever sent". A Lite doc naming `1.tflite` beside it passed
    `tfhub validate`, and its page then said the files "have not been mirrored (tfhub mirror
    copies them here)", which `tfhub mirror --from-docs` never does for a file name."""
    root = _hub(tmp_path / "root")
    doc = root / "assets/docs/acme/models/spice/lite/1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(
        "# Lite acme/spice/1\nSpice, for phones.\n\n<!-- asset-path: 1.tflite -->\n"
        "<!-- parent-model: acme/emb/1 -->\n\n## Overview\nx\n"
    )
    doc.with_name("1.tflite").write_bytes(b"TFL3")
    found = _asset_path_problems(root, "lite/1.md")
    assert len(found) == 1 and found[0].line == 4, found
    assert "URL" in found[0].message and "Received: '1.tflite'" in found[0].message


def test_uvicorn_closes_an_idle_keep_alive_connection_after_5_s(open_hub):
    """hub.md, `tfhub serve ROOT`: "a keep-alive connection idle for 30 s is closed (5 s with
    uvicorn)": measured 30.0 s with granian (too long for a test) and 5.0 s with uvicorn, whose
    default the doc now names (BackgroundServer runs uvicorn)."""
    with socket.create_connection((open_hub.host, open_hub.port), timeout=30) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        start = time.monotonic()
        while connection.recv(65536):
            pass
        idle = time.monotonic() - start
    assert data.startswith(b"HTTP/1.1 200"), data
    assert 4.0 < idle < 15.0, idle


def _children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return {int(child) for child in listing.read().split()}


def test_granian_restarts_its_workers_on_sighup_and_stops_on_sigint_with_0(tmp_path):
    """hub.md, `tfhub serve ROOT`: "on SIGHUP granian ... restarts its workers, as daemons do",
    and "SIGINT and SIGTERM stop it gracefully (exit status 0)" (SIGTERM: test_serve.py)."""
    root = _hub(tmp_path / "root")
    with serve_hub(root, tmp_path / "serve.log", "--rescan", "0") as server:
        before = _children(server.proc.pid)
        assert before, server.access_log()
        os.kill(server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 30
        while (_children(server.proc.pid) & before or not _children(server.proc.pid)) or (
            requests.get(server.url("healthz"), timeout=10).status_code != 200
        ):
            assert time.monotonic() < deadline, server.access_log()
            time.sleep(0.1)
        assert server.proc.poll() is None
        os.kill(server.proc.pid, signal.SIGINT)
        assert server.proc.wait(timeout=30) == 0, server.access_log()


def _half_closed_request(port: int) -> bytes:
    """What the server sends to a client that half-closes its side after a request (`nc -N`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    return data


def test_uvicorn_answers_a_client_that_half_closes(open_hub):
    """hub.md, `tfhub serve ROOT`: "uvicorn answers such a client" (granian mostly does not, but
    not always: no test of it here, it would be flaky)."""
    assert _half_closed_request(open_hub.port).startswith(b"HTTP/1.1 200")


def test_api_models_pages_with_limit_and_offset(tmp_path):
    """hub.md, Pages and the JSON API: `limit` 100 unless given, at most 1,000, `offset`; a value
    that is not a whole number is taken as not given."""
    assert api.MAX_LIMIT == 1000
    root = tmp_path / "root"
    write_publisher(root, "acme", "Acme")
    for number in range(103):
        write_model_doc(root, f"acme/m{number:03d}/1")
    settings = ServeSettings(root=str(root), access_log=False, rescan_seconds=0)
    with BackgroundServer(settings) as server:

        def handles(**params: str) -> list[str]:
            answer = requests.get(server.url("api/models"), params=params, timeout=30).json()
            assert answer["total"] == 103
            return [model["handle"] for model in answer["models"]]

        assert len(handles()) == 100 and handles()[0] == "acme/m000"
        assert handles(limit="2", offset="101") == ["acme/m101", "acme/m102"]
        assert len(handles(limit="5000")) == 103
        assert handles(limit="abc", offset="-1") == handles()


def test_serve_refuses_a_root_that_is_missing_or_not_a_folder(tmp_path, capsys):
    """hub.md, `tfhub serve ROOT`: 7 for a ROOT that does not exist, 1 for one that is a file."""
    (tmp_path / "model.tar.gz").write_bytes(b"")
    port = str(free_port())
    assert main(["serve", str(tmp_path / "missing"), "--port", port]) == 7
    assert "no such folder" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "model.tar.gz"), "--port", port]) == 1
    assert "not a folder. Give the hub folder" in capsys.readouterr().err


def test_docs_published_into_a_root_without_docs_are_served_at_the_next_rescan(tmp_path):
    """hub.md, `tfhub serve ROOT`: a ROOT without `assets/docs` is served as an empty hub, and
    "docs published into it later are served at the next rescan"."""
    settings = ServeSettings(root=str(tmp_path), access_log=False, rescan_seconds=0.5)
    with BackgroundServer(settings) as server:
        assert requests.get(server.url("healthz"), timeout=30).text.startswith("ok 0 models")
        write_publisher(tmp_path, "acme", "Acme")
        write_model_doc(tmp_path, "acme/emb/1")
        deadline = time.monotonic() + 20
        while not requests.get(server.url("healthz"), timeout=30).text.startswith("ok 1 model"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert _models(server, "emb") == ["acme/emb"]

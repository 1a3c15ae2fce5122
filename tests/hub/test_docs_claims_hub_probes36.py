"""docs/hub.md read claim by claim a second time (session 36 probes): each claim here was tried by
hand against a running `tfhub serve` (granian, as `tfhub serve` runs by default, or the
uvicorn-based `BackgroundServer`) or the `tfhub validate` command and had no test yet. The
console examples of `tfhub validate` are compared with what the command prints for the hub they
describe, so the doc and the command cannot drift apart."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from tests._helpers.archives import MODEL_FILES
from tests._helpers.hub_server import (
    HubProcess,
    serve_hub,
    write_model_doc,
    write_model_folder,
    write_publisher,
)
from tests._helpers.python_process import run_tfhub
from tests._helpers.warm_python import run_warm_python

from tfhub.hub import doc_warnings, validator
from tfhub.hub.pack import pack
from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "hub.md"
COMPRESSED = {"tf-hub-format": "compressed"}
BASE = "gs://team-bucket/hub"


def _console_blocks(section: str) -> list[list[str]]:
    """The ```console blocks of the hub.md section whose heading starts with `section`, each as
    its lines."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return [block.splitlines() for block in re.findall(r"```console\n(.*?)```", body, re.S)]


MODULE = """# Module {handle}
{description}

<!-- asset-path: https://example.com/model.tar.gz -->
{metadata}
## Overview
A model.
"""


def _write(root: Path, rel: str, text: str) -> None:
    path = root / "assets" / "docs" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _raw(server: HubProcess, *headers: str) -> bytes:
    """The answer to a GET of google/alpha/1's archive with `headers`, as sent (several lines of
    one header stay several), on a connection the client closes."""
    lines = ["GET /google/alpha/1?tf-hub-format=compressed HTTP/1.1", "Host: hub", *headers]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join([*lines, "Connection: close", "", ""])).encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


# First of the module: it starts granian (`_granian`), whose connections then wait out their 30 s
# (test_granian_closes_silent_slow_and_idle_connections_after_30_s, the last) while every other
# test runs.
def test_several_range_lines_are_ignored_and_several_if_none_match_lines_are_read(granian):
    """hub.md, The hosting protocol: several ranges in several `Range` lines are ignored (`200`,
    the whole file), and the ETag in any of several `If-None-Match` lines gives `304`; under
    granian, which passes repeated header lines on as they came."""
    whole = requests.get(granian.url("google/alpha/1"), params=COMPRESSED, timeout=30)
    answer = _raw(granian, "Range: bytes=0-0", "Range: bytes=1-1")
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(whole.content), answer[:200]
    answer = _raw(granian, 'If-None-Match: "other"', f"If-None-Match: {whole.headers['ETag']}")
    assert answer.startswith(b"HTTP/1.1 304 "), answer[:200]


def test_the_validate_example_prints_what_the_doc_shows(tmp_path):
    """hub.md, `tfhub validate ROOT`: the example's hub (acme/keys/1 without `format` and with
    the task `classification`, ghost/orphan/1 without a publisher doc) gives exactly the three
    lines shown, then `tfhub: 3 problem(s)`, exit status 1."""
    shown = _console_blocks("`tfhub validate ROOT`")[0]
    assert shown[0] == "$ tfhub validate hub/"
    root = tmp_path / "hub"
    _write(root, "acme/acme.md", "# Publisher acme\nAcme.\n")
    fields = "<!-- fine-tunable: false -->\n<!-- task: classification -->\n"
    _write(
        root,
        "acme/models/keys/1.md",
        MODULE.format(handle="acme/keys/1", description="Keys.", metadata=fields),
    )
    fields = (
        "<!-- task: text-embedding -->\n<!-- fine-tunable: false -->\n"
        "<!-- format: saved_model_2 -->\n"
    )
    _write(
        root,
        "ghost/models/orphan/1.md",
        MODULE.format(handle="ghost/orphan/1", description="Orphan.", metadata=fields),
    )
    done = run_tfhub("validate", "hub/", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == shown[1:-1]
    assert done.stderr.splitlines() == shown[-1:]


def test_the_validate_warning_example_prints_what_the_doc_shows(tmp_path):
    """hub.md, `tfhub validate ROOT`: an image on another host is a warning on stderr at the body
    line naming it, in the words of the example, and the exit status stays 0."""
    shown = _console_blocks("`tfhub validate ROOT`")[1]
    assert shown[0] == "$ tfhub validate hub/" and len(shown) == 3
    root = tmp_path / "hub"
    _write(root, "acme/acme.md", "# Publisher acme\nAcme.\n")
    fields = (
        "<!-- task: text-classification -->\n<!-- fine-tunable: false -->\n"
        "<!-- format: saved_model_2 -->\n"
    )
    text = MODULE.format(handle="acme/keys/2", description="Keys.", metadata=fields)
    text += "More.\n" * (11 - text.count("\n")) + "![Chart](https://cdn.example.com/chart.png)\n"
    assert text.splitlines()[11].startswith("![Chart]")  # Line 12, as the example says.
    _write(root, "acme/models/keys/2.md", text)
    done = run_tfhub("validate", "hub/", cwd=tmp_path)
    assert (done.returncode, done.stdout.splitlines()) == (0, shown[-1:]), done.stderr
    assert done.stderr.splitlines() == shown[1:-1]


def _hub(root: Path) -> Path:
    """google/alpha/1 (a model folder), google/beta/1 (an image model in French, a URL), the Tfjs
    doc google/spice/2/default/1 of google/alpha/1, and old/emb/3.tar.gz with no doc (tfhub.dev's
    storage bucket layout)."""
    write_publisher(root, "google", "Google")
    write_model_folder(
        write_model_doc(root, "google/alpha/1", description="Alpha words.", asset="1.tar.gz")
    )
    write_model_doc(
        root,
        "google/beta/1",
        description="Beta pictures.",
        task="image-classification",
        language="fr",
    )
    tfjs = (
        "# Tfjs google/spice/2/default/1\nSpice in the browser.\n\n"
        "<!-- asset-path: https://example.com/spice.tar.gz -->\n"
        "<!-- parent-model: google/alpha/1 -->\n\n## Overview\nA model.\n"
    )
    _write(root, "google/models/spice/2/default/tfjs/1.md", tfjs)
    model = root.parent / "model"
    for name, data in MODEL_FILES.items():
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_bytes(data)
    (root / "old" / "emb").mkdir(parents=True)
    pack(model, root / "old" / "emb" / "3.tar.gz")
    return root


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _hub(tmp_path_factory.mktemp("hub") / "root")


class _Waits:
    """Connections that wait for a server to close them, each in a thread started as the server
    starts (in its module fixture), so their seconds of waiting pass while the module's other
    tests run; the test that checks them joins them (`results`)."""

    def __init__(self, targets: list[Callable[[dict], None]]) -> None:
        self._found: dict[str, object] = {}
        self._threads = [
            threading.Thread(target=target, args=(self._found,), daemon=True) for target in targets
        ]
        for thread in self._threads:
            thread.start()

    def results(self, timeout: float) -> dict[str, Any]:
        """What the connections recorded, by name, once they ended (at most `timeout` s from
        now)."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        return dict(self._found)


@dataclasses.dataclass(frozen=True)
class _Serving:
    """A server of the module and its connections waiting to be closed (`_Waits`)."""

    server: Any
    waits: _Waits


@pytest.fixture(scope="module")
def _uvicorn(hub_root: Path) -> Iterator[_Serving]:
    """The `BackgroundServer` (uvicorn) on hub_root, with the connection of
    test_uvicorn_closes_a_connection_whose_body_never_comes_after_5_s opened as it starts."""
    settings = ServeSettings(
        root=str(hub_root),
        cache_dir=str(hub_root.parent / "cache"),
        access_log=False,
        rescan_seconds=0,
        uncompressed_base=BASE,
    )
    with BackgroundServer(settings) as server:
        path = "/google/alpha/1?tf-hub-format=compressed"
        body = functools.partial(_announcing_a_body, server.port, path, name="body")
        yield _Serving(server, _Waits([body]))


@pytest.fixture(scope="module")
def hub(_uvicorn: _Serving) -> BackgroundServer:
    return _uvicorn.server


@pytest.fixture(scope="module")
def _granian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Serving]:
    """`tfhub serve` (granian) on a hub like hub_root's, with the three connections of
    test_granian_closes_silent_slow_and_idle_connections_after_30_s opened as it starts."""
    work = tmp_path_factory.mktemp("granian")
    with serve_hub(_hub(work / "root"), work / "serve.log") as server:
        request = b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n"
        cases = {"nothing": (b"", b""), "trickle": (b"", request), "idle": (request, b"")}
        waits = [
            functools.partial(_closed_after, server.port, name, *sent)
            for name, sent in cases.items()
        ]
        yield _Serving(server, _Waits(waits))


@pytest.fixture(scope="module")
def granian(_granian: _Serving) -> HubProcess:
    return _granian.server


def test_the_search_boxes_take_500_characters_which_the_hub_answers(hub):
    """hub.md, Pages: the search boxes take up to 500 characters, so a pasted text never makes a
    URL longer than the hub answers: both forms say `maxlength="500"`, and 500 characters that
    each take 4 bytes of UTF-8 (12 percent-encoded) are answered, not refused as too long."""
    index = requests.get(hub.url(""), timeout=30).text
    page = requests.get(hub.url("google/alpha/1"), timeout=30).text
    boxes = re.findall(r'<input[^>]*name="q"[^>]*>', index) + re.findall(
        r'<input[^>]*name="q"[^>]*>', page
    )
    assert len(boxes) == 3 and all('maxlength="500"' in box for box in boxes), boxes
    for path in ("", "api/models"):
        answer = requests.get(hub.url(path), params={"q": "\U0001f600" * 500}, timeout=30)
        assert answer.status_code == 200, (path, answer.text[:200])


def test_each_filter_lists_apart_the_values_that_find_nothing_with_the_query(hub):
    """hub.md, Pages: each filter lists first the values that find models with the query,
    counted so, then apart ("None with the other choices") the hub's values that find none."""
    page = requests.get(hub.url(""), params={"q": "alpha"}, timeout=30).text
    for name, found, other in (
        ("task", "text-embedding", "image-classification"),
        ("language", "en", "fr"),
    ):
        select = page.split(f'<select name="{name}"', 1)[1].split("</select>", 1)[0]
        first, apart = select.split('<optgroup label="None with the other choices">')
        assert f'<option value="{found}">{found} (1)</option>' in first, select
        assert f'<option value="{other}">{other} (0)</option>' in apart and other not in first, (
            select
        )


def test_a_tfjs_doc_is_at_tfhub_devs_url_and_links_its_parent_model(hub):
    """hub.md, Pages: `# Tfjs google/spice/2/default/1` is at `/google/tfjs-model/spice/2/default/1`
    (never a version of the module it derives from) and its `parent-model` links that module's
    page; the module's page lists it among the version's other formats."""
    page = requests.get(hub.url("google/tfjs-model/spice/2/default/1"), timeout=30)
    assert page.status_code == 200 and "<title>google/tfjs-model/spice/2/default/1 " in page.text
    assert f'href="{hub.url("google/alpha/1")}"' in page.text
    for path in ("google/spice/2/default/1", "google/spice/2"):
        assert requests.get(hub.url(path), timeout=30).status_code == 404, path
    module = requests.get(hub.url("google/alpha/1"), timeout=30).text
    assert f'href="{hub.url("google/tfjs-model/spice/2/default/1")}"' in module


def test_an_archive_in_the_storage_bucket_layout_is_served_without_a_doc(hub, hub_root):
    """hub.md, The hosting protocol: `/<p>/<m>/<v>?tf-hub-format=compressed` with
    `ROOT/<p>/<m>/<v>.tar.gz` and no doc answers that archive (tfhub.dev's storage bucket)."""
    archive = (hub_root / "old" / "emb" / "3.tar.gz").read_bytes()
    answer = requests.get(hub.url("old/emb/3"), params=COMPRESSED, timeout=30)
    assert (answer.status_code, answer.content) == (200, archive)
    assert answer.headers["Cache-Control"] == "public, max-age=86400"


def test_healthz_says_the_models_and_the_scan_and_index_times(hub):
    """hub.md, Pages and the JSON API: `/healthz` says `ok 2 models; scan 0.01 s, index 0.02 s`
    (the models, a Tfjs doc among them as in the index, then the seconds of the last scan and
    index), one line."""
    text = requests.get(hub.url("healthz"), timeout=30).text
    assert re.fullmatch(r"ok 3 models; scan \d+\.\d\d s, index \d+\.\d\d s\n", text), text


UPSTREAM_303 = """
import json, sys
from tensorflow_hub import uncompressed_module_resolver
resolver = uncompressed_module_resolver.HttpUncompressedFileResolver()
print(json.dumps([
    resolver._request_gcs_location(resolver._append_uncompressed_format_query(url))
    for url in sys.argv[1:]]))
"""


def test_tensorflow_hub_reads_the_location_of_the_303(hub):
    """hub.md, The hosting protocol: `?tf-hub-format=uncompressed` is a 303 whose body and
    `Location` are what tensorflow_hub 0.16.1's resolver reads: it gets `B/<p>/<m>/<v>`, for a
    version and for the latest (named by its version)."""
    urls = [hub.url("google/alpha/1"), hub.url("google/alpha")]
    done = run_warm_python(UPSTREAM_303, *urls, timeout=120)  # Fails on a non-zero exit.
    assert done.stdout.splitlines()[-1] == f'["{BASE}/google/alpha/1", "{BASE}/google/alpha/1"]'


def _announcing_a_body(port: int, path: str, closed: list | dict, name: str = "") -> None:
    """GETs `path` announcing a 100-byte body that never comes; records how many seconds the
    server took to close the connection after its answer, a `200` (None: still open after 10 s;
    -1: closed without a `200`): appended to the list `closed`, or as its `name` in the dict."""
    head = f"GET {path} HTTP/1.1\r\nHost: hub\r\nContent-Length: 100\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        started, answer = time.monotonic(), b""
        seconds: float | None
        try:
            while chunk := sock.recv(65536):
                answer += chunk
            ok = answer.startswith(b"HTTP/1.1 200 ")
            seconds = time.monotonic() - started if ok else -1
        except TimeoutError:
            seconds = None
    if isinstance(closed, dict):
        closed[name] = seconds
    else:
        closed.append(seconds)


def test_an_archive_request_announcing_a_body_that_never_comes_is_answered_and_closed(granian):
    """hub.md, `tfhub serve ROOT`: a request whose headers announce a body that never comes is
    answered at once and its connection closed (the hub reads no body). Under granian, archive
    answers listened for the client's disconnect with `receive()`, which made granian wait for
    that body: 2 of 10 such downloads at once held their connection past 90 s."""
    closed: list[float | None] = []
    path = "/google/alpha/1?tf-hub-format=compressed"
    threads = [
        threading.Thread(target=_announcing_a_body, args=(granian.port, path, closed))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(closed) == 20 and all(t is not None and t >= 0 for t in closed), closed


def test_uvicorn_closes_a_connection_whose_body_never_comes_after_5_s(_uvicorn):
    """hub.md, `tfhub serve ROOT`: uvicorn (the `BackgroundServer`) answers such a request at once
    too, and closes its connection after 5 s, its keep-alive deadline (h11 reads no next request
    before the body). The connection was opened as the server started (`_uvicorn`)."""
    closed = _uvicorn.waits.results(timeout=30)
    assert closed["body"] is not None and 4 < closed["body"] < 10, closed


def test_the_token_example_prints_what_the_doc_shows(tmp_path):
    """hub.md, Tokens: `TFHUB_TOKEN= tfhub resolve URL` against a hub with tokens prints the
    example's line (the server's 401 quoted, then the settings to make), for this hub's URL and
    `host:port`; exit status 4, a download that failed."""
    text = DOC.read_text(encoding="utf-8")
    command = "$ TFHUB_TOKEN= tfhub resolve https://hub.corp.example/acme/emb/1\n"
    shown = text.split(command, 1)[1].split("\n", 1)[0]
    root = tmp_path / "root"
    write_publisher(root, "acme", "Acme")
    write_model_folder(write_model_doc(root, "acme/emb/1", asset="1.tar.gz"))
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token\n")
    tokens.chmod(0o600)
    with serve_hub(root, tmp_path / "serve.log", "--token-file", str(tokens)) as server:
        host = f"127.0.0.1:{server.port}"
        cache = str(tmp_path / "cache")
        env = {"TFHUB_TOKEN": "", "TFHUB_TOKEN_HOST": "", "TFHUB_CACHE_DIR": cache}
        done = run_tfhub("resolve", server.url("acme/emb/1"), **env)
    expected = shown.replace("https://hub.corp.example", f"http://{host}")
    expected = expected.replace("TFHUB_TOKEN_HOST=hub.corp.example", f"TFHUB_TOKEN_HOST={host}")
    assert (done.returncode, done.stdout) == (4, ""), done.stderr
    assert done.stderr.splitlines() == [expected]


def test_the_404_of_an_unknown_model_names_the_publishers_models_as_its_page_orders_them(tmp_path):
    """hub.md, The hosting protocol: a handle with no model is a 404 naming the publisher's models
    (ten at most), in the order of the publisher's page, whatever the case (`acme/alpha`,
    `acme/LaBSE`, `acme/zeta`); a plain sort put the capitals first, so the ten named were not
    the first ten of the page."""
    root = tmp_path / "root"
    write_publisher(root, "acme", "Acme")
    names = ["LaBSE", "alpha", "zeta", *(f"m{number:02}" for number in range(10))]
    for name in names:
        write_model_doc(root, f"acme/{name}/1")
    settings = ServeSettings(root=str(root), cache_dir=str(tmp_path / "cache"), access_log=False)
    with BackgroundServer(settings) as server:
        answer = requests.get(server.url("acme/none/1"), params=COMPRESSED, timeout=30)
        page = requests.get(server.url("acme"), timeout=30).text
    ordered = sorted(names, key=str.casefold)
    shown = ", ".join(f"acme/{name}" for name in ordered[:10])
    assert answer.status_code == 404
    assert (
        answer.text
        == f"404 Not Found: no model acme/none/1: the publisher acme has {shown} and 3 more.\n"
    )
    linked = re.findall(r'href="http://127\.0\.0\.1:\d+/(acme/[^/"]+)/1"', page)
    assert linked[:10] == [f"acme/{name}" for name in ordered[:10]]


@pytest.mark.parametrize(
    "module, name, keywords",
    [
        ("tfhub.hub.validator", "validate_tree", ["root"]),
        ("tfhub.hub.validator", "validate_file", ["path", "root"]),
        ("tfhub.hub.validator", "validate_doc", ["doc"]),
        ("tfhub.hub.validator", "Problem", ["path", "line", "message"]),
        ("tfhub.hub.doc_warnings", "content_warnings", ["doc"]),
        ("tfhub.hub.pack", "pack", ["model_dir", "output"]),
        ("tfhub.hub.publish", "publish", ["model_dir", "root", "handle", "doc", "info", "force"]),
        ("tfhub.hub.starter", "StarterInfo", ["description", "task", "license"]),
        ("tfhub.hub.app", "create_app", []),
        ("tfhub.hub.settings", "ServeSettings", ["root"]),
    ],
)
def test_the_library_calls_hub_md_names_take_what_it_says(module, name, keywords):
    """hub.md's "Library:" lines: each function or class named is there and takes the arguments
    written (`validate_file(path, root=...)`, `publish(..., doc=..., info=..., force=...)`,
    `StarterInfo(description=..., task=..., license=...)`), and the validator re-exports
    `content_warnings`."""
    found = getattr(importlib.import_module(module), name)
    assert set(keywords) <= set(inspect.signature(found).parameters)
    assert validator.content_warnings is doc_warnings.content_warnings


def test_the_serve_example_prints_what_the_command_prints(tmp_path):
    """hub.md, `tfhub serve ROOT`: the example's first line names the hub folder, the address
    it listens on and, given `--base-url`, the public URL (the doc left that part out)."""
    shown = _console_blocks("`tfhub serve ROOT`")[0]
    assert shown[1].startswith("$ tfhub serve hub/ --host 0.0.0.0 --port 8000 ")
    root = tmp_path / "hub"
    (root / "assets" / "docs").mkdir(parents=True)
    base = "https://hub.corp.example"
    with serve_hub(root, tmp_path / "serve.log", "--base-url", base) as server:
        printed = server.access_log().splitlines()[0]
    expected = shown[2].replace("/srv/hub", str(root))
    assert printed == expected.replace("0.0.0.0:8000", f"127.0.0.1:{server.port}")


def _closed_after(port: int, name: str, first: bytes, trickle: bytes, seconds: dict) -> None:
    """Opens a connection, sends `first`, then `trickle` a byte every 5 s; records in `seconds`
    when the server closed it (None: open after 50 s) and whether it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        started = last = time.monotonic()
        sock.sendall(first)
        answer, sent = b"", 0
        while time.monotonic() - started < 50:
            try:
                if sent < len(trickle) and time.monotonic() - last > 5:
                    sock.sendall(trickle[sent : sent + 1])
                    sent, last = sent + 1, time.monotonic()
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # Reset by the server while a byte was sent: closed.
                chunk = b""
            if not chunk:
                seconds[name] = (time.monotonic() - started, answer[:15])
                return
            answer += chunk
        seconds[name] = (None, answer[:15])


def test_mirror_ends_as_resolve_does_when_the_source_cannot_be_fetched(hub, tmp_path):
    """hub.md, `tfhub publish` exit statuses: `mirror` also ends as `tfhub resolve` does when the
    source cannot be fetched: 3 offline (TFHUB_OFFLINE), 4 download failed (here the source hub's
    404); one line, and no hub folder is made."""
    source = hub.url("google/none/1")
    cache = str(tmp_path / "cache")
    failed = run_tfhub("mirror", source, "hub/", cwd=tmp_path, TFHUB_CACHE_DIR=cache)
    offline = run_tfhub(
        "mirror", source, "hub/", cwd=tmp_path, TFHUB_CACHE_DIR=cache, TFHUB_OFFLINE="1"
    )
    assert failed.returncode == 4 and failed.stderr.startswith("tfhub: download failed: ")
    assert offline.returncode == 3 and offline.stderr.startswith("tfhub: offline: ")
    for done in (failed, offline):
        assert len(done.stderr.splitlines()) == 1, done.stderr
    assert not (tmp_path / "hub").exists()


def test_granian_closes_silent_slow_and_idle_connections_after_30_s(_granian):
    """hub.md, `tfhub serve ROOT`: under granian (the default server), a connection whose request
    headers have not all arrived 30 s after it opened is closed, whether it sends nothing or a
    byte every 5 s (slowloris), and a keep-alive connection idle for 30 s after an answer too.
    The connections were opened as the server started (`_granian`): granian's 30 s is its own
    (tfhub has no setting for it), so they pass while the module's other tests run."""
    seconds = _granian.waits.results(timeout=60)
    assert len(seconds) == 3, seconds
    assert seconds["idle"][1] == b"HTTP/1.1 200 OK" and seconds["nothing"][1] == b"", seconds
    assert seconds["trickle"][1] == b"", seconds
    for name, (closed, _) in seconds.items():
        assert closed is not None and 25 < closed < 45, (name, seconds)

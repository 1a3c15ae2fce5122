"""Hub folders (ROOT, tfhub.dev's layout) and `tfhub serve` processes for the serving tests."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

SRC = str(Path(__file__).resolve().parents[2] / "src")

PUBLISHER_DOC = """# Publisher {publisher}
{title}.

[![Icon URL]](https://example.com/icon.png)

## {title}
Models published by {title} for the serving tests.
"""

MODEL_DOC = """# Module {handle}
{description}

<!-- asset-path: {asset} -->
<!-- task: {task} -->
<!-- network-architecture: {architecture} -->
<!-- dataset: {dataset} -->
<!-- language: {language} -->
<!-- fine-tunable: {fine_tunable} -->
<!-- format: saved_model_2 -->
<!-- license: {license} -->

## Overview
{body}
"""


def signature_summary_json(*, input_name: str = "x", output_name: str = "y") -> dict:
    """A signature summary in the schema of `tfhub.hub.signatures` (schema 1)."""
    tensor_in = {"name": input_name, "dtype": "float32", "shape": [None, 3]}
    tensor_out = {"name": output_name, "dtype": "float32", "shape": [None, 1]}
    return {
        "schema": 1,
        "format": "TF2 SavedModel",
        "doc_format": "saved_model_2",
        "files_bytes": 1234,
        "variables": {"count": 2, "bytes": 16},
        "meta_graphs": [
            {
                "tags": ["serve"],
                "signatures": {"serving_default": {"inputs": [tensor_in], "outputs": [tensor_out]}},
            }
        ],
        "call": None,
    }


def write_publisher(root: Path, publisher: str, title: str) -> None:
    folder = root / "assets" / "docs" / publisher
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{publisher}.md").write_text(PUBLISHER_DOC.format(publisher=publisher, title=title))


def hub_readable_by_all(shared: Path, *handles: str) -> Path:
    """A hub folder `shared/hub` with the docs of `handles` and their publishers (`acme` titled
    "Acme"), every folder under `shared` made 0755: another user (`cache_users.run_as_user`)
    may read all of it until a test takes a permission away."""
    root = shared / "hub"
    for handle in handles:
        publisher = handle.split("/", 1)[0]
        write_publisher(root, publisher, publisher.title())
        write_model_doc(root, handle)
    for folder, _, _ in os.walk(shared):
        os.chmod(folder, 0o755)
    return root


def write_model_doc(root: Path, handle: str, **fields: str) -> Path:
    """Writes the doc of `publisher/model/version` and returns its path."""
    publisher, rest = handle.split("/", 1)
    model, version = rest.rsplit("/", 1)
    doc = root / "assets" / "docs" / publisher / "models" / model / f"{version}.md"
    doc.parent.mkdir(parents=True, exist_ok=True)
    values = {
        "description": f"The model {model}.",
        "asset": "https://example.com/model.tar.gz",
        "task": "text-embedding",
        "architecture": "mlp",
        "dataset": "synthetic",
        "language": "en",
        "fine_tunable": "true",
        "license": "apache-2.0",
        "body": "A small model.",
    }
    values.update(fields)
    doc.write_text(MODEL_DOC.format(handle=handle, **values))
    return doc


def write_model_folder(doc: Path, files: dict[str, bytes] | None = None) -> Path:
    """Writes `files` (default: the small model of `archives.MODEL_FILES`) into the model
    folder beside `doc` (`<version>/` beside `<version>.md`), which the hub packs on the first
    download; returns the folder."""
    from .archives import MODEL_FILES

    folder = doc.with_suffix("")
    for name, data in (MODEL_FILES if files is None else files).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def write_signatures(doc: Path, summary: dict) -> None:
    doc.with_name(doc.name[: -len(".md")] + ".signatures.json").write_text(json.dumps(summary))


def raw_request(
    port: int, path: str, headers: dict[str, str] | None = None, *, method: str = "GET"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """(status, headers, body) of a request to 127.0.0.1:`port` whose path is sent exactly as
    written (requests would normalise it), with only the `headers` given (and Host)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def raw_target_get(port: int, target: bytes) -> tuple[str, str]:
    """(status line, body) of `GET target` to 127.0.0.1:`port`, the target's bytes sent as
    given (raw UTF-8 or bytes that are no UTF-8, which `raw_request`'s http.client refuses)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: hub.test\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode(), body.decode("utf-8", "replace")


def has_ipv6_loopback() -> bool:
    """Whether this machine can listen on ::1, the IPv6 loopback."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HubProcess:
    """A `tfhub serve` child process on 127.0.0.1; `url(path)` gives an address on it."""

    def __init__(self, proc: subprocess.Popen, port: int, log: Path, root: Path) -> None:
        self.proc = proc
        self.port = port
        self.log = log
        self.root = root

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def access_log(self) -> str:
        return self.log.read_text(errors="replace")

    def stop_with_sigterm(self, *, timeout: float) -> tuple[int, float]:
        """Sends SIGTERM to the server's process group (as a Ctrl-C or systemd does) and waits
        for the server to exit.

        Args:
            timeout: how many seconds to wait; the test fails (with the log) past that.

        Returns:
            (the exit status, the seconds from the signal to the exit).
        """
        import pytest

        started = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            command = " ".join(str(arg) for arg in self.proc.args[3:])  # serve ROOT --port ...
            pytest.fail(
                f"{command}: still running {timeout:g} s after SIGTERM: {self.access_log()}"
            )
        return status, time.monotonic() - started


@contextmanager
def serve_hub(
    root: Path, log: Path, *options: str, timeout: float = 60, port: int = 0, prelude: str = ""
) -> Iterator[HubProcess]:
    """Runs `tfhub serve ROOT *options` until the block ends (SIGTERM, then SIGKILL); the
    child runs the Python statement `prelude` first."""
    port = port or free_port()
    code = f"{prelude}\nimport sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=SRC)
    env.pop("TFHUB_SERVE_SETTINGS", None)
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", str(root), "--port", str(port), *options],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = HubProcess(proc, port, log, root)
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        _stop(proc)


def _wait_healthy(server: HubProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            raise RuntimeError(f"tfhub serve exited: {server.access_log()[-3000:]}")
        try:
            if requests.get(server.url("healthz"), timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"tfhub serve did not start: {server.access_log()[-3000:]}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass


class CuttingProxy:
    """A TCP proxy on 127.0.0.1 that cuts its first connection after `cut_after` bytes of answer.

    Later connections are passed through whole, so a client that resumes with Range succeeds.
    """

    def __init__(self, target_port: int, *, cut_after: int) -> None:
        import threading

        self.target_port = target_port
        self.cut_after = cut_after
        self.connections = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def _accept(self) -> None:
        import threading

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            limit = self.cut_after if self.connections == 1 else None
            threading.Thread(target=self._serve, args=(client, limit), daemon=True).start()

    def _serve(self, client: socket.socket, limit: int | None) -> None:
        import threading

        upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)

        def forward_requests() -> None:
            try:
                while data := client.recv(65536):
                    upstream.sendall(data)
            except OSError:
                pass

        threading.Thread(target=forward_requests, daemon=True).start()
        sent = 0
        try:
            while data := upstream.recv(65536):
                if limit is not None and sent + len(data) >= limit:
                    client.sendall(data[: limit - sent])
                    break
                client.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def close(self) -> None:
        """Stops accepting: connections are refused from now on (a listening socket closed while
        a thread waits in accept() goes on accepting on Linux; shutdown wakes that thread)."""
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()


NGINX_MAIN = """
user {user};
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {access_log};
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/server.conf;
}}
"""
NGINX_BINARIES = ("/usr/sbin/nginx", "/usr/bin/nginx")


def nginx_binary() -> str | None:
    """Debian's nginx, if installed."""
    import shutil

    return shutil.which("nginx") or next((b for b in NGINX_BINARIES if os.path.exists(b)), None)


@contextmanager
def run_nginx(
    server_conf: str,
    tmp: Path,
    *,
    port: int,
    workers: int = 1,
    access_log: bool = True,
    preexec_fn: Callable[[], None] | None = None,
) -> Iterator[str]:
    """Runs nginx (own config and pid in `tmp`) with one `server` block; yields its base URL.
    `preexec_fn` runs in the child before nginx starts (the benchmarks' `die_with_parent`)."""
    import getpass

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "server.conf").write_text(server_conf)
    log = f"{tmp}/access.log" if access_log else "off"
    main = NGINX_MAIN.format(user=getpass.getuser(), workers=workers, tmp=tmp, access_log=log)
    (tmp / "nginx.conf").write_text(main)
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    proc = subprocess.Popen(
        [binary, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-g", "daemon off;"],
        start_new_session=True,
        stderr=subprocess.PIPE,
        preexec_fn=preexec_fn,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                requests.get(base + "/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield base
    finally:
        proc.send_signal(signal.SIGQUIT)  # Graceful stop of the master and its workers.
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

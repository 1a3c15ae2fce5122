"""Defect 2 of session 55: uvicorn (`tfhub serve --server uvicorn`, the in-process server)
answered a request line in absolute form (`GET http://host:port/acme/emb/1 HTTP/1.1`, what an
HTTP proxy sends upstream and some clients send) with Starlette's bare 404: its ASGI `path` was
the whole URL. RFC 9112 3.2.2: a server MUST accept the absolute form, and an origin server
MUST use the host of the target in place of the Host header. granian already served it."""

from __future__ import annotations

import json
import socket

from tests._helpers.hub_server import write_model_doc, write_model_folder, write_publisher

from tfhub.hub.runner import BackgroundServer
from tfhub.hub.settings import ServeSettings


def _raw(port: int, target: str, host: str) -> tuple[bytes, bytes]:
    """(status line, body) of `GET target` sent as written, with `Host: host`."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], body


def test_an_absolute_form_request_line_is_served_as_its_path(tmp_path):
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    write_model_folder(write_model_doc(root, "acme/emb/1", asset="1"))
    settings = ServeSettings(root=str(root), cache_dir=str(tmp_path / "cache"))
    with BackgroundServer(settings) as server:
        origin = f"127.0.0.1:{server.port}"
        status, body = _raw(server.port, "/acme/emb/1?tf-hub-format=compressed", origin)
        assert status == b"HTTP/1.1 200 OK" and body[:2] == b"\x1f\x8b"
        for target in (
            f"http://{origin}/acme/emb/1?tf-hub-format=compressed",
            f"HTTP://{origin}/acme/%65mb/1?tf-hub-format=compressed",
        ):
            assert _raw(server.port, target, origin) == (status, body), target
        status, body = _raw(server.port, f"http://{origin}", origin)
        assert status == b"HTTP/1.1 200 OK" and b"emb" in body  # The home page, path "/".
        # The target's host, not the Host header, is the request's (the API's URLs say so).
        status, body = _raw(server.port, "http://hub.example:8080/api/models", "other.example")
        assert status == b"HTTP/1.1 200 OK"
        urls = [model["url"] for model in json.loads(body)["models"]]
        assert urls == ["http://hub.example:8080/acme/emb/1"], urls

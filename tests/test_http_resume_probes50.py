"""A broken download is resumed only when the server names the file's version (review50a-F3).

Without an ETag or Last-Modified, `Range: bytes=N-` was sent without `If-Range` and a 206 taken
for the rest of the same file: a file replaced on the server meanwhile was installed spliced
(old first half, new second half), and `verify --deep` called it OK. A real server on 127.0.0.1.
"""

from __future__ import annotations

import io
import tarfile

from tests._helpers.archives import read_tree

import tfhub as hub

_FILES = ("saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001")


def _tar(fill: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, count in zip(_FILES, (100, 10, 50000), strict=True):
            info = tarfile.TarInfo(name)
            info.size = count
            tar.addfile(info, io.BytesIO(fill * count))
    return buf.getvalue()


_OLD, _NEW = _tar(b"A"), _tar(b"B")


def _replaced_meanwhile(*, etag: bool, honest_total: bool = True):
    """The first GET gets half of the old file and a drop; every later request gets the new
    file (a Range request: its tail, 206). With `etag`, both answers carry the SAME ETag (a
    server that does not notice the change); without it, neither has a validator. Without
    `honest_total`, the 206 names a total other than the first Content-Length."""
    state = {"first": True}

    def behaviour(handler, path, query) -> bool:
        if not path.endswith("model.tar"):
            return False
        first, state["first"] = state["first"], False
        rng = handler.headers.get("Range")
        start = int(rng[6:].split("-")[0]) if rng else 0
        body = (_OLD if first else _NEW)[start:]
        handler.send_response(206 if rng else 200)
        if rng:
            total = len(_NEW) if honest_total else len(_NEW) + 512
            handler.send_header("Content-Range", f"bytes {start}-{len(_NEW) - 1}/{total}")
        if etag:
            handler.send_header("ETag", '"same"')
        handler.send_header("Content-Length", str(len(_OLD if first else body)))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2] if first else body)
        handler.wfile.flush()
        handler.close_connection = True
        return True

    return behaviour


def _only(fill: bytes, entry: str) -> None:
    tree = read_tree(entry)
    assert sorted(tree) == sorted(_FILES)
    for name, data in tree.items():
        assert set(data) == {fill[0]}, (
            f"{name} is spliced: {data.count(b'A')} A, {data.count(b'B')} B"
        )


def test_a_server_without_validators_is_not_resumed_but_downloaded_again(server, monkeypatch):
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.01)
    server.state.behaviours.append(_replaced_meanwhile(etag=False))
    entry = hub.resolve(server.url("model.tar"))
    _only(b"B", entry)
    assert not any("Range" in headers for _, _, headers in server.state.requests)


def test_a_part_of_a_file_of_another_size_is_not_spliced_on(server, monkeypatch):
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.01)
    server.state.behaviours.append(_replaced_meanwhile(etag=True, honest_total=False))
    entry = hub.resolve(server.url("model.tar"))
    _only(b"B", entry)

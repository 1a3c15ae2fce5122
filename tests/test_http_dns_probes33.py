"""Host-name lookups of a resolver that never answers do not pile up threads.

getaddrinfo has no timeout, so `_http_dns.resolve_within` asks it in a "tfhub-dns" thread and
waits at most the connect timeout; the thread of a lookup that timed out lives on until the
system resolver gives up (up to ~30 s with glibc). Each attempt of each handle started its own:
ten handles in a row on a dead resolver left ten threads blocked on the same name. The system
resolver is stood in for by socket.getaddrinfo blocking until the test ends (a resolver that
never answers cannot be reached offline); the threads and lookups are tfhub's own.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree

import tfhub as hub
from tfhub import errors

_STUCK = "stuck.test"


@pytest.fixture
def dead_resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Makes resolving _STUCK block until the test ends (other names resolve as ever); yields
    the list of names asked, one entry per getaddrinfo call."""
    import requests  # noqa: F401  # Imported now, not inside a lookup.

    real = socket.getaddrinfo
    release = threading.Event()
    asked: list[str] = []

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        asked.append(str(host))
        if host == _STUCK:
            release.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    monkeypatch.setenv("NO_PROXY", _STUCK)
    try:
        yield asked
    finally:
        release.set()
        for thread in _dns_threads():
            thread.join(5)


def _dns_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "tfhub-dns"]


def test_handles_in_a_row_on_a_dead_resolver_share_one_lookup(dead_resolver, isolated_cache):
    before = len(_dns_threads())
    for number in range(6):
        with pytest.raises(errors.ConnectionFailedError, match=r"cannot be resolved \(DNS\)"):
            hub.resolve(f"http://{_STUCK}:9/m{number}.tar.gz")
    assert dead_resolver.count(_STUCK) == 1  # One lookup under way, joined by the others.
    assert len(_dns_threads()) - before <= 1


def test_a_name_is_looked_up_again_once_its_lookup_ended(
    server, served_dir, isolated_cache, monkeypatch
):
    """Nothing is cached: a lookup joined only while it runs; each resolve asks again."""
    make_tar_gz(served_dir / "m.tar.gz")
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        asked.append(str(host))
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    url = server.url("m.tar.gz").replace("127.0.0.1", "localhost")
    assert read_tree(hub.resolve(url)) == MODEL_FILES
    assert read_tree(hub.resolve(url + "?again")) == MODEL_FILES
    assert asked.count("localhost") == 2


def test_a_forked_child_does_not_join_its_parents_lookups(dead_resolver, isolated_cache):
    """The child has none of the parent's threads: a lookup under way there would never end in
    it, and every lookup of that name in the child would time out."""
    from tfhub.utils import threads

    with pytest.raises(errors.ConnectionFailedError):
        hub.resolve(f"http://{_STUCK}:9/m.tar.gz")
    assert threads.running_keys()  # The parent's lookup is still under way.
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: exits at once.
        os._exit(0 if not threads.running_keys() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0

"""Downloads through combinations of faults Hypothesis picks (5xx and 429 answers, connections
dropped mid-body, servers that ignore Range, a new archive published between a drop and the
resume, an HTML page instead of the archive): `hub.resolve` gives the files of one whole
archive or raises a tfhub download or archive error, and the cache holds a complete entry or
none, with no leftovers."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st
from tests._helpers.archives import make_tar_gz, read_tree
from tests._helpers.http_server import answer_html, answer_status, drop_mid_body, ignore_range
from tests._helpers.properties import property_settings

import tfhub as hub
from tfhub import errors
from tfhub.cache import health

OLD = {"saved_model.pb": b"old", "variables/data": os.urandom(200_000)}
NEW = {"saved_model.pb": b"new", "variables/data": os.urandom(250_000)}

_FAULT = st.one_of(
    st.builds(
        lambda status, times: ("status", status, times),
        st.sampled_from([500, 503, 429]),
        st.integers(1, 3),
    ),  # fmt: skip
    st.builds(
        lambda after, times: ("drop", after, times), st.integers(1, 150_000), st.integers(1, 2)
    ),  # fmt: skip
    st.builds(lambda after: ("replace", after, 1), st.integers(1, 150_000)),
    st.just(("ignore_range", 0, 0)),
    st.just(("html", 0, 1)),
)


def _behaviour(fault, served: Path):
    kind, value, times = fault
    if kind == "status":
        return answer_status("m.tar.gz", value, times=times)
    if kind == "drop":
        return drop_mid_body("m.tar.gz", after=value, times=times)
    if kind == "replace":  # A new version is published between the drop and the resume.
        return drop_mid_body(
            "m.tar.gz",
            after=value,
            on_drop=lambda: os.replace(served / "new.tar.gz", served / "m.tar.gz"),  # fmt: skip
        )
    if kind == "ignore_range":
        return ignore_range("m.tar.gz")
    html = answer_html("m.tar.gz")
    fired = []

    def once(handler, path, query):  # An HTML page, once (a login page, then the archive).
        if fired:
            return False
        fired.append(True)
        return html(handler, path, query)

    return once


@property_settings(40)
@given(faults=st.lists(_FAULT, max_size=4))
def test_resolve_gives_one_whole_archive_or_a_tfhub_error(
    server, served_dir, tmp_path_factory, monkeypatch, faults
):
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "3")
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.001)
    monkeypatch.setattr("tfhub._http.RETRY_AFTER_MAX_SEC", 0.01)
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(cache))
    make_tar_gz(served_dir / "m.tar.gz", OLD)
    make_tar_gz(served_dir / "new.tar.gz", NEW)
    server.state.behaviours[:] = [_behaviour(fault, served_dir) for fault in faults]
    try:
        path = hub.resolve(server.url("m.tar.gz"))
    except (errors.DownloadError, errors.ArchiveError) as err:
        event(f"failed: {type(err).__name__}")
        path = None
    names = sorted(os.listdir(cache))
    entries = [name for name in names if "." not in name]
    assert not [name for name in names if name.endswith(".tmp")], names
    if path is None:
        assert entries == [], names  # A failed download leaves no entry.
    else:
        assert entries == [os.path.basename(path)]
        tree = read_tree(path)
        assert tree in (OLD, NEW)  # One archive, never a splice of two.
        event("resolved: " + ("old" if tree == OLD else "new"))
        assert health.full_damage(path) is None

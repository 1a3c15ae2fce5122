"""The hub server's app on requests Hypothesis makes (paths with dots, slashes, percent-escapes,
non-ASCII, the protocol's queries, any method): every answer is an HTTP answer below 500, and
nothing from outside the hub folder is ever in a body. A 500 is only for a folder version the
server refuses to pack (it links out of the hub folder), and says so."""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from tests._helpers.archives import make_tar_gz
from tests._helpers.asgi import asgi_request
from tests._helpers.hub_server import write_model_doc, write_model_folder, write_publisher
from tests._helpers.properties import property_settings

pytest.importorskip("starlette", reason="the hub server's packages: pip install 'tfhub[hub]'")
from tfhub.hub.app import create_app
from tfhub.hub.settings import ServeSettings

SECRET = b"SECRET-OUTSIDE-THE-HUB-FOLDER"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A hub folder with an archive version, a folder version, a publisher, and beside it
    (outside) a secret file, which a third (folder) version links to."""
    base = tmp_path_factory.mktemp("hub")
    root, outside = base / "root", base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    write_publisher(root, "test", "Test Lab")
    doc = write_model_doc(root, "test/half-plus-two/1", description="Halves and adds two.")
    make_tar_gz(doc.with_name("1.tar.gz"))
    folder_doc = write_model_doc(root, "test/half-plus-two/2", description="A folder version.")
    write_model_folder(folder_doc)
    linked_doc = write_model_doc(root, "test/half-plus-two/3", description="A link out.")
    write_model_folder(linked_doc)
    os.symlink(outside / "secret.txt", linked_doc.parent / "3" / "assets_link.txt")
    settings = ServeSettings(
        root=str(root), cache_dir=str(base / "cache"), access_log=False, rescan_seconds=0
    )
    return create_app(settings)


_SEGMENT = st.one_of(
    st.sampled_from(
        [
            "test",
            "half-plus-two",
            "1",
            "2",
            "3",
            "latest",
            "..",
            ".",
            "",
            "%2e%2e",
            "%2F",
            "assets_link.txt",
            "saved_model.pb",
            "variables",
            "api",
            "static",
            "search",
            "healthz",
            "1.tar.gz",
            "..%2F..%2Foutside",
            "%00",
            "models",
            "collections",
            "publisher",
        ]
    ),  # fmt: skip
    st.text(alphabet="abz09-_.~%/é²٣", max_size=12).map(
        lambda text: urllib.parse.quote(text, safe="%/")
    ),
)
_NUMBER = st.one_of(
    st.integers(-5, 10**20).map(str), st.text(alphabet="0123456789²٣-+ .e", max_size=6)
)
_QUERY = st.one_of(
    st.just(""),
    st.builds(  # The JSON API's paging and search.
        lambda name, value: f"{name}={urllib.parse.quote(value)}",
        st.sampled_from(["offset", "limit", "q", "task", "publisher"]),
        _NUMBER,
    ),
    st.sampled_from(
        [
            "tf-hub-format=compressed",
            "tf-hub-format=uncompressed",
            "q=text",
            "tf-hub-format=",
            "tf-hub-format=%ff",
            "q=%00",
            "page=-1",
            "page=x",
        ]
    ),  # fmt: skip
    st.text(alphabet="abq=&%09-", max_size=16),
)


@property_settings(150)
@given(
    method=st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "OPTIONS"]),
    segments=st.one_of(  # Below a model most of the time, where the protocol answers.
        st.builds(lambda tail: ["test", "half-plus-two", *tail], st.lists(_SEGMENT, max_size=3)),
        st.builds(lambda tail: ["api", "models", *tail], st.lists(_SEGMENT, max_size=3)),
        st.lists(_SEGMENT, min_size=1, max_size=6),
    ),
    query=_QUERY,
)
@example(method="GET", segments=["test", "half-plus-two", "2"], query="tf-hub-format=compressed")
@example(method="GET", segments=["api", "models"], query="offset=%C2%B2")  # "²".isdigit()
@example(method="GET", segments=["api", "models"], query="limit=" + "9" * 5000)  # int() refuses
@example(method="GET", segments=["test", "half-plus-two", "%C2%B2"], query="")
@example(method="GET", segments=[""], query="start=%C2%B2")
@example(method="GET", segments=["test", "half-plus-two", "3"], query="tf-hub-format=compressed")
@example(method="GET", segments=["test", "half-plus-two", "3", "assets_link.txt"], query="")
def test_any_request_gets_an_answer_and_nothing_from_outside(app, method, segments, query):
    raw_path = ("/" + "/".join(segments)).encode("ascii")
    status, body = asgi_request(app, method, raw_path, query.encode("ascii"), waits=True)
    event(f"status {status}")  # pytest --hypothesis-show-statistics shows what was reached.
    # The version whose folder holds a link out is refused as not servable: a 404, not a 500.
    assert 200 <= status < 500, (status, body[:300])
    assert SECRET not in body
    if body[:2] == b"\x1f\x8b":  # An archive: its members hold no secret either.
        import gzip

        assert SECRET not in gzip.decompress(body)


def test_an_archive_is_sent_to_a_receive_that_never_waits(app):
    """Servers wait in `receive` until the client disconnects; one answering at once, again
    and again, made the disconnect listener spin and starve the sending for ever."""
    import threading

    answers: list[tuple[int, bytes]] = []
    raw_path, query = b"/test/half-plus-two/1", b"tf-hub-format=compressed"
    worker = threading.Thread(
        target=lambda: answers.append(asgi_request(app, "GET", raw_path, query)),
        daemon=True,  # Left behind if it hangs.
    )
    worker.start()
    worker.join(timeout=30)
    assert answers and answers[0][0] == 200 and answers[0][1][:2] == b"\x1f\x8b"

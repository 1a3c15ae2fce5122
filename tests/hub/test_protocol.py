"""tfhub.hub.protocol: path checks, the format query and the file-answer planner."""

from __future__ import annotations

import os

import pytest

from tfhub.hub import protocol

ETAG = protocol.file_etag(100, 123)


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("/", []),
        (
            "/google/imagenet/mobilenet_v2_100_224/feature_vector/5",
            ["google", "imagenet", "mobilenet_v2_100_224", "feature_vector", "5"],
        ),
        ("/a/b/1/", ["a", "b", "1"]),
        ("/a//b", None),
        ("//etc/passwd", None),
        ("/a/../b", None),
        ("/a/./b", None),
        ("/.git/config", None),
        ("/a\\b", None),
        ("/a/%2e%2e", None),
        ("/a/b c", None),
        ("/a/\x00", None),
        ("relative", None),
    ],
)
def test_split_path(path, segments):
    assert protocol.split_path(path) == segments


@pytest.mark.parametrize(
    ("raw_path", "segments"),
    [
        (b"/acme/emb/1", ["acme", "emb", "1"]),
        (b"/acme/%65mb/1", ["acme", "emb", "1"]),
        (b"/acme%2Femb%2f1", None),
        (b"/acme%5Cemb/1", None),
        (None, ["acme", "emb", "1"]),
    ],
)
def test_request_segments_refuse_an_encoded_slash(raw_path, segments):
    """The server gives `path` decoded (`/acme%2Femb%2f1` as `/acme/emb/1`)."""
    assert protocol.request_segments("/acme/emb/1", raw_path) == segments


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ({}, None),
        ({"tf-hub-format": ["compressed"]}, "compressed"),
        ({"tf-hub-format": ["uncompressed"]}, "uncompressed"),
        ({"tf-hub-format": ["future, compressed"]}, "compressed"),
        ({"tf-hub-format": ["COMPRESSED"]}, "compressed"),
        ({"tf-hub-format": ["zip"]}, ""),
    ],
)
def test_requested_format(query, wanted):
    assert protocol.requested_format(query) == wanted


HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("headers", "status", "start", "end"),
    [
        ({}, 200, 0, 100),
        ({"range": "bytes=10-"}, 206, 10, 100),
        ({"range": "bytes=10-19"}, 206, 10, 20),
        ({"range": "bytes=90-500"}, 206, 90, 100),
        ({"range": "bytes=-5"}, 206, 95, 100),
        ({"range": "bytes=-500"}, 206, 0, 100),
        ({"range": "bytes=100-"}, 416, 0, 0),
        ({"range": "bytes=-0"}, 416, 0, 0),
        ({"range": "bytes=5-2"}, 200, 0, 100),  # Invalid: ignored, as RFC 9110 allows.
        ({"range": "bytes=0-1,5-6"}, 200, 0, 100),  # Several ranges: the whole file.
        ({"range": "items=0-1"}, 200, 0, 100),
        ({"range": "bytes=10-", "if-range": ETAG}, 206, 10, 100),
        ({"range": "bytes=10-", "if-range": '"other"'}, 200, 0, 100),
        ({"if-none-match": ETAG}, 304, 0, 0),
        ({"if-none-match": f'"x", W/{ETAG}'}, 304, 0, 0),
        ({"if-none-match": "*"}, 304, 0, 0),
        ({"if-none-match": '"x"', "range": "bytes=1-"}, 206, 1, 100),
        # Positions longer than int() reads (4,300 digits) are past the end of any file.
        ({"range": f"bytes={HUGE}-"}, 416, 0, 0),
        ({"range": f"bytes=10-{HUGE}"}, 206, 10, 100),
        ({"range": f"bytes=-{HUGE}"}, 206, 0, 100),
        ({"range": f"bytes={HUGE}-{HUGE}"}, 416, 0, 0),
        ({"range": f"bytes={HUGE}1-{HUGE}"}, 200, 0, 100),  # last < first: ignored.
        ({"range": f"bytes={'0' * 5000}10-{'0' * 5000}19"}, 206, 10, 20),
        ({"range": "bytes=\u0661-"}, 200, 0, 100),  # An Arabic-Indic digit: malformed.
    ],
)
def test_plan_file(headers, status, start, end):
    plan = protocol.plan_file(headers, size=100, etag=ETAG)
    assert (plan.status, plan.start, plan.end) == (status, start, end)
    assert plan.headers["ETag"] == ETAG
    if status in (200, 206):
        assert plan.headers["Content-Length"] == str(end - start)
        assert plan.headers["Accept-Ranges"] == "bytes"
    if status == 206:
        assert plan.headers["Content-Range"] == f"bytes {start}-{end - 1}/100"
    if status == 416:
        assert plan.headers["Content-Range"] == "bytes */100"


def test_folder_file_maps_compressed_names_and_stays_inside(tmp_path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "m.tar.gz").write_bytes(b"x")
    (root / "a" / "notes.txt").write_text("y")
    (tmp_path / "outside.tar.gz").write_bytes(b"z")
    os.symlink(tmp_path / "outside.tar.gz", root / "a" / "out.tar.gz")
    file = protocol.folder_file
    assert file(str(root), ["a", "m"], compressed=True) == str(root / "a" / "m.tar.gz")
    assert file(str(root), ["a", "m"], compressed=False) is None
    assert file(str(root), ["a", "m.tar.gz"], compressed=False) == str(root / "a" / "m.tar.gz")
    assert file(str(root), ["a", "notes.txt"], compressed=False) == str(root / "a" / "notes.txt")
    assert file(str(root), ["a", "notes.txt"], compressed=False, archives_only=True) is None
    assert file(str(root), ["a", "out"], compressed=True) is None
    assert file(str(root), [], compressed=True) is None

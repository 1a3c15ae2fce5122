"""One answer to "is this path a URL (gs://, ram://, ...) or a local path?" (session 45).

tfhub asked it in three places with two behaviours: `gfile_io.is_url` took a str, bytes or
os.PathLike (as tf.io.gfile does), while `cache.layout.is_remote` (the hot path of a cached
resolve) and the nearest-neighbour tool's `storage.is_remote` took a str only and raised
TypeError for bytes or a pathlib.Path. On a str all three agreed: "://" anywhere in it. The
table pins that union: a str answered as before, bytes and os.PathLike answered as their
decoded str, anything else a TypeError; and each name is the one function of
`tfhub.utils.paths`.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import pytest

from tfhub import cache, gfile_io
from tfhub.cache import layout
from tfhub.tools.make_nearest_neighbour_index import files, storage
from tfhub.utils import paths


class _PathLike:
    """An os.PathLike (it has `__fspath__`) that is no pathlib path: its value is given as is."""

    def __init__(self, value: str | bytes) -> None:
        self.value = value

    def __fspath__(self) -> str | bytes:
        return self.value


_ASKERS: dict[str, Callable[[Any], bool]] = {
    "utils.paths.is_url": paths.is_url,
    "gfile_io.is_url": gfile_io.is_url,
    "cache.layout.is_remote": layout.is_remote,
    "cache.is_remote": cache.is_remote,
    "nn_storage.is_remote": storage.is_remote,
    "nn_files.is_remote": files.is_remote,
}

# (id, path, URL?). Ids are fixed strings: the same collection in every xdist worker.
_TABLE: list[tuple[str, Any, bool]] = [
    ("gs", "gs://bucket/m", True),
    ("ram", "ram://x/m", True),
    ("file-url", "file:///tmp/m", True),  # A URL too: the cache folder's own check comes first.
    ("scheme-upper", "GS://bucket/m", True),
    ("scheme-digits", "s3://bucket/m", True),
    ("scheme-plus", "git+ssh://host/m", True),
    ("scheme-only", "hdfs://", True),
    ("sep-anywhere", "/tmp/a://b", True),  # "://" anywhere, not a parsed scheme.
    ("one-slash", "gs:/bucket/m", False),
    ("windows-backslash", "C:\\Users\\m", False),
    ("windows-slash", "C:/Users/m", False),
    ("empty", "", False),
    ("absolute", "/tmp/m", False),
    ("relative", "relative/m", False),
    ("bytes-url", b"gs://bucket/m", True),
    ("bytes-local", b"/tmp/m", False),
    ("bytes-undecodable", b"\xff://x", True),  # Decoded as os.fsdecode does (surrogates).
    ("pathlib-local", pathlib.PurePosixPath("/tmp/m"), False),
    ("pathlib-of-url", pathlib.PurePosixPath("gs://bucket/m"), False),  # pathlib makes gs:/
    ("pathlike-str-url", _PathLike("gs://bucket/m"), True),
    ("pathlike-bytes-url", _PathLike(b"ram://x/m"), True),
    ("pathlike-local", _PathLike("/tmp/m"), False),
]


@pytest.mark.parametrize("asker", list(_ASKERS))
@pytest.mark.parametrize(
    ("path", "expected"),
    [(path, expected) for _, path, expected in _TABLE],
    ids=[t[0] for t in _TABLE],
)
def test_each_place_answers_url_or_local_alike(asker: str, path: Any, expected: bool) -> None:
    assert _ASKERS[asker](path) is expected


@pytest.mark.parametrize("asker", list(_ASKERS))
@pytest.mark.parametrize("path", [None, 3, ["gs://b"]], ids=["none", "int", "list"])
def test_what_is_no_path_is_a_type_error(asker: str, path: Any) -> None:
    with pytest.raises(TypeError):
        _ASKERS[asker](path)


def test_the_answer_has_one_home() -> None:
    """Every name is `tfhub.utils.paths.is_url` itself (no wrapper on the hot path, no copy
    to drift): `cache.layout.is_remote` is asked on each cached resolve."""
    assert {id(ask) for ask in _ASKERS.values()} == {id(paths.is_url)}

"""The cache's manifest on inputs Hypothesis makes: what tfhub writes reads back the same, for
any file names and sizes; anything else (a damaged, truncated or foreign file) reads as "no
valid manifest" and never raises, so a damaged cache entry is re-fetched, not a crash."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st
from tests._helpers.properties import property_settings

from tfhub.cache import bookkeeping

_SETTINGS = property_settings(300)
_PART = st.text(min_size=1, max_size=15).filter(
    lambda part: part not in (".", "..") and "/" not in part and "\\" not in part
    and "\0" not in part
)  # fmt: skip
_FILES = st.dictionaries(
    st.lists(_PART, min_size=1, max_size=3).map("/".join),
    st.tuples(
        st.integers(0, 1 << 40), st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
    ),  # fmt: skip
    min_size=1,
    max_size=30,
)


@_SETTINGS
@given(files=_FILES)
def test_what_tfhub_writes_reads_back_the_same(files):
    sizes = {rel: size for rel, (size, _) in files.items()}
    digests = {rel: digest for rel, (_, digest) in files.items()}
    text = bookkeeping.manifest_text(sizes, digests, algorithm="sha256")
    manifest = bookkeeping.parse_manifest(text)
    assert manifest is not None
    assert (manifest.sizes, manifest.digests) == (sizes, digests)
    assert manifest.header.file_count == len(files)
    assert manifest.header.size == sum(sizes.values())
    assert set(manifest.header.sample) <= set(sizes)
    assert bookkeeping.parse_header(text.partition("\n")[0]) == manifest.header


_JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@_SETTINGS
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.builds(json.dumps, _JSON_VALUE),
        st.builds(
            lambda count, size, sample, files: (
                json.dumps(
                    {
                        "format": 2,
                        "count": count,
                        "size": size,
                        "sample": sample,
                        "algorithm": "sha256",
                        "files_digest": "x",
                        "files_bytes": 1,
                    }
                )[:-1]
                + ",\n"
                + json.dumps({"files": files})[1:]
            ),  # fmt: skip
            _JSON_VALUE,
            _JSON_VALUE,
            _JSON_VALUE,
            _JSON_VALUE,
        ),
        st.builds(lambda files: json.dumps({"files": files}), _JSON_VALUE),  # Format 1.
    )
)
@example(text='{"format":2,"count":Infinity,"size":1,"sample":{},"algorithm":"s",'
              '"files_digest":"x","files_bytes":1,\n"files": {}}')  # fmt: skip
@example(text='{"files": {"saved_model.pb": Infinity}}')
def test_anything_else_reads_as_no_manifest_and_never_raises(text):
    manifest = bookkeeping.parse_manifest(text)
    bookkeeping.parse_header(text.partition("\n")[0])
    if manifest is not None:
        assert manifest.sizes and all(map(bookkeeping.safe_relpath, manifest.sizes))


@_SETTINGS
@given(files=_FILES, cut=st.integers(0, 10_000), flip=st.integers(0, 10_000))
def test_a_damaged_manifest_is_no_manifest_or_the_same_one(files, cut, flip):
    sizes = {rel: size for rel, (size, _) in files.items()}
    digests = {rel: digest for rel, (_, digest) in files.items()}
    text = bookkeeping.manifest_text(sizes, digests, algorithm="sha256")
    damaged = text[: cut % len(text)]
    position = flip % len(text)
    changed = text[:position] + chr(ord(text[position]) ^ 1) + text[position + 1 :]
    for candidate in (damaged, changed):
        manifest = bookkeeping.parse_manifest(candidate)
        assert manifest is None or (manifest.sizes, manifest.digests) == (sizes, digests)

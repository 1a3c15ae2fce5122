"""Documentation files are written by people: any text Hypothesis makes, shaped like a doc or
not, parses to a doc or a `DocFormatError`, and validating it gives problems with line numbers,
never a crash."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st
from tests._helpers.properties import property_settings

from tfhub import errors
from tfhub.hub import docs_format, tags, validator

_SETTINGS = property_settings(300)
_KEYS = ["asset-path", "format", "fine-tunable", "task", "module-type", "parent-model",
         "license", "network-architecture", "dataset", "language", "colab", "demo"]  # fmt: skip
_VALUE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "http://[::1",
            "https://h/x.tar.gz",
            "../../etc/passwd",
            "a\x00b",
            "legacy",
            "true",
            "hub",
            "saved_model_2",
            "image-feature-vector",
            "g/m/1",
            "https://github.com/o/r/releases/download/v1/m.tar.gz",
            "x.tgz",
            "/abs/m.tar.gz",
            "file:///m.tar.gz",
        ]
    ),  # fmt: skip
)
_FIRST_LINE = st.one_of(
    st.builds(
        lambda kind, handle: f"# {kind} {handle}",
        st.sampled_from(["Module", "Placeholder", "Lite", "Tfjs", "Coral", "Collection"]),
        st.sampled_from(["google/m/1", "g-1/a/b.c/2", "x/y/z", "p/m/0"]),
    ),
    st.just("# Publisher google"),
    st.text(max_size=30),
)
_METADATA = st.builds(
    lambda key, value: f"<!-- {key}: {value} -->",
    st.one_of(st.just("asset-path"), st.sampled_from(_KEYS)),  # The one with most checks.
    _VALUE,
)
_LINE = st.one_of(
    _METADATA,
    st.text(max_size=40),
    st.sampled_from(["", "## Overview", "# Heading", "<!--", "-->", "![icon](x.png)"]),
)
# A doc as people write them (first line, description, metadata, body), or lines in any order.
_LINES = st.one_of(
    st.builds(
        lambda description, metadata, body: [description, *metadata, *body],
        st.text(max_size=30),
        st.lists(_METADATA, max_size=6),
        st.lists(_LINE, max_size=4),
    ),
    st.lists(_LINE, max_size=12),
)


@_SETTINGS
@given(first=_FIRST_LINE, lines=_LINES, crlf=st.booleans())
@example(first="# Module google/m/1", lines=["<!-- asset-path: http://[::1 -->"], crlf=False)
@example(first="# Module google/m/1", lines=["D.", "<!-- colab: http://[::1 -->"], crlf=False)
def test_any_doc_text_parses_and_validates_without_crashing(tmp_path, first, lines, crlf):
    text = ("\r\n" if crlf else "\n").join([first, *lines])
    path = tmp_path / "assets" / "docs" / "google" / "models" / "m" / "1.md"
    try:
        doc = docs_format.parse_text(text, path=path, rel_path="google/models/m/1.md")
    except errors.DocFormatError as err:
        assert err.line == 1 and "first line" in str(err)
        return
    definitions = tags.TagDefinitions(
        ids={"license": frozenset({"apache-2.0"})},
        url_domains={"colab": "colab.research.google.com", "demo": None},
    )
    for problem in validator.validate_doc(doc, tag_values=definitions):
        assert problem.line >= 0 and problem.message

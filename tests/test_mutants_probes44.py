"""Hand-mutation audit (session 44) of session 43's new code: each test here kills a mutant the
existing tests let live (the log of mutants is in the session's report).

Redaction (`utils.redact`), the http(s) handle checks (`handles`), the linear clean-up of a
module's error (`tools.error_marks`), the escaping of what is printed (`utils.printable`), and
the bounded writes of a gfile cache (`gfile_io._write`: its late requests, `landing`, the
MOST_LATE refusal) with the fence of `cache.remote`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tfhub import errors, handles
from tfhub.tools import error_marks
from tfhub.utils.redact import hide_access_tokens, redact

# --- Redaction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # A scheme of none (`{0,32}`): what precedes "://" may be no scheme's character.
        ("(://user:secret@host/m", "(://***@host/m"),
        # A scheme of two characters then one slash: `Path("gs://u:p@b/m")` as a string.
        ("gs:/user:secret@bucket/m", "gs:/***@bucket/m"),
        # Two secret parameters in a row: the second starts where the first's value ends.
        ("https://h/m?token=abc&sig=def", "https://h/m?token=***&sig=***"),
        ("https://h/m?a=1&X-Amz-Signature=s1&X-Amz-Security-Token=s2", None),
    ],
)
def test_redact_hides_each_secret(text: str, shown: str | None) -> None:
    hidden = redact(text)
    if shown is not None:
        assert hidden == shown
    for secret in ("secret", "abc", "def", "s1", "s2"):
        assert f"={secret}" not in hidden and f":{secret}@" not in hidden, hidden


@pytest.mark.parametrize("space", ["%20", "+", "\t", "\n"], ids=["pct20", "plus", "tab", "newline"])
def test_a_bearer_token_after_any_of_its_separators_is_hidden(space: str) -> None:
    """The quick check before the search must let every form of "Bearer <token>" through."""
    token = "abcdefghij0123456789"
    shown = hide_access_tokens(f"Authorization: Bearer{space}{token}")
    assert token not in shown and shown.endswith(f"Bearer{space}***"), shown


# --- http(s) handles ------------------------------------------------------------------------------


def test_a_url_with_a_user_name_and_an_at_in_its_path_is_taken() -> None:
    """`_cut_userinfo_end` looks for a cut password only where the authority holds no '@'."""
    url = "https://user:pw@host.example/a@b/m.tar.gz"
    assert str(handles.parse(url)) == url


def test_a_bad_port_after_a_user_name_is_said_to_be_a_bad_port() -> None:
    with pytest.raises(errors.InvalidHandleError) as raised:
        handles.parse("https://user:pw@host.example:abc/m@1")
    assert "not a port number" in str(raised.value), raised.value


def test_a_password_of_non_ascii_digits_cut_by_a_slash_is_not_shown() -> None:
    """'١٢٣' is `isdigit()` but no port: taken for one, the password was quoted in the error."""
    with pytest.raises(errors.InvalidHandleError) as raised:
        handles.parse("https://user:\u0661\u0662\u0663/x@host.example/m.tar.gz")
    message = str(raised.value)
    assert "\u0661" not in message and "percent-encode" in message, message


def test_a_cut_password_error_shows_the_url_with_its_userinfo_hidden_as_redact_does() -> None:
    with pytest.raises(errors.InvalidHandleError) as raised:
        handles.parse("https://user:Ab/cd@host.example/m.tar.gz")
    assert str(raised.value).endswith("handle='https://***@host.example/m.tar.gz'"), raised.value


# --- A module's error, cleaned in linear time ---------------------------------------------------
# Each function promises the text of the regular expression it replaced (see its docstring).


def _keras_arguments_by_regex(text: str) -> str:
    return re.sub(r"^\s*(Call a|A)rguments received by .*", "", text, flags=re.M | re.S)


def _node_marks_by_regex(text: str) -> str:
    return re.sub(r"\s*\[\[\{\{node [^}]*\}\}\]\]|\s*\[Op:[^\]]*\]", "", text)


@pytest.mark.parametrize(
    "text",
    [
        "r\nArguments received by x\n  y",
        " Arguments received by x",
        "  Arguments received by x\n",
        "a\n\n  Call arguments received by l\nz\n",
        "a Arguments received by x\nb",
    ],
)
def test_without_keras_arguments_is_its_regular_expression(text: str) -> None:
    assert error_marks.without_keras_arguments(text) == _keras_arguments_by_regex(text)


@pytest.mark.parametrize(
    "text",
    [
        "a [Op:X] b [Op:Y] c",
        "  [Op:X] a ",
        "a [[{{node f}}]] b [[{{node g}}]] c",
        "x [Op:A] [[{{node f}}]] [Op:B]",
        "[[{{node f}}]]\n",
    ],
)
def test_without_node_marks_is_its_regular_expression(text: str) -> None:
    assert error_marks.without_node_marks(text) == _node_marks_by_regex(text)


# --- What the download bar prints -------------------------------------------------------------


@pytest.fixture
def bars_on() -> Iterator[None]:
    from tfhub.utils import progress

    saved = progress._override
    progress.enable_progress_bars()
    try:
        yield
    finally:
        progress._override = saved


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u2067", "\u2069", "\u200f", "\x85", "\x9b", "\x7f", "\x00", "\n", "\x07"],
    ids=["lre", "rli", "pdi", "rlm", "nel", "csi", "del", "nul", "lf", "bel"],
)
def test_the_bar_escapes_each_class_of_invisible_character(
    bars_on: None, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    """Bidi embeddings and isolates (U+202A-202E, U+2066-2069), marks (U+200E-200F), C0 and
    C1 controls and DEL: each printed as its escape, never raw."""
    tqdm = pytest.importorskip("tqdm").tqdm
    from tfhub.utils import progress

    bar = progress.download_bar(
        description=f"Downloading http://h/x{char}1/m", total=10, tqdm_class=tqdm
    )
    bar.update(10)
    bar.close()
    shown = capsys.readouterr().err
    code = ord(char)
    escape = f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"
    assert f"x{char}1" not in shown and f"x{escape}1" in shown, repr(shown)

"""Text from others (requests, files other tools wrote, argv, stdin): made safe to print on one
line, and checked for bytes that are not UTF-8."""

from __future__ import annotations

import re

from .redact import hide_access_tokens

# The byte-order mark that an editor (Notepad) may save at the start of a UTF-8 file, and that
# text read from such a file starts with (flagfiles, input lines, queries): no text of it.
BOM = "\ufeff"


def escaped(text: str, also: str = "") -> str:
    """`text` with control and other non-printable characters (and those of `also`) written as
    `\\xHH` escapes (`\\uHHHH` past Latin-1), as nginx writes them in its log, so the text cannot
    break a line, forge one or send terminal escapes. A byte that was not UTF-8 is written as
    `bytes_escaped` writes it (`\\xff`)."""
    if text.isprintable() and not any(char in text for char in also):
        return text
    return "".join(
        char if char.isprintable() and char not in also else _escape(char) for char in text
    )


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # A byte that was not UTF-8: said as `bytes_escaped` says it.
        return _byte_text(code)
    if code < 0x100:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"


# How Python hands over a byte of a file name, argv or environment variable that the locale's
# encoding cannot decode (surrogateescape): U+DC80 to U+DCFF.
_SURROGATE = re.compile("[\udc80-\udcff]")


def bytes_escaped(text: str) -> str:
    """`text` with each byte that was not UTF-8 (a lone surrogate U+DC80 to U+DCFF, as Python
    decodes it) written as `\\xff`; stderr wrote `\\udcff`, a code that names no character the
    user has. What `tfhub` says on stderr (its error lines and its log lines) goes through it.
    """
    return _SURROGATE.sub(_byte_escape, text)


def _byte_escape(match: re.Match[str]) -> str:
    return _byte_text(ord(match.group()))


def _byte_text(surrogate: int) -> str:
    """`\\xff` for the byte the lone surrogate U+DCFF stands for."""
    return f"\\x{surrogate - 0xDC00:02x}"


# A `\udcff` escape in a repr: a lone surrogate, after an even number of backslashes (a
# backslash of the text is `\\` in its repr).
_REPR_SURROGATE = re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")
# A span that repr() quotes ('...' or "...", escapes inside), its opening quote after no letter
# or digit (so the apostrophe of "can't" opens none).
_QUOTED = re.compile(r"""(?<!\w)(['"])(?:\\.|(?!\1)[^\\])*\1""", re.DOTALL)


def surrogate_reprs_as_bytes(text: str) -> str:
    """`text` with each `\\udcXX` that repr() wrote for a byte of a non-UTF-8 file name (a
    message's `Received: root='mod\\udcffel'`) as that byte, `\\xXX`, as `escaped` writes the
    name itself: one name is said one way in a line, the way `ls -b` says it.

    Only quoted spans ('...' or "...", as repr writes a str) are read, and in them an escape
    after an even number of backslashes: plain text holding a backslash and "udcff"
    (`C:\\udcache`) and repr's `\\\\udcff` (a name really holding them) are left alone.

    Args:
        text: a line to say, or a repr.

    Returns:
        The text, the escapes of other characters left as they are.
    """
    return _QUOTED.sub(lambda span: _REPR_SURROGATE.sub(r"\1\\x\2", span[0]), text)


def repr_escaped(text: str) -> str:
    """`repr(text)` (for an error's `Received: x=...`), with each byte that was not UTF-8 written
    as `\\xff`, as `bytes_escaped` writes it in the rest of the line; repr wrote `\\udcff`."""
    return surrogate_reprs_as_bytes(repr(text))


def not_utf8(text: str) -> bytes | None:
    """The bytes of `text` if it is not UTF-8 text, else None.

    A byte that was not UTF-8 arrives as a lone surrogate U+DC80 to U+DCFF (from argv, a file
    name, or a stdin read with surrogateescape): it is that byte again (`"a\\udcff"` gives
    `b"a\\xff"`). Any other lone surrogate (in U+D800 to U+DFFF; Python code can make one,
    no decoding does) stands for no byte: it is written as Python's `surrogatepass` writes it
    (`"a\\ud800"` gives `b"a\\xed\\xa0\\x80"`), three bytes that no UTF-8 decoder takes
    either. So a caller can say "not UTF-8 text" and show these bytes for any str.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return b"".join(_utf8_or_surrogate_bytes(part) for part in _LONE.split(text) if part)
    return None


# Any lone surrogate, kept by `re.split` as a part of its own.
_LONE = re.compile("([\ud800-\udfff])")


def _utf8_or_surrogate_bytes(part: str) -> bytes:
    """The bytes of a part of a text: UTF-8, or those a lone surrogate stands for."""
    if len(part) == 1 and 0xDC80 <= ord(part) <= 0xDCFF:
        return part.encode("utf-8", "surrogateescape")
    return part.encode("utf-8", "surrogatepass")  # Any other lone surrogate; else no error.


# The error handler `tfhub` programs write stdout with (see `register_output_errors`).
OUTPUT_ERRORS = "tfhub-printable"


def register_output_errors() -> str:
    """Registers the codec error handler `OUTPUT_ERRORS` (once) and returns its name.

    It writes what the output's encoding cannot: a file name's byte that is not UTF-8 (a lone
    surrogate, as Python decodes it) as that byte, as `ls` prints such a name; any other
    character as a `\\xhh`, `\\uhhhh` or `\\Uhhhhhhhh` escape (an `\u00e9` on an ASCII stdout,
    PYTHONIOENCODING=ascii), as Python's stderr writes it.

    Returns:
        The handler's name, for `TextIOWrapper.reconfigure(errors=...)`.
    """
    import codecs

    try:
        codecs.lookup_error(OUTPUT_ERRORS)
    except LookupError:
        codecs.register_error(OUTPUT_ERRORS, _output_errors)
    return OUTPUT_ERRORS


def _output_errors(err: UnicodeError) -> tuple[bytes, int]:
    """The codec error handler `OUTPUT_ERRORS`: bytes for `err.object[err.start:err.end]`."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    out = bytearray()
    for char in err.object[err.start : err.end]:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # A byte that was not UTF-8: written as it was.
            out.append(code - 0xDC00)
        else:
            out += char.encode("ascii", "backslashreplace")  # As Python's stderr does.
    return bytes(out), err.end


def quoted_reason(err: BaseException | str, path: str) -> str:
    """Another library's error (or its message) about `path`, TensorFlow's file systems' for one,
    as tfhub quotes it: its message (an OpError's `message`, without TensorFlow's own prefix) on
    one line, without the "when reading (metadata of) <path>" line TensorFlow adds (what tfhub
    says names the path already) and its final period, control characters escaped (it may
    quote the server's answer, "with body '...'"), and an access token it echoes as `***`."""
    message = err if isinstance(err, str) else str(getattr(err, "message", "") or err)
    if not message and not isinstance(err, str):
        message = type(err).__name__
    lines = [line.strip() for line in message.splitlines()]
    kept = [line for line in lines if line and not _names_the_path(line, path)]
    joined = " ".join(kept)
    shown = joined.rstrip(".") or joined or " ".join(line for line in lines if line)
    return escaped(hide_access_tokens(shown))


def _names_the_path(line: str, path: str) -> bool:
    """Whether `line` is TensorFlow's "when reading <path>" (or "when reading metadata of
    <path>", as its existence checks say)."""
    return line in (f"when reading {path}", f"when reading metadata of {path}")


def op_message(err: BaseException) -> str:
    """A TensorFlow op error's words (its `message`, else `str(err)`), without the op and
    function names an eager op or a traced function puts around them (`{{function_node
    __wrapped__Pack...}}`, `[Op:Pack] name: packed`)."""
    message = str(getattr(err, "message", None) or err)
    message = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", message)
    return re.sub(r"\s*\[Op:[^\]]*\].*$", "", message, flags=re.DOTALL).strip()


def short_repr(value: object, limit: int = 200) -> str:
    """`repr(value)` for an error's `Received: x=...`: itself if it has at most `limit`
    characters, else its first `limit - 3` and "..." (`limit` characters in all).

    Args:
        value: what was received.
        limit: the most characters to return (at least 3).

    Returns:
        The repr, cut.
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

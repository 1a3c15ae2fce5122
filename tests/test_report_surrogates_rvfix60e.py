"""The `\\udcXX` escapes that repr() writes for a non-UTF-8 file name's bytes are said as
`\\xXX` in an error line only inside repr's quotes (rvfix60e, review of ab5b1afd): plain text
holding a backslash and "udc.." (a Windows path) is the user's, said as it is."""

from __future__ import annotations

import pytest

from tfhub.program.report import tell
from tfhub.utils.printable import repr_escaped


def _told(line: str, capsys: pytest.CaptureFixture[str]) -> str:
    tell(line)
    return capsys.readouterr().err.rstrip("\n")


def test_a_repr_of_a_non_utf8_name_is_said_by_its_bytes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = "mod\udcffel"
    told = _told(f"tfhub: error: no such module. Received: root={name!r}", capsys)
    assert told.endswith("Received: root='mod\\xffel'"), told


def test_plain_text_with_a_backslash_before_udc_is_left_as_it_is(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`C:\\udcache\\m` in plain text (no repr's quotes) became `C:\\xache\\m`."""
    told = _told("tfhub: error: cannot read C:\\udcache\\m: it's gone", capsys)
    assert told == "tfhub: error: cannot read C:\\udcache\\m: it's gone", told


def test_an_escaped_backslash_in_a_repr_is_left_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A name really holding a backslash and "udcff": repr writes `\\\\udcff`."""
    name = "a\\udcff"
    told = _told(f"Received: root={name!r}", capsys)
    assert told == "Received: root='a\\\\udcff'", told


def test_repr_escaped_and_tell_say_a_name_alike() -> None:
    assert repr_escaped("caf\udce9 it's") == '"caf\\xe9 it\'s"'

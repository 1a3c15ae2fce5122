"""A local folder whose name holds a control character (a tab, a newline, an escape: legal in
POSIX file names) is read in place, as tensorflow_hub 0.10.0 read it (its PathResolver
returned any path that exists), and a missing one is its IOError "... does not exist."
(rf53b-F5), checked side by side in session 53 (a NUL, which no file name holds, stays
refused). tfhub refused every such handle with a
ValueError ("A handle cannot hold control characters"), a rule made for URLs, whose handle is
written into the cache's descriptor (a newline would forge its lines); a local path is never
written there. URLs keep the rule; a line break around a local path (a line read from a file)
still offers the stripped path."""

from __future__ import annotations

import pytest

import tfhub as hub
from tfhub import errors

_NAMES = ["tab\there", "new\nline", "esc\x1b[31mred", "bell\x07", "sep\u2028line"]
_IDS = ["tab", "newline", "escape", "bell", "line separator"]


@pytest.mark.parametrize("name", _NAMES, ids=_IDS)
def test_an_existing_local_folder_with_a_control_character_is_returned(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"x")
    assert hub.resolve(str(folder)) == str(folder)  # As upstream's PathResolver.
    assert hub.resolve(folder) == str(folder)  # A pathlib.Path too.


def test_a_file_url_with_a_raw_control_character_is_still_refused(tmp_path):
    """urlsplit drops a URL's tabs and newlines: `file:///m<TAB>x` would name /mx."""
    (tmp_path / "m\tx").mkdir()
    with pytest.raises(errors.InvalidHandleError, match="cannot hold control characters"):
        hub.resolve(f"file://{tmp_path}/m\tx")


@pytest.mark.parametrize(
    "name", ["new\nline", "esc\x1b[2Jclear", "tab\tx"], ids=["newline", "escape", "tab"]
)
def test_a_missing_local_path_with_a_control_character_is_upstreams_io_error(tmp_path, name):
    path = str(tmp_path / name)
    with pytest.raises(errors.ModelNotFoundError) as info:  # A FileNotFoundError (IOError).
        hub.resolve(path)
    message = str(info.value)
    assert "does not exist" in message
    assert name[:3] in message and str(tmp_path) in message  # Where.
    assert not any(char in message for char in "\n\t\x1b")  # Shown escaped: no forged line.


def test_a_local_path_with_a_nul_is_still_refused(tmp_path):
    """No file name holds a NUL (Python's os functions raise ValueError for one)."""
    with pytest.raises(errors.InvalidHandleError, match="cannot hold control characters"):
        hub.resolve(f"{tmp_path}/nul\x00byte")


@pytest.mark.parametrize(
    "handle",
    ["https://h/m\nDownload Time: 1999-01-01", "gs://b/m\x1b.tar.gz", "http://h/a\x00b"],
    ids=["newline", "escape", "nul"],
)
def test_a_url_with_a_control_character_is_still_refused(handle):
    with pytest.raises(errors.InvalidHandleError, match="cannot hold control characters"):
        hub.resolve(handle)


def test_a_line_break_around_a_local_path_still_offers_it_stripped(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    with pytest.raises(errors.SpacedHandleError, match="strip it"):
        hub.resolve(f"{folder}\n")


def test_other_readers_of_handles_still_refuse_a_local_path_with_one(tmp_path):
    """Only hub.resolve reads such a path (in place): `handles.parse`, which `tfhub mirror`
    uses before it writes the source into a hub doc, still refuses it."""
    from tfhub import handles

    (tmp_path / "new\nline").mkdir()
    with pytest.raises(errors.InvalidHandleError, match="cannot hold control characters"):
        handles.parse(f"{tmp_path}/new\nline")

"""TFHUB_CACHE_DIR forms a review of session 37's new checks found wrongly handled: real folders
named like an unexpanded variable or an unknown user's home (used as given by tensorflow_hub and
tfhub before), an empty HOME, `file://$CACHE/x`, a relative setting with white space around it
in a deleted working folder, and a non-UTF-8 byte in an unknown user's name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env

from tfhub import constants, errors


@pytest.mark.parametrize("name", ["$weird", "${weird}", "~ghost"])
def test_an_existing_folder_named_like_a_variable_or_a_home_is_used_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"{name}/cache")
    assert constants.cache_dir() == f"{name}/cache"


@pytest.mark.parametrize("value", ["~", "~/cache"])
def test_a_tilde_with_an_empty_home_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """os.path.expanduser took HOME="" as given: `~/cache` was /cache and `~` the top of the
    disk, `/`."""
    monkeypatch.setenv("HOME", "")
    monkeypatch.setenv("TFHUB_CACHE_DIR", value)
    with pytest.raises(errors.SettingError, match="HOME is empty") as caught:
        constants.cache_dir()
    assert caught.value.name == "TFHUB_CACHE_DIR"


@pytest.mark.parametrize("value", ["file://$CACHE/x", "file://${CACHE}/x"])
def test_a_file_url_with_an_unexpanded_variable_says_so(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """It said to write file:///$CACHE/x, which tfhub accepts as a folder literally named
    `/$CACHE/x`."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", value)
    with pytest.raises(errors.SettingError) as caught:
        constants.cache_dir()
    assert "a variable no shell expanded" in str(caught.value)
    assert "file:///$" not in str(caught.value)


def test_an_unknown_users_name_that_is_not_utf8_is_shown_as_its_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TFHUB_CACHE_DIR", "~\udcffnobody-here/x")
    with pytest.raises(errors.SettingError) as caught:
        constants.cache_dir()
    assert "\udcff" not in str(caught.value) and "\\xff" in str(caught.value)


def test_a_spaced_relative_setting_in_a_deleted_working_folder_is_one_cache_error(
    tmp_path: Path,
) -> None:
    """The white-space warning made the path absolute first: a bare FileNotFoundError out of
    hub.resolve, "not found" (exit 7) from the CLI."""
    gone = tmp_path / "gone"
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    command = ["sh", "-c", script, "sh", str(gone), sys.executable, "-m", "tfhub", "cache", "info"]
    env = child_env(TFHUB_CACHE_DIR=" rel")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 6, done.stderr
    assert "working folder" in done.stderr and "Traceback" not in done.stderr
    assert not os.path.exists(gone)


def test_a_folder_named_tilde_in_the_working_folder_does_not_stop_the_expansion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`~/cache` is the home folder's, as documented, even beside an accidental folder `~`."""
    (tmp_path / "~").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TFHUB_CACHE_DIR", "~/cache")
    assert constants.cache_dir() == str(tmp_path / "home" / "cache")

"""`tfhub`, `hub.resolve` and `tfhub demo` where users run them: C and POSIX locales, an ASCII
stdout, a stdout closed or full, HOME unset, TMPDIR missing, a TFHUB_CACHE_DIR that is a file,
a dangling link, a folder this user may not enter, a relative path, a `~user` form or a URL; every
setting tfhub reads set to junk; umasks and read-only caches; two working directories sharing a
relative cache setting. Each ends working, or in one line saying what, where and what to do, with
the exit status docs/cli.md gives, and writes nothing outside its target."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer
from tests._helpers.python_process import child_env

from tfhub import constants, errors
from tfhub.cli.main import main
from tfhub.program.runner import quiet_tensorflow

HANDLE = "https://models.example/m\u00e9/\u00fc/1"  # Never fetched: imported into the cache.


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`tfhub ARGV` in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> bool:
    """True for exactly one line of stderr, without a traceback."""
    return err.count("\n") == 1 and "Traceback" not in err


def tfhub_process(
    *argv: str, env: dict[str, str], cwd: str | os.PathLike[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m tfhub ARGV` in a fresh process with exactly `env`."""
    return subprocess.run(
        [sys.executable, "-m", "tfhub", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=240,
        check=False,
    )


# --- tfhub demo ------------------------------------------------------------------------------


@pytest.mark.tf
@pytest.mark.slow
def test_demo_runs_with_legacy_keras_set_home_unset_and_the_c_locale(tmp_path: Path) -> None:
    """`TF_USE_LEGACY_KERAS=1` (set for other code, as many TF 2.16+ users do) made `tfhub demo`
    fail at its Keras 3 step: hub.KerasLayer was then the tf_keras layer, used in a Keras 3
    model. The demo is about Keras 3, whatever that variable says; it also runs without HOME,
    under the C locale, and leaves its temporary folder as it found it."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = child_env(TF_USE_LEGACY_KERAS="1", LC_ALL="C", LANG="C", TMPDIR=str(temp))
    env.pop("HOME", None)
    done = tfhub_process("demo", env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "demo OK" in done.stdout, done.stdout
    assert os.listdir(temp) == []


@pytest.mark.parametrize("value", ["", "  "])
def test_a_blank_tf_cpp_min_log_level_is_unset_for_the_quiet_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """`TF_CPP_MIN_LOG_LEVEL=` (an empty line of a .env file) let TensorFlow's C++ lines (cuInit,
    MLIR) through `tfhub demo` and `tfhub inspect`: tfhub took it as set by the user, and
    TensorFlow reads an empty level as 0. tfhub reads an empty setting as unset; so it is here,
    and the user's value is put back afterwards."""
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", value)
    with quiet_tensorflow(quiet=True):
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == value
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")  # A level the user chose is kept.
    with quiet_tensorflow(quiet=True):
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "1"


# --- TFHUB_CACHE_DIR forms -------------------------------------------------------------------


def test_a_file_url_cache_setting_with_a_host_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`TFHUB_CACHE_DIR=file://data/cache` (a slash short) put the cache in `/cache`: the URL's
    host `data` was dropped, and models went to a folder at the top of the disk. It is refused,
    offering the URL meant, as `file://models/m` handles are; `file://localhost/...` is the
    local folder, as RFC 8089 has it."""
    meant = tmp_path / "data" / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"file:/{meant}")  # file://tmp/... for /tmp/...
    code, out, err = run(capsys, "cache", "info")
    assert code == 2 and out == "" and one_line(err), err
    assert err.startswith("tfhub: invalid value: ") and f"file://{meant}" in err, err
    with pytest.raises(errors.SettingError):
        constants.cache_dir()
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"file://localhost{meant}")
    code, out, err = run(capsys, "cache", "info")
    assert code == 0 and f"cache folder: {meant}\n" in out, err


def test_a_cache_setting_of_white_space_only_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`TFHUB_CACHE_DIR="  "` (`export TFHUB_CACHE_DIR=" $UNSET"`) made a cache folder named
    by the spaces in whatever the working folder was, with a warning whose advice read "Remove
    the white space if you meant ''". It names no folder: it is refused, saying what to do."""
    monkeypatch.chdir(tmp_path)
    for value in ("  ", " \t"):
        monkeypatch.setenv("TFHUB_CACHE_DIR", value)
        code, out, err = run(capsys, "resolve", HANDLE)
        assert code == 2 and out == "" and one_line(err), err
        assert "TFHUB_CACHE_DIR" in err and "unset it" in err, err
    assert os.listdir(tmp_path) == []


def test_a_cache_setting_of_an_unknown_users_home_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`TFHUB_CACHE_DIR=~nosuchuser/cache` (a typo of a user's name) made a folder literally
    named `~nosuchuser` in the working folder. It is refused, naming the user."""
    user = "tfhub-no-such-user-37"
    with pytest.raises(KeyError):
        pwd.getpwnam(user)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"~{user}/cache")
    code, out, err = run(capsys, "cache", "info")
    assert code == 2 and out == "" and one_line(err), err
    assert f"~{user}" in err and "no user" in err, err
    assert os.listdir(tmp_path) == []


def test_cache_info_escapes_a_line_break_in_the_cache_folder(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`cache info` printed a cache folder with a line break in its name as two lines, so its
    `key: value` lines could not be read; rm, prune and list escape it as `\\x0A`."""
    root = tmp_path / "a\nb"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    code, out, err = run(capsys, "cache", "info")
    assert code == 0 and err == "", err
    lines = out.splitlines()
    assert lines[0] == f"cache folder: {tmp_path}/a\\x0Ab" and len(lines) == 6, out


# --- Settings set to junk --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "TFHUB_HTTP_TIMEOUT",
        "TFHUB_HTTP_RETRIES",
        "TFHUB_HTTP_RETRY_TIMEOUT",
        "TFHUB_LOCK_TIMEOUT",
        "TFHUB_DOWNLOAD_MIN_SPEED",
        "TFHUB_MAX_EXTRACTED_BYTES",
        "TFHUB_MAX_ARCHIVE_MEMBERS",
        "TFHUB_MODEL_LOAD_FORMAT",
        "TFHUB_OFFLINE",
        "TFHUB_KAGGLE_ENDPOINT",
    ],
)
def test_a_setting_that_is_not_utf8_is_shown_as_its_bytes(
    name: str, tmp_path: Path, served_dir: Path, server: LocalServer
) -> None:
    """A setting holding a byte that is not UTF-8 was refused with `Received: '\\udcff'`, a
    code that names no character the user has: it says `\\xff`, as the rest of tfhub does."""
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    if name == "TFHUB_KAGGLE_ENDPOINT":  # Read for Kaggle handles only.
        handle = "https://www.kaggle.com/models/o/m/tensorFlow2/v/1"
    env = {
        **{key.encode(): value.encode() for key, value in child_env().items()},
        b"TFHUB_CACHE_DIR": os.fsencode(tmp_path / "cache"),
        name.encode(): b"1\xff",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "resolve", handle],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    err = done.stderr.decode("utf-8", "backslashreplace")
    assert done.returncode == 2 and one_line(err), err
    assert f"tfhub: invalid value: {name} " in err and "'1\\xff'" in err, err
    assert "udc" not in err, err


def test_a_warning_naming_a_cache_folder_with_a_line_break_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`tfhub import` of a handle already cached warned over two lines when the cache folder's
    name held a line break (a second line that reads as a line of its own); tfhub's log lines
    are one line each, as its error lines are, whatever the values quoted in them."""
    root = tmp_path / "a\nb"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    assert run(capsys, "import", archive, "--handle", HANDLE)[0] == 0
    code, out, err = run(capsys, "import", archive, "--handle", HANDLE)
    assert code == 0 and out.startswith(str(root)), out  # stdout: the folder itself.
    assert one_line(err) and "already in the cache" in err and "a\\x0Ab" in err, err

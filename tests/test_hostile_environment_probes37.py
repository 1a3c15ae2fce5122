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
import tempfile
from pathlib import Path

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.archives import make_tar_gz
from tests._helpers.cache_users import import_with_umask, tfhub_as_nobody
from tests._helpers.cli_session_sp61topa import run_tfhub_session
from tests._helpers.http_server import LocalServer, serve_folder
from tests._helpers.python_process import child_env, python_command

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


@pytest.mark.parametrize("form", ["a file", "a dangling link", "below a file"])
def test_a_cache_setting_that_cannot_be_a_folder_is_one_cache_error_line(
    form: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """TFHUB_CACHE_DIR naming a file, a link to nothing (an unmounted disk) or a path below a
    file: `resolve` and `cache list` say so in one line (exit 6) and make nothing."""
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "unmounted")
    root = {"a file": "file", "a dangling link": "link", "below a file": "file/cache"}[form]
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / root))
    for argv in (["resolve", HANDLE], ["cache", "list"]):
        code, out, err = run(capsys, *argv)
        assert code == 6 and out == "" and one_line(err), (argv, err)
        assert err.startswith("tfhub: cache error: ") and "TFHUB_CACHE_DIR" in err, err
    assert sorted(os.listdir(tmp_path)) == ["file", "link"]


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


_NOT_UTF8_NAMES = [
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
]


def _not_utf8_session(root: Path) -> dict[str, list[object]]:
    """`tfhub resolve` of a download (a Kaggle handle for TFHUB_KAGGLE_ENDPOINT, read for those
    only) with each setting of _NOT_UTF8_NAMES alone holding b"1\\xff", as the environment hands
    it to Python, and a cache folder of its own (a setting read only while downloading must not
    find the model cached by an earlier command): one child runs the ten commands, each one's
    real stdout and stderr caught apart (`run_tfhub_session`, an overlay per command).

    Returns:
        {name: [exit code, stdout, stderr]}.
    """
    served = root / "served"
    served.mkdir()
    make_tar_gz(served / "m.tar.gz")
    kaggle_handle = "https://www.kaggle.com/models/o/m/tensorFlow2/v/1"
    with serve_folder(str(served)) as server:
        handle = server.url("m.tar.gz")
        commands = [
            (
                ["resolve", kaggle_handle if name == "TFHUB_KAGGLE_ENDPOINT" else handle],
                root,
                {name: b"1\xff", "TFHUB_CACHE_DIR": str(root / "caches" / name)},
            )
            for name in _NOT_UTF8_NAMES
        ]
        said = run_tfhub_session(commands)
    pairs = zip(_NOT_UTF8_NAMES, said, strict=True)
    return {name: [one.returncode, one.stdout, one.stderr] for name, one in pairs}


@pytest.fixture(scope="module")
def not_utf8_said(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[object]]:
    """`_not_utf8_session`'s result (it was ten `python -m tfhub` processes), computed once per
    test run by the first pytest worker that asks."""
    return computed_once(
        tmp_path_factory,
        f"{__name__}.not_utf8_said",
        lambda: _not_utf8_session(tmp_path_factory.mktemp("not-utf8")),
    )


@pytest.mark.parametrize("name", _NOT_UTF8_NAMES)
def test_a_setting_that_is_not_utf8_is_shown_as_its_bytes(
    name: str, not_utf8_said: dict[str, list[object]]
) -> None:
    """A setting holding a byte that is not UTF-8 was refused with `Received: '\\udcff'`, a
    code that names no character the user has: it says `\\xff`, as the rest of tfhub does.
    (Each setting alone, in `tfhub resolve`: `_not_utf8_session`.)"""
    code, out, err = not_utf8_said[name]
    assert isinstance(err, str)
    assert code == 2 and out == "" and one_line(err), (name, out, err)
    assert f"tfhub: invalid value: {name} " in err and "'1\\xff'" in err, (name, err)
    assert "udc" not in err, (name, err)


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


_JUNK = ["", "  ", "9" * 40, "-1", "\udcff\udcfe"]  # The last: bytes b"\xff\xfe", not UTF-8.


@pytest.mark.parametrize("name", [var.name for var in constants.ENV_VARS if " " not in var.name])
def test_every_setting_set_to_junk_works_or_is_one_invalid_value_line(
    name: str,
    capfdbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    served_dir: Path,
    server: LocalServer,
) -> None:
    """Each variable `python -m tfhub.constants` lists, set to empty, blank, a huge number, a
    negative one or bytes that are not UTF-8: `resolve` (a download from a local server) and
    `cache list` work, or say in one line which variable holds what (exit 2); never a
    traceback. (A relative cache setting lands in the working folder, here tmp_path.)"""
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tmp").mkdir()  # The default cache (TFHUB_CACHE_DIR="") goes there.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    for value in _JUNK:
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv(name, value)
        for argv in (("resolve", server.url("m.tar.gz")), ("cache", "list")):
            code = main(list(argv))
            out, err = (
                part.decode("utf-8", "backslashreplace") for part in capfdbinary.readouterr()
            )
            said = f"{name}={value!r} {argv[0]}: {code} {err!r}"
            assert "Traceback" not in err, said
            if code == 0:
                assert out and (err == "" or one_line(err)), said
            else:
                assert code == 2 and out == "" and one_line(err), said
                assert err.startswith(f"tfhub: invalid value: {name} "), said
        monkeypatch.delenv(name)


# --- Locales, encodings and outputs ----------------------------------------------------------

_LOCALE_SESSION = """
import os, sys
from tfhub.cli.main import main
archive, handle = sys.argv[1:]
codes = [main(["import", archive, "--handle", handle]), main(["resolve", handle])]
codes += [main(["cache", "list"]), main(["cache", "verify", "--deep"]), main(["cache", "info"])]
codes += [main(["cache", "rm", handle]), main(["cache", "list"])]
print(codes)
"""


@pytest.mark.parametrize(
    "locale",
    [
        {"LANG": "C", "LC_ALL": "C"},
        {"LC_ALL": "POSIX", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
        {"PYTHONIOENCODING": "ascii"},
    ],
    ids=["C", "POSIX-no-utf8-mode", "ascii-stdout"],
)
def test_non_ascii_handles_and_cache_folders_under_odd_locales(
    locale: dict[str, str], tmp_path: Path
) -> None:
    """Under the C or POSIX locale (Python's UTF-8 mode off too) or an ASCII stdout, a handle
    and a cache folder that are not ASCII are imported, resolved, listed, verified and removed;
    what cannot be written as it is comes out escaped, never as a traceback."""
    cache_dir = tmp_path / "c\u00e4che"
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    env = child_env(TFHUB_CACHE_DIR=str(cache_dir), **locale)
    done = subprocess.run(
        python_command(_LOCALE_SESSION, archive, HANDLE),
        env=env,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.splitlines()[-1] == "[0, 0, 0, 0, 0, 0, 0]", done.stdout
    assert os.listdir(cache_dir) in ([], [".locks"]), os.listdir(cache_dir)


@pytest.mark.parametrize("argv", [["cache", "info"], ["cache", "verify"]], ids=" ".join)
@pytest.mark.parametrize("stdout", ["closed", "full"])
def test_cache_commands_with_stdout_closed_or_full(argv: list[str], stdout: str, tmp_path: Path):
    """`tfhub cache info >&-` runs and keeps its exit code, printing nothing; `> /dev/full` is
    one line saying stdout could not be written, exit 1 (docs/cli.md)."""
    env = child_env(TFHUB_CACHE_DIR=str(tmp_path / "cache"))
    command = [sys.executable, "-m", "tfhub", *argv]
    if stdout == "closed":
        done = subprocess.run(
            ["sh", "-c", 'exec "$@" >&-', "sh", *command], env=env, capture_output=True, text=True
        )
        assert (done.returncode, done.stderr) == (0, ""), done.stderr
        return
    with open("/dev/full", "wb") as full:
        done = subprocess.run(command, env=env, stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 1 and one_line(done.stderr), done.stderr
    assert "cannot write the output to stdout" in done.stderr, done.stderr


# --- HOME, TMPDIR, working folders -----------------------------------------------------------


def test_home_unset_and_tmpdir_missing_leave_a_set_cache_working(tmp_path: Path) -> None:
    """Without HOME and with TMPDIR naming no folder, a cache given by TFHUB_CACHE_DIR works
    (import, resolve, info); `~/cache` with HOME set is that HOME's."""
    cache_dir = tmp_path / "cache"
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    env = child_env(TFHUB_CACHE_DIR=str(cache_dir), TMPDIR=str(tmp_path / "no-such-folder"))
    env.pop("HOME", None)
    for argv in (["import", archive, "--handle", HANDLE], ["resolve", HANDLE]):
        done = tfhub_process(*argv, env=env)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert done.stdout.startswith(str(cache_dir)), done.stdout
    home = tmp_path / "home"
    env = child_env(HOME=str(home), TFHUB_CACHE_DIR="~/cache")
    done = tfhub_process("cache", "info", env=env)
    assert done.returncode == 0 and f"cache folder: {home}/cache\n" in done.stdout, done.stderr
    assert not (tmp_path / "no-such-folder").exists()


def test_a_relative_cache_setting_is_one_cache_per_working_folder(tmp_path: Path) -> None:
    """TFHUB_CACHE_DIR=rel (as tensorflow_hub reads it) is `rel` below the working folder:
    run from another folder, the model is not cached there, and the offline error names that
    folder's cache in full; the folders printed are absolute. (The three commands run in one
    child, each in its working folder: `run_tfhub_session`; the setting is read at call time.)"""
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    env = child_env(TFHUB_CACHE_DIR="rel", TFHUB_OFFLINE="1")
    imported, elsewhere, again = run_tfhub_session(
        [
            (["import", archive, "--handle", HANDLE], first),
            (["resolve", HANDLE], second),
            (["resolve", HANDLE], first),
        ],
        env=env,
    )
    assert imported.returncode == 0 and imported.stdout.startswith(f"{first}/rel/"), imported
    assert elsewhere.returncode == 3 and one_line(elsewhere.stderr), elsewhere.stderr
    assert f"not in the cache {second}/rel " in elsewhere.stderr, elsewhere.stderr
    assert again.returncode == 0 and again.stdout.startswith(f"{first}/rel/"), again.stderr
    assert sorted(os.listdir(tmp_path)) == ["m.tar.gz", "one", "two"]


# --- Umasks and read-only caches -------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o077, 0o000])
def test_a_group_cache_gets_group_locks_whatever_the_umask(umask: int, tmp_path: Path) -> None:
    """In a cache a group writes (mode 2775), the `.locks` folder gets the cache folder's mode
    and each lock file its read/write bits (664), under umask 077 or 000 alike (docs/resolving.md,
    "Caches a group writes"): every member can lock, and no one else can write."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    cache_dir.chmod(0o2775)
    import_with_umask(cache_dir, make_tar_gz(tmp_path / "m.tar.gz"), HANDLE, umask)
    locks = cache_dir / ".locks"
    assert locks.stat().st_mode & 0o7777 == 0o2775, oct(locks.stat().st_mode)
    modes = {lock.name: oct(lock.stat().st_mode & 0o777) for lock in locks.iterdir()}
    assert modes and set(modes.values()) == {"0o664"}, modes


def test_a_read_only_cache_serves_its_entries_and_refuses_changes_in_one_line(
    shared_dir: Path,
) -> None:
    """A cache another user filled (755/644: read-only to nobody) resolves a cached handle and
    lists, shows, verifies and dry-runs a prune; a missing handle, `rm` and `rm --all` end in one
    line (exit 6) and change nothing. A cache folder nobody may not enter (no x) is one line."""
    cache_dir = shared_dir / "cache"
    import_with_umask(cache_dir, make_tar_gz(shared_dir / "m.tar.gz"), HANDLE, 0o022)
    before = sorted(os.listdir(cache_dir))
    works = [["resolve", HANDLE], ["cache", "list"], ["cache", "info"], ["cache", "verify"]]
    for argv in [*works, ["cache", "verify", "--deep"], ["cache", "prune", "--dry-run"]]:
        done = tfhub_as_nobody(*argv, cache_dir=cache_dir)
        assert done.returncode == 0 and done.stderr == "", (argv, done.stderr)
    for argv in (["resolve", HANDLE + "/2"], ["cache", "rm", HANDLE], ["cache", "rm", "--all"]):
        done = tfhub_as_nobody(*argv, cache_dir=cache_dir)
        assert done.returncode == 6 and one_line(done.stderr), (argv, done.stderr)
    assert sorted(os.listdir(cache_dir)) == before
    closed = shared_dir / "closed"
    closed.mkdir(mode=0o766)
    closed.chmod(0o766)  # Read and write, but no x: nobody cannot enter it.
    done = tfhub_as_nobody("cache", "list", cache_dir=closed)
    assert done.returncode == 6 and one_line(done.stderr), done.stderr


# /tmp and /var/tmp made read-only where they are (bind mounts), not hidden: the checkout and its
# virtual environment may live there (a fresh clone in /tmp, as CI may make one).
_NO_TEMP_FOLDER = (
    "for folder in /tmp /var/tmp; do mount --bind $folder $folder && "
    'mount -o remount,ro,bind $folder || exit 99; done; cd /tmp && exec "$@"'
)


def test_no_writable_temporary_folder_is_one_line_saying_what_to_set() -> None:
    """Where no temporary folder is writable (a container with a read-only root file system,
    TFHUB_CACHE_DIR unset), every command said "tfhub: not found: [Errno 2] No usable temporary
    directory found in [...]" (exit 7, as for a missing model), and `hub.resolve` raised a bare
    FileNotFoundError: the default cache folder cannot be, so it is a CacheError (exit 6) that
    says to set TFHUB_CACHE_DIR; `tfhub demo` says to set TMPDIR (exit 2)."""
    if os.geteuid() != 0 or subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        pytest.skip("needs root and unshare, to mount read-only folders over /tmp and /var/tmp")
    env = child_env()
    for name in ("TMPDIR", "TEMP", "TMP", "TFHUB_CACHE_DIR"):
        env.pop(name, None)
    code = "import tfhub as hub; hub.resolve('https://models.example/m/1')"
    runs = {
        "cache info": ["-m", "tfhub", "cache", "info"],
        "resolve": ["-m", "tfhub", "resolve", "https://models.example/m/1"],
        "demo": ["-m", "tfhub", "demo"],
        "hub.resolve": ["-c", code],
    }
    said = {}
    for what, argv in runs.items():
        command = ["unshare", "-m", "sh", "-c", _NO_TEMP_FOLDER, "sh", sys.executable, *argv]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        said[what] = (done.returncode, done.stderr)
    for what in ("cache info", "resolve"):
        code_, err = said[what]
        assert code_ == 6 and one_line(err) and "tfhub: cache error: " in err, (what, err)
        assert "TFHUB_CACHE_DIR" in err, err
    code_, err = said["demo"]
    assert code_ == 2 and one_line(err) and "TMPDIR" in err, err
    code_, err = said["hub.resolve"]
    assert code_ == 1 and "tfhub.errors.CacheError: " in err, err


def test_a_file_url_cache_setting_with_one_slash_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`TFHUB_CACHE_DIR=file:/data/cache` (RFC 8089's short form) made a folder `file:` in the
    working folder and the cache below it. It is refused, offering `file:///data/cache`."""
    monkeypatch.chdir(tmp_path)
    meant = tmp_path / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"file:{meant}")
    code, out, err = run(capsys, "resolve", HANDLE)
    assert code == 2 and out == "" and one_line(err), err
    assert f"'file://{meant}'" in err, err
    assert os.listdir(tmp_path) == []


def test_a_relative_cache_setting_in_a_deleted_working_folder_is_one_clear_line(
    tmp_path: Path,
) -> None:
    """Run from a working folder that was deleted meanwhile (a shell left in a removed build
    folder), TFHUB_CACHE_DIR=rel said "tfhub: not found: [Errno 2] No such file or directory"
    (exit 7), naming neither the setting nor the folder. It is a cache error saying why."""
    gone = tmp_path / "gone"
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    env = child_env(TFHUB_CACHE_DIR="rel")
    for argv in (["cache", "info"], ["resolve", HANDLE]):
        gone.mkdir()
        command = ["sh", "-c", script, "sh", str(gone), sys.executable, "-m", "tfhub", *argv]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 6 and one_line(done.stderr), done.stderr
        assert "TFHUB_CACHE_DIR" in done.stderr and "working folder" in done.stderr, done.stderr
    assert not gone.exists()


def test_the_white_space_warning_shows_a_non_utf8_byte_as_bytes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The warning about a cache setting with white space around it quoted a byte that is not
    UTF-8 as `\\udcff` (Python's surrogate code), where tfhub's other lines say `\\xff`."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", f"{tmp_path}/\udcffc ")
    code, out, err = run(capsys, "cache", "info")
    assert code == 0 and one_line(err) and "white space" in err, err
    assert "\\xffc " in err and "udc" not in err, err


@pytest.mark.parametrize("value", ["file://", "file://localhost"])
def test_a_file_url_cache_setting_without_a_path_is_refused(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`TFHUB_CACHE_DIR=file://$CACHE` with CACHE unset put the cache in `/`, the top of the
    disk (the URL's empty path taken as `/`). It names no folder: it is refused."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", value)
    code, out, err = run(capsys, "cache", "info")
    assert code == 2 and out == "" and one_line(err), err
    assert "TFHUB_CACHE_DIR" in err and "no path" in err, err


@pytest.mark.parametrize("value", ["$HOME/.cache/tfhub", "${XDG_CACHE_HOME}/tfhub", "$CACHE"])
def test_a_cache_setting_with_an_unexpanded_variable_is_refused(
    value: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """`TFHUB_CACHE_DIR=$HOME/.cache/tfhub` in a Docker env file or a systemd unit (which pass
    values as written, expanding nothing) made a folder literally named `$HOME` in the working
    folder. It is refused, naming the variable no shell expanded."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFHUB_CACHE_DIR", value)
    code, out, err = run(capsys, "resolve", HANDLE)
    assert code == 2 and out == "" and one_line(err), err
    assert "no shell expanded" in err and value.split("/")[0] in err, err
    assert os.listdir(tmp_path) == []


def test_tensorflow_without_a_writable_temporary_folder_says_to_set_tmpdir(
    tmp_path: Path,
) -> None:
    """TensorFlow's import asks Python for the temporary folder (absl's test helpers, which it
    imports, do): with none writable (a container with a read-only root file system), `tfhub
    inspect MODEL` said "tfhub: not found: [Errno 2] No usable temporary directory found in
    [...]" (exit 7, as for a missing model) and `hub.load` raised that bare FileNotFoundError.
    It is a TempFolderError (a FileNotFoundError still) that says TensorFlow needs one and to
    set TMPDIR (exit 2)."""
    if os.geteuid() != 0 or subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        pytest.skip("needs root and unshare, to mount read-only folders over /tmp and /var/tmp")
    import tarfile

    import tfhub

    with tarfile.open(Path(tfhub.__file__).parent / "data" / "half_plus_two_v1.tar.gz") as archive:
        archive.extractall(tmp_path / "model", filter="data")
    model = os.fspath(tmp_path / "model")
    env = child_env()
    for name in ("TMPDIR", "TEMP", "TMP"):
        env.pop(name, None)
    code = (
        "import tfhub as hub\ntry:\n    hub.load(__import__('sys').argv[1])\n"
        "except FileNotFoundError as err:\n    print(type(err).__name__, err.name, err)"
    )
    said = {}
    for what, argv in {
        "inspect": ["-m", "tfhub", "inspect", model],
        "load": ["-c", code, model],
    }.items():
        command = ["unshare", "-m", "sh", "-c", _NO_TEMP_FOLDER, "sh", sys.executable, *argv]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        said[what] = (done.returncode, done.stdout, done.stderr)
    code_, _, err = said["inspect"]
    assert code_ == 2 and one_line(err) and err.startswith("tfhub: invalid value: "), err
    assert "needs 'tensorflow', whose import needs a writable temporary folder" in err, err
    assert "TMPDIR" in err and "/var/tmp" in err, err
    code_, out, err = said["load"]
    assert code_ == 0 and out.startswith("TempFolderError TMPDIR "), (out, err)
    assert "Set TMPDIR to a writable folder" in out, out

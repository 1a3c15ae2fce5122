"""docs/cli.md, claim by claim, as users run `tfhub`: a real process (`python -m tfhub`) with
its argv as bytes, a locale that is not UTF-8, and a real server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer
from tests._helpers.python_process import child_env, run_tfhub

from tfhub import handles

# Python under the C locale without its UTF-8 mode or locale coercion: argv, file names and
# the environment are decoded as ASCII, their other bytes handed over as lone surrogates.
_ASCII_LOCALE = {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


def _tfhub(*argv: str | bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    """Runs `python -m tfhub ARGV` (argv given as the bytes a shell would pass)."""
    return run_tfhub(*argv, text=False, **env)


def test_an_unknown_argument_is_said_with_the_usage_of_its_command() -> None:
    """`tfhub cache rm --force X` printed `tfhub`'s usage (`tfhub [-h] [--version] [-v]
    COMMAND ...`), which shows none of rm's options; it is rm's usage now. One given before
    the command is still `tfhub`'s."""
    cases = {
        ("cache", "rm", "--force", "x"): ("tfhub cache rm [-h] [--all]", "--force"),
        ("resolve", "a", "b"): ("tfhub resolve [-h] [-v] handle", "b"),
        ("pull", "h", "--json"): ("tfhub pull [-h] [-v] HANDLE", "--json"),
        ("--json", "cache", "list"): ("tfhub [-h] [--version] [-v] COMMAND", "--json"),
    }
    for argv, (usage, unknown) in cases.items():
        done = _tfhub(*argv)
        lines = done.stderr.decode().splitlines()
        prog = usage.split(" [")[0]
        assert (done.returncode, done.stdout) == (2, b""), argv
        assert lines[0].startswith(f"usage: {usage}"), (argv, lines)
        assert lines[-1] == f"{prog}: error: unrecognized arguments: {unknown}", (argv, lines)


def test_rm_of_an_entry_named_twice_removes_it_once(tmp_path: Path, isolated_cache: Path) -> None:
    """`tfhub cache rm H H` (or H and its folder name) removed the entry, then said the second
    was "not in the cache" and exited 7, as if the user had named a wrong one."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    first, second = "https://host/models/a/1", "https://host/models/b/1"
    for handle in (first, second):
        assert _tfhub("import", archive, "--handle", handle).returncode == 0
    for argv in ([first, first], [second, handles.cache_key(second)]):
        done = _tfhub("cache", "rm", *argv)
        folder = os.path.join(isolated_cache, handles.cache_key(argv[0]))
        assert (done.returncode, done.stderr) == (0, b""), done.stderr
        assert done.stdout.decode() == f"removed {folder}\n"


def test_a_url_typed_under_an_ascii_locale_is_its_utf8_text(
    served_dir: Path, server: LocalServer, isolated_cache: Path
) -> None:
    """Under LC_ALL=C without Python's UTF-8 mode, `tfhub resolve https://host/mod\u00e8le/1`
    said "invalid value: 'utf-8' codec can't encode characters in position 26-27: surrogates
    not allowed" (resolve, pull, import --handle, cache rm): a URL's bytes are UTF-8 text and
    name the entry a UTF-8 locale names. Bytes that are not UTF-8 are a usage error that says
    what to do; a local path keeps its bytes."""
    (served_dir / "mod\u00e8le").mkdir()
    make_tar_gz(served_dir / "mod\u00e8le" / "1.tar.gz")
    url = server.url("mod\u00e8le/1")
    folder = os.path.join(isolated_cache, handles.cache_key(url)).encode()
    done = _tfhub("resolve", url.encode(), **_ASCII_LOCALE)
    assert (done.returncode, done.stdout, done.stderr) == (0, folder + b"\n", b"")
    done = _tfhub("pull", url.encode(), **_ASCII_LOCALE)
    shown = url.replace("\u00e8", "\\xe8").encode()  # A character ASCII lacks: its escape.
    assert (done.returncode, done.stdout) == (0, shown + b"\t" + folder + b"\n")
    done = _tfhub("cache", "rm", url.encode(), **_ASCII_LOCALE)
    assert (done.returncode, done.stdout) == (0, b"removed " + folder + b"\n"), done.stderr
    done = _tfhub("resolve", server.url("mod").encode() + b"\xe8le/1", **_ASCII_LOCALE)
    error = done.stderr.decode().splitlines()[-1]
    assert (done.returncode, done.stdout) == (2, b"")
    assert error.startswith("tfhub resolve: error: argument handle: the handle holds bytes")
    assert "(\\xe8)" in error and "percent-encode them in a URL (%E8)" in error


def test_an_error_names_a_byte_that_is_not_utf8_as_its_escape(tmp_path: Path) -> None:
    """A file name that is not UTF-8 was said as `\\udcff` (how Python holds the byte, no
    character a user has); it is `\\xff`."""
    missing = os.fsencode(tmp_path) + b"/model\xff"
    done = _tfhub("resolve", missing)
    assert done.returncode == 7
    assert done.stderr.decode() == f"tfhub: not found: {tmp_path}/model\\xff does not exist.\n"


def test_import_reads_the_archive_from_stdin_given_as_dash(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """`cat m.tar.gz | tfhub import - --handle H` said "- does not exist"; tar and gzip take `-`
    for stdin, as tfhub import now does (`/dev/stdin` as before). A terminal there is refused
    as for /dev/stdin (tests/test_cli.py), naming /dev/stdin."""
    handle = "https://host/models/piped/1"
    archive = Path(make_tar_gz(tmp_path / "m.tar.gz"))
    folder = os.path.join(isolated_cache, handles.cache_key(handle))
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "import", "-", "--handle", handle],
        input=archive.read_bytes(),
        capture_output=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{folder}\n".encode(), b"")

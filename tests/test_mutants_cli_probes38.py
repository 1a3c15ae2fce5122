"""Tests that kill hand-made mutants of the resolvers, the settings, the token, the program
runner and the `tfhub` commands (session 38).

Each test pins one decision that a mutant (a flipped comparison, a dropped check, a deleted
row or line) changed without any other test failing: the docstring names the mutant it kills.
Real folders in tmp_path, real servers on 127.0.0.1, the real `tfhub` entry point; nothing
under test is mocked.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from tests._helpers.python_process import child_env, run_python

from tfhub import errors
from tfhub.cli.main import main
from tfhub.program.error_table import classify
from tfhub.program.report import report


def test_a_port_in_use_is_an_error_not_an_invalid_value(capsys, tmp_path) -> None:
    """Mutant: `_bad_option_value` without `not isinstance(err.__cause__, OSError)`. `tfhub
    serve --port N` with N taken by another server is about what is there (exit 1, "error"),
    not a value out of range (2, "invalid value")."""
    pytest.importorskip("starlette")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(tmp_path), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tfhub: error: Cannot listen on 127.0.0.1:"), err


def test_an_unknown_scheme_is_said_to_be_an_invalid_handle(capsys) -> None:
    """Mutant: the row of UnknownSchemeError dropped from the error table: `tfhub resolve
    htps://...` said "unsupported handle" (the words for a handle no registered resolver
    takes), not "invalid handle" (a typo in the handle, as docs/cli.md says)."""
    assert main(["resolve", "htps://h.example/models/m/1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tfhub: invalid handle: No resolver reads htps:// handles"), err


def test_a_plain_os_error_is_an_os_error_and_a_plain_value_error_an_invalid_value(
    capsys,
) -> None:
    """Mutants: the rows of OSError and of ValueError dropped from the error table. An error
    of the system (a library's PermissionError) is "OS error", exit 1; a library's ValueError
    is "invalid value", exit 2: neither is an "unexpected error" (a bug, named by its class)."""
    denied = PermissionError(13, "Permission denied", "/data/x")
    assert classify(denied) == ("OS error", 1)
    assert report(denied) == 1
    assert capsys.readouterr().err == "tfhub: OS error: [Errno 13] Permission denied: '/data/x'\n"
    assert classify(ValueError("no such size")) == ("invalid value", 2)
    assert report(ValueError("no such size")) == 2
    assert capsys.readouterr().err == "tfhub: invalid value: no such size\n"


def test_a_tools_damaged_module_exits_1_not_not_found(tmp_path, capsys) -> None:
    """Mutant: the row of a damaged ModuleUnavailableError dropped from the error table. A
    tool's module whose saved_model.pb is empty is there but damaged: exit 1 ("error"), as
    `tfhub inspect` reports a damaged model, not 7 ("not found", its FileNotFoundError row)."""
    from tfhub.tools.module_handles import resolve_model_folder

    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(errors.ModuleUnavailableError) as caught:
        resolve_model_folder(str(tmp_path), flag="tfhub_module")
    assert caught.value.damaged is True
    assert classify(caught.value) == ("error", 1)
    assert report(caught.value) == 1
    assert capsys.readouterr().err.startswith("tfhub: error: The module ")


def test_the_error_line_hides_credentials_a_library_quoted(capsys) -> None:
    """Mutant: `report` without `redact`. An error tfhub did not word (a library's, a
    registered resolver's) may quote a URL with its user name and password, or a signature:
    the one line on stderr shows neither."""
    err = OSError("cannot reach https://ann:s3cret-pw@h.example/m/1?X-Amz-Signature=abcdef123")
    assert report(err) == 1
    said = capsys.readouterr().err
    assert said.startswith("tfhub: OS error: cannot reach https://"), said
    assert "s3cret-pw" not in said and "abcdef123" not in said


def test_an_unexpected_error_is_named_by_its_class(capsys) -> None:
    """Mutant: `report` without the class name of an "unexpected error". An exception no row
    of the table knows (a bug: a KeyError, a RuntimeError) is said with its class, which its
    message alone may not say (a KeyError's is the key)."""
    assert report(KeyError("signature")) == 1
    assert capsys.readouterr().err == "tfhub: unexpected error: KeyError: 'signature'\n"


def test_with_stderr_closed_the_error_line_never_goes_to_stdout(tmp_path) -> None:
    """Mutant: `tell` without its `sys.stderr is None` check. Started with descriptor 2 closed
    (`tfhub resolve X 2>&-`), Python sets sys.stderr to None and `print(file=None)` writes to
    stdout: the error line would be read as the folder by `cd "$(tfhub resolve X 2>&-)"`."""
    missing = tmp_path / "no-such-model"
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "resolve", str(missing)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=child_env(),
        timeout=60,
        check=False,
        preexec_fn=lambda: os.close(2),
    )
    assert (done.returncode, done.stdout) == (7, b"")


def test_a_file_name_that_is_not_utf8_is_said_as_its_bytes(tmp_path, capsys) -> None:
    """Mutant: `tell` printing the line without `bytes_escaped`. A missing path whose name is
    not UTF-8 (`caf\\xe9`, latin-1) was a lone surrogate that stderr cannot encode: the error
    line was lost (the UnicodeEncodeError suppressed), not said as `caf\\xe9`."""
    missing = os.path.join(os.fsdecode(bytes(tmp_path)), os.fsdecode(b"caf\xe9"))
    assert main(["resolve", missing]) == 7
    err = capsys.readouterr().err
    assert err.startswith("tfhub: not found: ") and "caf\\xe9" in err, err


def test_a_token_host_with_a_port_is_that_host_and_port_only_for_ipv6_too(monkeypatch) -> None:
    """Mutant: `_matches` comparing an entry with a colon to the URL's host too. An entry with
    a colon is `host:port` (an IPv6 host without brackets, `::1:8000`, as docs/hub.md writes
    it): it must not send the token to the host whose address is the whole entry
    (`[::1:8000]`, another machine) on another port."""
    from tfhub import _token

    monkeypatch.setenv("TFHUB_TOKEN", "tok-123456")
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "::1:8000")
    assert _token.token_for("http://[::1]:8000/m/1") == "tok-123456"
    assert _token.token_for("http://[::1:8000]:9000/m/1") is None


def test_a_four_character_secret_a_server_quotes_is_hidden(monkeypatch) -> None:
    """Mutant: `without_secrets` hiding secrets of more than 4 characters only. Its rule is
    "4 or more" (shorter ones are words of the text): a 4-character token or password that a
    server quotes back is replaced."""
    from tfhub._token import without_secrets

    monkeypatch.setenv("TFHUB_TOKEN", "Zq9x")
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "h.example")
    said = without_secrets("invalid token 'Zq9x' for ann (pw k7Wd)", "https://ann:k7Wd@h.example/m")
    assert said == "invalid token '***' for ann (pw ***)"


def test_a_percent_encoded_password_a_server_quotes_decoded_is_hidden() -> None:
    """Mutant: `without_secrets` looking for a URL's secrets only as written in the URL. A
    password with `@` is written `p%40ss...` in the URL; the server quotes it decoded."""
    from tfhub._token import without_secrets

    said = without_secrets(
        "wrong password 'p@ssw0rd' for ann", "https://ann:p%40ssw0rd@h.example/m"
    )
    assert "p@ssw0rd" not in said and "***" in said


def test_what_a_server_said_is_cut_to_the_limit_after_its_secrets_go() -> None:
    """Mutant: `without_secrets` ignoring `limit`. Its two callers (the http error line, the
    303 body of the UNCOMPRESSED format) quote a server's text through it, cut to `limit`: a
    hostile server's megabyte of text is not put in a message."""
    from tfhub._token import without_secrets

    said = without_secrets(
        "x" * 500 + " pw=Hunter22", "https://ann:Hunter22@h.example/m", limit=200
    )
    assert said == "x" * 200


class _Answers:
    """A resolver as upstream's users wrote them: `is_supported` and `__call__`, giving back
    `answer` for every handle."""

    def __init__(self, answer: object) -> None:
        self._answer = answer

    def is_supported(self, handle: str) -> bool:
        return True

    def __call__(self, handle: str) -> object:
        return self._answer


@pytest.fixture
def fresh_registry(monkeypatch):
    """An empty resolver registry in which the defaults are installed on first use."""
    from tfhub import resolvers

    monkeypatch.setattr(resolvers, "registry", resolvers.MultiImplRegistry("resolver"))
    monkeypatch.setattr(resolvers, "_defaults_installed", False)
    return resolvers


def test_an_empty_path_from_a_resolver_is_refused_naming_the_newest_supporting_one(
    fresh_registry, tmp_path
) -> None:
    """Mutants: `_as_path` taking "" as a path, and `_supporting` naming the oldest resolver
    that supports the handle. "" names no folder (the working folder, for some callers): it
    is an ArgumentError (a ValueError) naming the resolver that returned it, the newest
    registered, not the built-in PathResolver that also accepts the path."""
    import tfhub as hub

    hub.register_resolver(_Answers(""))
    with pytest.raises(ValueError) as caught:
        hub.resolve(str(tmp_path))
    assert isinstance(caught.value, errors.ArgumentError)
    assert str(caught.value).startswith("The resolver _Answers returned an empty path for ")


def test_no_resolver_at_all_is_the_registrys_error_not_an_unknown_scheme(fresh_registry) -> None:
    """Mutant: `resolve_with_registry` making an UnknownSchemeError of every
    UnsupportedHandleError (`and` for `or`). With every resolver removed (upstream's
    `clear_implementations`, for tests) a path or https handle is refused by the registry,
    listing what it tried; no `None://` scheme is made up."""
    from tfhub.resolvers import resolve_with_registry

    fresh_registry.install_default_resolvers()
    fresh_registry.registry.clear_implementations()
    for handle in ("/models/m", "https://h.example/m/1"):
        with pytest.raises(errors.UnsupportedHandleError) as caught:
            resolve_with_registry(handle)
        assert not isinstance(caught.value, errors.UnknownSchemeError)
        assert str(caught.value).startswith("Missing implementation that supports: resolver(")


def test_a_resolver_that_cannot_be_called_is_refused_when_registered(fresh_registry) -> None:
    """Mutant: `_check_implementation` without `not callable(impl)`. An object with
    `is_supported` but no `__call__` (a `resolve` method instead, say) is refused at
    registration, where the mistake is, not at the first resolve of a handle it supports."""
    import tfhub as hub

    class ResolveMethod:
        def is_supported(self, handle: str) -> bool:
            return True

        def resolve(self, handle: str) -> str:
            return handle

    with pytest.raises(TypeError) as caught:
        hub.register_resolver(ResolveMethod())
    assert isinstance(caught.value, errors.ArgumentTypeError)
    assert "needs an `is_supported(handle)` method and a `__call__(handle)`" in str(caught.value)


def _redirect_with(status: int, suffix: str, location: str):
    """A behaviour of the test server answering `status` with `location` for `suffix`."""

    def behaviour(handler, path: str, query: dict) -> bool:
        if not path.endswith(suffix):
            return False
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    return behaviour


@pytest.mark.parametrize("status", [301, 307, 308])
def test_the_uncompressed_format_follows_each_plain_redirect_to_the_303(
    server, monkeypatch, status: int
) -> None:
    """Mutant: 308 dropped from the plain redirects the UNCOMPRESSED format follows. A 301,
    307 or 308 (a permanent move of a hub, http to https) leads to the 303 that names the
    gs:// folder, as urllib followed them for upstream; it is not "received code 308"."""
    from tests._helpers.http_server import see_other

    from tfhub.resolvers import gcs

    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m")  # gfile's boundary.
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    query = "?tf-hub-format=uncompressed"
    server.state.behaviours += [
        _redirect_with(status, "/old/m/1", f"/models/m/1{query}"),
        see_other("/models/m/1", "gs://bucket/m"),
    ]
    import tfhub as hub

    assert hub.resolve(server.url("old/m/1")) == "gs://bucket/m"


def test_a_redirect_without_a_location_is_the_answer_not_a_loop(server, monkeypatch) -> None:
    """Mutant: `_redirect_target` following a plain redirect without a Location. A 302 that
    names no address is the server's answer (not the 303 the UNCOMPRESSED format needs: an
    InvalidHandleError naming the code), not a redirect to the same URL, 30 times over, and a
    "redirects in a loop" DownloadError."""
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")

    def found_nowhere(handler, path: str, query: dict) -> bool:
        handler.send_response(302)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    server.state.behaviours.append(found_nowhere)
    import tfhub as hub

    with pytest.raises(errors.InvalidHandleError, match="received code 302"):
        hub.resolve(server.url("models/m/1"))
    assert len(server.state.requests) == 1


def _path_of_length(folder: str, length: int) -> str:
    """A path below `folder` of exactly `length` bytes, of names of at most 200 bytes."""
    path = folder
    while length - len(path) > 201:
        path += "/" + "d" * 200
    path += "/" + "d" * (length - len(path) - 1)
    assert len(path) == length and not path.endswith("/")
    return path


def test_the_filesystems_limits_are_met_exactly_not_one_short(tmp_path) -> None:
    """Mutants: `_too_long` with `>=` for a name's limit and `>` for the path's. A name of
    exactly NAME_MAX bytes (255) is allowed: its path "does not exist", not "too long"; a path
    of PATH_MAX bytes is too long (PATH_MAX counts the terminating NUL byte), one byte less is
    not."""
    import tfhub as hub

    folder = os.fspath(tmp_path)
    name_max = os.pathconf(folder, "PC_NAME_MAX")
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve(os.path.join(folder, "n" * name_max))
    assert "too long" not in str(caught.value)
    path_max = os.pathconf(folder, "PC_PATH_MAX")
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve(_path_of_length(folder, path_max))
    assert f"the path is {path_max} bytes" in str(caught.value)
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve(_path_of_length(folder, path_max - 1))
    assert "too long" not in str(caught.value)


def test_a_missing_tfhub_dev_handle_without_its_site_offers_the_url(tmp_path, monkeypatch):
    """Mutant: `_meant_model` wanting more than 3 segments. tfhub.dev's handles are
    `publisher/model/version`, 3 segments: `google/nnlm-en-dim50/2` given as a path (it does
    not exist here) is offered as its https://tfhub.dev/ URL."""
    import tfhub as hub

    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve("google/nnlm-en-dim50/2")
    assert "write it as 'https://tfhub.dev/google/nnlm-en-dim50/2'" in str(caught.value)


def test_file_urls_of_localhost_and_with_percent_escapes_name_the_local_folder(tmp_path):
    """Mutants: `file_url_to_path` refusing `file://localhost/...` (RFC 8089's name for this
    machine) and leaving percent escapes undecoded. Both name the local folder `my model`."""
    import urllib.parse

    import tfhub as hub

    folder = tmp_path / "my model"
    folder.mkdir()
    url_path = urllib.parse.quote(os.fspath(folder))
    assert "%20" in url_path
    assert hub.resolve(f"file://{url_path}") == os.fspath(folder)
    assert hub.resolve(f"file://localhost{url_path}") == os.fspath(folder)


def test_pull_exits_with_the_first_failures_code_and_pulls_the_rest(
    tmp_path, capsys, monkeypatch
) -> None:
    """Mutant: `run_pull` keeping the last failure's exit code. `tfhub pull` reports each
    handle that fails and pulls the others; it exits with the code of the first failure (3, a
    URL offline and not cached), not of a later one (2, an unknown scheme). (The one pulled: a
    cached URL, since pull refuses a local folder.)"""
    from tests._helpers.archives import make_tar_gz

    cached = "https://h.example/m/1"
    assert main(["import", make_tar_gz(tmp_path / "m.tar.gz"), "--handle", cached]) == 0
    folder = capsys.readouterr().out.strip()
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    missing = "https://h.example/missing/1"
    assert main(["pull", missing, "htps://h.example/m/1", cached]) == 3
    out, err = capsys.readouterr()
    assert out == f"{cached}\t{folder}\n"
    assert [line.split(":")[1] for line in err.splitlines()] == [" offline", " invalid handle"]


def test_import_reads_the_archive_from_stdin_for_a_dash(tmp_path, isolated_cache) -> None:
    """Mutant: `_archive_path` taking `-` as a file name. `tfhub import - --handle H` reads the
    archive from stdin (as tar and gzip take `-`): `ssh host cat m.tar.gz | tfhub import -`."""
    from tests._helpers.archives import make_tar_gz

    from tfhub import cache

    archive = make_tar_gz(tmp_path / "m.tar.gz")
    handle = "https://h.example/models/m/1"
    with open(archive, "rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "tfhub", "import", "-", "--handle", handle],
            stdin=stdin,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=child_env(TFHUB_CACHE_DIR=os.fspath(isolated_cache)),
            timeout=60,
            check=False,
        )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == cache.module_dir(handle) + "\n"


def test_cache_list_marks_no_damage_on_an_entry_being_downloaded(isolated_cache, capsys):
    """Mutants: `_settled_scan` keeping the damage of a busy entry, `run_verify` counting a
    busy entry as damaged. An entry whose download is
    under way (tensorflow_hub's `<entry>.lock` of another machine) is incomplete, not damaged:
    `tfhub cache list` marks it, and `verify` exits 1 for it, only once nobody works on it."""
    from tests._helpers.archives import tensorflow_hub_entry

    entry = tensorflow_hub_entry(isolated_cache, "https://h.example/models/m/1")
    os.remove(os.path.join(entry, "saved_model.pb"))  # Empty: as before its download's rename.
    assert main(["cache", "list"]) == 0
    assert "[damaged: " in capsys.readouterr().out
    with open(entry + ".lock", "w") as lock:  # Another machine of a shared cache downloads it.
        lock.write(f"build-7.example.{os.getppid()}.abc")
    assert main(["cache", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(os.path.basename(entry)) and "damaged" not in out
    assert main(["cache", "verify"]) == 0  # Busy is not damage: exit 0.
    assert "\tBUSY: another process is installing or removing it" in capsys.readouterr().out


def test_cache_rm_of_a_url_with_credentials_removes_tensorflow_hubs_entry(isolated_cache):
    """Mutant: `_entry_path` giving tfhub's key (the URL without its credentials) even when
    only the entry keyed as given exists. tensorflow_hub keyed a URL with its user name and
    password as given: `tfhub cache rm` of that URL removes that entry, not "Not in the
    cache"."""
    from tests._helpers.archives import tensorflow_hub_entry

    handle = "https://alice:s3cret@h.example/models/m/1"
    entry = tensorflow_hub_entry(isolated_cache, handle)
    assert main(["cache", "rm", handle]) == 0
    assert not os.path.exists(entry)


def test_main_gives_back_the_stdout_it_found(tmp_path, capsys) -> None:
    """Mutant: `guarded_stdout` leaving its wrapper in `sys.stdout`. A program that calls
    `tfhub.cli.main.main` (a test, a notebook) gets its own stdout back: a wrapper left there
    would wrap again on each call and keep the first call's stream."""
    before = sys.stdout
    assert main(["resolve", os.fspath(tmp_path)]) == 0
    assert sys.stdout is before
    assert capsys.readouterr().out == f"{tmp_path}\n"


def test_a_name_the_stdout_encoding_lacks_is_printed_under_surrogateescape(tmp_path) -> None:
    """Mutant: `printable_stdout` leaving a stdout whose error handler is "surrogateescape"
    as it is. That handler writes a file name's undecodable bytes but fails on a character
    the encoding lacks (`è` on an ASCII stdout): `tfhub resolve` of `modèle` printed nothing
    and said "invalid value: 'ascii' codec can't encode character"."""
    folder = tmp_path / "mod\u00e8le"
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "resolve", os.fspath(folder)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=child_env(PYTHONIOENCODING="ascii:surrogateescape"),
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.startswith(os.fsencode(tmp_path) + b"/mod") and done.stdout.endswith(b"\n")


def test_a_long_output_to_a_full_disk_is_the_outputs_failure(isolated_cache) -> None:
    """Mutant: `GuardedStdout.write` not noting its failure. An output longer than stdout's
    buffer (`tfhub cache list --json` of many entries) fails in `write` itself, not in a
    flush: `> /dev/full` is still "cannot write the output to stdout" on one line, exit 1,
    not a failure of the command (its OSError reported, then Python's flush at exit failing
    again)."""
    from tests._helpers.archives import tensorflow_hub_entry

    for number in range(60):
        tensorflow_hub_entry(isolated_cache, f"https://h.example/models/model-{number}/1")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "tfhub", "cache", "list", "--json"],
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(TFHUB_CACHE_DIR=os.fspath(isolated_cache)),
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("tfhub: OS error: cannot write the output to stdout: ")
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_a_broken_pipe_that_is_not_stdout_is_reported(capsys) -> None:
    """Mutant: `_run_command` taking every BrokenPipeError for a closed stdout. A broken pipe
    to something else (a subprocess, a socket) while stdout is open is an error of the
    command: one line and exit 1, not the quiet 141 of `tfhub ... | head -1`."""
    from tfhub.program.runner import run_reported

    def command() -> int:
        raise BrokenPipeError(32, "Broken pipe")

    code = run_reported(command, prog="tfhub", verbose=False, tensorflow_logs=False)
    assert code == 1
    assert capsys.readouterr().err == "tfhub: OS error: [Errno 32] Broken pipe\n"


@pytest.mark.parametrize(("before", "inside"), [("1", "1"), (None, "3"), (" ", "3")])
def test_tensorflows_log_level_set_by_the_user_is_kept(monkeypatch, before, inside) -> None:
    """Mutant: `quiet_tensorflow` setting TF_CPP_MIN_LOG_LEVEL=3 whatever the user set. A
    user's level (1: warnings and errors) is what TensorFlow reads while the command runs;
    unset or blank (as for tfhub's own variables), the command runs at 3; afterwards the
    variable is as it was."""
    from tfhub.program.runner import run_reported

    if before is None:
        monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", before)
    seen = []
    code = run_reported(
        lambda: seen.append(os.environ.get("TF_CPP_MIN_LOG_LEVEL")),
        prog="tfhub",
        verbose=False,
        tensorflow_logs=False,
    )
    assert (code, seen) == (0, [inside])
    assert os.environ.get("TF_CPP_MIN_LOG_LEVEL") == before


_SECOND_SIGNAL_WHILE_REPORTED = """
import os, signal, sys, time
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGHUP, signal.SIGINT})
signal.signal(signal.SIGINT, signal.default_int_handler)  # As a shell gives it.
from tfhub.program.runner import run_reported

class Note:
    def __str__(self):  # Read when the Ctrl-C is reported: the pending SIGTERM arrives.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        time.sleep(0.1)
        return "half of the work is done"

def command():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    os.kill(os.getpid(), signal.SIGTERM)  # Pending until the note is read.
    try:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the command unwinds here.
    except KeyboardInterrupt as err:
        err.__notes__ = [Note()]
        raise

sys.exit(run_reported(command, prog="prog", verbose=False, tensorflow_logs=False))
"""


def test_a_second_stop_signal_while_the_first_is_reported_changes_nothing() -> None:
    """Mutant: the stop handler noting a late signal even when one had stopped the command.
    Ctrl-C stopped the command; a SIGTERM (`timeout`, `docker stop`) that arrives while that is
    said is not "as it ended" (the command did not end by itself): one line, exit 130."""
    done = run_python(_SECOND_SIGNAL_WHILE_REPORTED, timeout=60, check=False)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "prog: interrupted. half of the work is done\n"


def test_the_stopped_line_hides_credentials_in_the_commands_notes(capsys) -> None:
    """Mutant: `report_stopped` without `redact`. What a stopped command noted (`tfhub mirror`:
    "<source> was not mirrored") may quote a URL with its password: the "interrupted" line
    shows it redacted."""
    from tfhub.program.signals import report_stopped

    stop = KeyboardInterrupt()
    stop.__notes__ = ["https://ann:s3cret-pw@hub.example/acme/m/1 was not mirrored"]
    assert report_stopped("tfhub", stop) == 130
    said = capsys.readouterr().err
    assert said.startswith("tfhub: interrupted. https://") and said.endswith(" was not mirrored\n")
    assert "s3cret-pw" not in said


_STOPPED_AS_ITS_END = """
import os, signal, sys
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
signal.signal(signal.SIGINT, signal.default_int_handler)  # As a shell gives it.
from tfhub.program.runner import run_reported
from tfhub.program.signals import stop_signal_was_the_end

def serve():  # As `tfhub serve`: a stop signal is how it ends, gracefully.
    try:
        os.kill(os.getpid(), signal.SIGINT)
    except KeyboardInterrupt:
        print("stopped gracefully", flush=True)
    stop_signal_was_the_end()
    return 0

sys.exit(run_reported(serve, prog="tfhub", verbose=False, tensorflow_logs=False))
"""


def test_a_command_whose_end_is_a_stop_signal_exits_0() -> None:
    """Mutant: `stop_signal_was_the_end` doing nothing. `tfhub serve` stops gracefully on
    Ctrl-C (or SIGTERM) and says so by calling it: exit 0 and no "interrupted" line, not 130."""
    done = run_python(_STOPPED_AS_ITS_END, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "stopped gracefully\n", "")


def test_a_double_dash_after_the_command_is_the_commands_own(tmp_path, monkeypatch, capsys):
    """Mutant: `_without_end_of_options` removing a `--` after the command too. Only a `--`
    before the command is tfhub's to drop; after it, it ends the command's options, so that a
    folder named `-model` is a handle: `tfhub resolve -- -model`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-model").mkdir()
    assert main(["resolve", "--", "-model"]) == 0
    assert capsys.readouterr().out == "-model\n"


def test_an_unknown_option_before_the_command_is_answered_with_tfhubs_usage(capsys) -> None:
    """Mutant: `_reporting_parser` always answering with the command's parser. An option
    given before the command (`tfhub --bogus cache list`) is tfhub's: its usage is tfhub's,
    not `tfhub cache list`'s, which does not list where it was given."""
    with pytest.raises(SystemExit) as stop:
        main(["--bogus", "cache", "list"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "usage: tfhub [-h] [--version] [-v] COMMAND ...\n"
        "tfhub: error: unrecognized arguments: --bogus\n"
    )


def test_a_seconds_setting_of_exactly_its_maximum_is_taken(monkeypatch) -> None:
    """Mutant: `positive_seconds` refusing `most` itself. The documented bound is "at most
    1,000,000" seconds: that value is taken, one more is a SettingError."""
    from tfhub import constants

    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1000000")
    assert constants.http_timeout() == 1_000_000.0
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1000001")
    with pytest.raises(errors.SettingError, match="at most 1,000,000"):
        constants.http_timeout()


def test_a_file_url_is_kept_as_its_bytes_whatever_the_locale(tmp_path) -> None:
    """Mutant: `handle_text` reading a file:// URL's argv bytes as UTF-8 text. A file:// URL
    names a file by its bytes, as a path does: a folder whose name is latin-1 (`caf\\xe9`),
    given as a file:// URL, is resolved, not refused as "not UTF-8"."""
    folder = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(folder)
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "resolve", b"file://" + folder],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, folder + b"\n", b"")


def test_a_count_setting_takes_both_of_its_bounds(monkeypatch) -> None:
    """Mutants: `whole_number` refusing its lowest or its highest value. TFHUB_HTTP_RETRIES
    is "a whole number from 0 to 100": 0 (no retry) and 100 are taken, 101 is refused; the
    archive member limit takes 1, not 0."""
    from tfhub import constants

    for value, retries in (("0", 0), ("100", 100)):
        monkeypatch.setenv("TFHUB_HTTP_RETRIES", value)
        assert constants.http_retries() == retries
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "101")
    with pytest.raises(errors.SettingError, match="from 0 to 100"):
        constants.http_retries()
    monkeypatch.setenv("TFHUB_MAX_ARCHIVE_MEMBERS", "1")
    assert constants.max_archive_members() == 1
    monkeypatch.setenv("TFHUB_MAX_ARCHIVE_MEMBERS", "0")
    with pytest.raises(errors.SettingError, match="1 or more"):
        constants.max_archive_members()


@pytest.mark.parametrize("endpoint", ["https://k.example/#", "https://k.example/x#top"])
def test_an_endpoint_with_a_fragment_mark_is_refused(monkeypatch, endpoint: str) -> None:
    """Mutant: `base_url` taking `#` (model paths are appended to the endpoint: after a `#`
    they would never reach the server; urlsplit drops a bare `#`, so it is looked for in the
    text)."""
    from tfhub import constants

    monkeypatch.setenv("TFHUB_KAGGLE_ENDPOINT", endpoint)
    with pytest.raises(errors.SettingError, match="an http.s. URL with a host and no query"):
        constants.kaggle_endpoint()

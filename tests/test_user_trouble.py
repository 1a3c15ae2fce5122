"""Trouble as a user meets it, through the `tfhub` command against a real local server.

Each test is a case of the download/cache audit (issue 13's bar) that failed before: the
command must end with a non-zero exit, one line on stderr saying what, where and what to do,
and leave the cache valid and clean; nothing outside the cache is ever removed.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import tarfile
import time

import pytest
from tests._helpers import mounts
from tests._helpers.archives import MODEL_FILES, add_members, make_tar_gz, read_tree
from tests._helpers.cache_users import tfhub_as_nobody
from tests._helpers.http_server import answer_status, delay, ignore_range
from tests._helpers.python_process import child_env, python_command, start_python

import tfhub
from tfhub import cache, errors
from tfhub.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err


def _locks(root) -> list[str]:
    folder = os.path.join(root, cache.LOCKS_DIRNAME)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_cache_rm_never_removes_a_folder_outside_the_cache(capsys, tmp_path, isolated_cache):
    """A 40-character path (not a sha1) used to be joined to the cache folder and removed."""
    os.makedirs(isolated_cache)
    victim = tmp_path / ("v" * 37)  # "../" + 37 characters: 40, like an entry's name.
    victim.mkdir()
    (victim / "thesis.txt").write_text("years of work")
    for name in ("../" + "v" * 37, str(victim) + "/" * (40 - len(str(victim)))):
        if len(name) != 40:
            continue  # The absolute form only where tmp_path is short enough.
        code, out, err = run(capsys, "cache", "rm", name)
        assert code == 7 and out == "" and _one_line(err), err
        assert "tfhub cache list" in err and "nothing else was removed" in err
    assert (victim / "thesis.txt").read_text() == "years of work"
    with pytest.raises(errors.InvalidHandleError, match="nothing was removed"):
        cache.remove(str(victim))  # The library refuses too.
    assert (victim / "thesis.txt").exists()


def test_failed_download_leaves_no_leftover(capsys, server, served_dir, isolated_cache):
    """The lock file of an entry that was never installed used to stay (a "leftover")."""
    server.state.behaviours.append(answer_status("m.tar.gz", 404))
    code, _, err = run(capsys, "resolve", server.url("m.tar.gz"))
    assert code == 4 and _one_line(err) and "404" in err
    assert cache.leftovers() == [] and _locks(isolated_cache) == []
    code, out, _ = run(capsys, "cache", "info")
    assert code == 0 and "leftovers: 0" in out


def test_stalled_server_is_one_bounded_error_then_a_rerun_succeeds(
    capsys, server, served_dir, isolated_cache, monkeypatch
):
    """A server that stalls mid-body and cannot resume: the error used to name neither the
    handle, nor the cause (a timeout), nor what to do."""
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(200_000)})
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    server.state.behaviours += [
        ignore_range("m.tar.gz"),
        delay("m.tar.gz", 2.0, stall_after=50_000, times=2),
    ]
    handle = server.url("m.tar.gz")
    code, out, err = run(capsys, "resolve", handle)
    assert code == 4 and out == "" and _one_line(err), err
    assert f"Cannot download {handle!r}" in err and "broke at byte 50000" in err
    assert "timed out" in err and "TFHUB_HTTP_RETRIES" in err
    assert sorted(os.listdir(isolated_cache)) == [cache.LOCKS_DIRNAME]
    assert _locks(isolated_cache) == []
    server.state.behaviours.clear()  # The server recovers.
    code, out, _ = run(capsys, "resolve", handle)
    assert code == 0 and os.path.isdir(out.strip())
    assert run(capsys, "cache", "verify")[0] == 0


@pytest.mark.parametrize("below_a_file", [False, True])
def test_cache_commands_refuse_a_cache_dir_that_is_a_file(
    capsys, tmp_path, monkeypatch, below_a_file
):
    """`cache list|info|verify|prune` used to call such a cache "empty" and exit 0."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    root = blocker / "cache" if below_a_file else blocker
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    for command in (["list"], ["info"], ["verify"], ["prune"], ["rm", "https://h/m"]):
        code, out, err = run(capsys, "cache", *command)
        assert code == 6 and out == "" and _one_line(err), (command, err)
        assert f"{blocker} is a file, not a folder" in err and "TFHUB_CACHE_DIR" in err
    code, _, err = run(capsys, "resolve", "https://h.invalid/m.tar.gz")
    assert code == 6 and f"{blocker} is a file, not a folder" in err
    assert blocker.read_text() == "mine"


def test_verify_names_leftovers_of_a_killed_download(capsys, server, served_dir, isolated_cache):
    """`cache verify` used to say only "empty: nothing to verify" over a killed download's
    temporary folder; prune removes it and the next resolve installs the entry."""
    make_tar_gz(served_dir / "m.tar.gz")
    entry = cache.module_dir(server.url("m.tar.gz"))
    os.makedirs(entry + ".0123abcd.tmp/variables")  # What SIGKILL mid-extraction leaves.
    code, out, _ = run(capsys, "cache", "verify")
    assert code == 0 and "1 leftover(s)" in out and "tfhub cache prune" in out
    assert run(capsys, "cache", "prune")[0] == 0
    code, out, _ = run(capsys, "cache", "verify")
    assert "leftover(s)" not in out
    code, out, _ = run(capsys, "resolve", server.url("m.tar.gz"))
    assert code == 0 and read_tree(out.strip()) == MODEL_FILES


def _truncated(path) -> None:
    make_tar_gz(path, {"saved_model.pb": os.urandom(100_000)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _unsafe(path) -> None:
    member = tarfile.TarInfo("../evil.txt")
    add_members(path, [member])


@pytest.mark.parametrize(("make", "todo"), [(_truncated, "try again"), (_unsafe, "publisher")])
def test_bad_archives_say_what_to_do(capsys, server, served_dir, isolated_cache, make, todo):
    """Truncated and unsafe archives used to be refused without a word on what to do."""
    make(served_dir / "m.tar.gz")
    code, out, err = run(capsys, "resolve", server.url("m.tar.gz"))
    assert code == 5 and out == "" and _one_line(err), err
    assert "Nothing was installed" in err and todo in err
    assert sorted(os.listdir(isolated_cache)) == [cache.LOCKS_DIRNAME]
    assert _locks(isolated_cache) == []
    code, out, err = run(capsys, "import", str(served_dir / "m.tar.gz"), "--handle", "https://h/m")
    assert code == 5 and _one_line(err) and "Nothing was installed" in err
    assert "fresh copy" in err if make is _truncated else todo in err
    assert sorted(os.listdir(isolated_cache)) == [cache.LOCKS_DIRNAME]


def test_http_errors_keep_no_credentials_in_their_data(server, served_dir):
    """HTTPStatusError.url used to keep the URL's password (messages were redacted already):
    pickled into a log or a worker's result, it leaked."""
    server.state.behaviours.append(answer_status("m.tar.gz", 404))
    url = server.url("m.tar.gz").replace("http://", "http://bob:hunter2@")
    with pytest.raises(errors.HTTPStatusError) as info:
        tfhub.resolve(url)
    assert info.value.url.startswith("http://***@127.0.0.1")
    assert b"hunter2" not in pickle.dumps(info.value)


def test_a_signed_urls_secrets_are_never_written_or_shown(
    server, served_dir, isolated_cache, capsys, monkeypatch
):
    """An S3 presigned URL (or a GCS signed URL, an Azure SAS) carries its credentials in the
    query: the descriptor, `tfhub cache list`, log lines and errors showed the signature and
    the session token. And it is requested as given: `tf-hub-format=compressed` added to it
    (and the query re-encoded) voids the signature, and the store answers 403."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(isolated_cache))
    make_tar_gz(served_dir / "m.tar.gz")
    query = "?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Security-Token=T0ken&X-Amz-Signature=S1gnature"
    code, out, err = run(capsys, "-v", "pull", server.url("m.tar.gz") + query)
    assert code == 0 and "Downloading TF-Hub Module 'http" in err, err  # The log line.
    assert [path for method, path, _ in server.state.requests] == ["/m.tar.gz" + query]
    listed = [run(capsys, "cache", action) for action in ("list", "verify")]
    server.state.behaviours.append(answer_status("gone.tar.gz", 404))
    with pytest.raises(errors.HTTPStatusError) as info:
        tfhub.resolve(server.url("gone.tar.gz") + query)
    descriptors = [p.read_text() for p in isolated_cache.glob("*.descriptor.txt")]
    shown = [out, err, *(o + e for _, o, e in listed), str(info.value), *descriptors]
    # The entry is the URL's without its signature (one entry for every signature of it).
    assert len(descriptors) == 1 and descriptors[0].startswith(
        f"Module: {server.url('m.tar.gz')}\n"
    )
    for secret in ("AKIDEXAMPLE", "T0ken", "S1gnature"):
        assert not [text for text in shown if secret in text], secret
        assert secret.encode() not in pickle.dumps(info.value)


def _trickle_headers(handler, path, query) -> bool:
    """Sends the status line, then one byte of a header every 0.05 s (each within the timeout)."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    try:
        for _ in range(200):  # 10 s at most, then the server gives up (before: tfhub waited).
            handler.wfile.write(b"a")
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        pass
    handler.close_connection = True
    return True


def test_headers_sent_a_byte_at_a_time_are_cut_off(capsys, server, isolated_cache, monkeypatch):
    """Each byte came within TFHUB_HTTP_TIMEOUT, so the wait had no bound (hours per header)."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.3")
    server.state.behaviours.append(_trickle_headers)
    code, out, err = run(capsys, "resolve", server.url("m.tar.gz"))
    assert code == 4 and out == "" and _one_line(err), err
    assert "took more than 0.6 s to send its response headers" in err
    assert len(server.state.requests) == 1  # Cut off, not retried.
    assert sorted(os.listdir(isolated_cache)) == [cache.LOCKS_DIRNAME]


def test_a_redirect_with_an_endless_body_is_not_read(capsys, server, served_dir):
    """requests read a redirect's whole body into memory: a 302 streaming without end filled
    the RAM (2.9 GB in 4 s here, then MemoryError)."""
    make_tar_gz(served_dir / "m.tar.gz")
    sent = []

    def endless_redirect(handler, path, query) -> bool:
        if not path.endswith("/old"):
            return False
        handler.send_response(302)
        handler.send_header("Location", "/m.tar.gz")
        handler.send_header("Content-Length", str(1 << 40))
        handler.end_headers()
        chunk, total = b"x" * 65536, 0
        try:
            while total < 400 << 20:  # 400 MB, then the server stops.
                handler.wfile.write(chunk)
                total += len(chunk)
        except OSError:
            pass
        sent.append(total)
        handler.close_connection = True
        return True

    server.state.behaviours.append(endless_redirect)
    code, out, _ = run(capsys, "resolve", server.url("old"))
    assert code == 0 and read_tree(out.strip()) == MODEL_FILES
    deadline = time.monotonic() + 10
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent and sent[0] < 32 << 20  # The client hung up after 64 KB (+ socket buffers).


# A command a shell starts in the foreground gets Python's Ctrl-C handler; one started by a
# background job of a script (`./run test &`) inherits SIGINT ignored, and Python keeps it so:
# the children that test Ctrl-C put the foreground's handler back, whatever ran the suite.
_CTRL_C_AS_A_SHELL_GIVES = "signal.signal(signal.SIGINT, signal.default_int_handler)"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stopped_mid_stall_ends_at_once_and_keeps_nothing(
    server, served_dir, isolated_cache, monkeypatch, signum
):
    """SIGTERM (`kill`, `timeout`, `docker stop`) used to end Python at once, leaving the
    download's temporary folder and lock file in the cache; SIGINT (Ctrl-C) on a stalled server
    waited for the read timeout (60 s by default) before ending. SIGHUP (the terminal or ssh
    connection closed) ended it as SIGTERM did."""
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(300_000)})
    server.state.behaviours.append(delay("m.tar.gz", 20, stall_after=100_000))
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "30")
    proc = start_python(
        # SIGTERM and SIGINT unblocked, as a shell starts a command (a blocked mask of the
        # test process would be inherited).
        "import signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, "
        "signal.SIGINT, signal.SIGHUP}); signal.signal(signal.SIGHUP, signal.SIG_DFL); "
        f"{_CTRL_C_AS_A_SHELL_GIVES}; "
        "from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))",
        "resolve",
        server.url("m.tar.gz"),
    )
    try:
        deadline = time.monotonic() + 30
        while not any(name.endswith(".tmp") for name in _names(isolated_cache)):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.02)
        time.sleep(0.3)  # Mid-body: the server has sent 100 KB and stalls.
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=10)  # Not the 20 s stall.
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum and _one_line(err), err
    expected = "interrupted" if signum == signal.SIGINT else f"terminated ({signum.name})"
    assert expected in err
    assert _names(isolated_cache) == [cache.LOCKS_DIRNAME] and _locks(isolated_cache) == []


def test_ctrl_c_taken_by_another_thread_still_stops_a_stalled_download(
    server, served_dir, isolated_cache, monkeypatch
):
    """The kernel gives a signal to any thread that does not block it; Python runs the handler
    when the main thread next runs Python. A Ctrl-C that landed on another thread (one of the
    program's own, say) left the main thread waiting for the stalled download's next chunk:
    it stopped only when the stall ended (the CI saw it once, as a timeout of the test above).
    tfhub's own threads block the stop signals, and the wait wakes to look at signals."""
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(300_000)})
    server.state.behaviours.append(delay("m.tar.gz", 20, stall_after=100_000))
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "30")
    script = (
        "import signal, sys, threading, time\n"
        f"{_CTRL_C_AS_A_SHELL_GIVES}\n"
        "import tfhub as hub\n"
        "def other():  # A thread of the program's own, not blocking SIGINT.\n"
        "    while not any(t.name == 'tfhub-read' for t in threading.enumerate()):\n"
        "        time.sleep(0.01)\n"
        "    time.sleep(0.5)  # Mid-body: the server has sent 100 KB and stalls.\n"
        "    signal.pthread_kill(threading.get_ident(), signal.SIGINT)\n"
        "    time.sleep(60)\n"
        "threading.Thread(target=other, daemon=True).start()\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    hub.resolve(sys.argv[1])\n"
        "except KeyboardInterrupt:\n"
        "    print(f'interrupted after {time.monotonic() - started:.1f} s')\n"
    )
    proc = start_python(script, server.url("m.tar.gz"))
    try:
        out, err = proc.communicate(timeout=15)  # Not the 20 s stall.
    finally:
        proc.kill()
    assert "interrupted after" in out, err
    assert _names(isolated_cache) == [cache.LOCKS_DIRNAME] and _locks(isolated_cache) == []


# A command that does `what_follows`, which sends it SIGTERM (`os.kill(os.getpid(), ...)`
# delivers it before the call returns); the exit code and stderr show how it ended. Run in a
# fresh process: SIGTERM's handler is the main thread's. `before` runs before the command.
_SELF_TERMINATING = """
import os, signal, sys, time
signal.pthread_sigmask(signal.SIG_UNBLOCK, {{signal.SIGTERM, signal.SIGHUP, signal.SIGINT}})
signal.signal(signal.SIGHUP, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.default_int_handler)  # As a shell gives it (see above).
{before}
from tfhub.program.runner import run_reported

def command():
    {what_follows}
    print("ran to its end", flush=True)

started = time.monotonic()
code = run_reported(command, prog="prog", verbose=False, tensorflow_logs=False)
print(f"exit {{code}} after {{time.monotonic() - started:.1f}} s", flush=True)
sys.exit(code)
"""


def _run_self_terminating(what_follows: str, before: str = "") -> subprocess.CompletedProcess[str]:
    """Runs `_SELF_TERMINATING` with `what_follows` in a fresh process; its result."""
    return subprocess.run(
        python_command(_SELF_TERMINATING.format(what_follows=what_follows, before=before)),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stop_signal_swallowed_by_a_library_is_delivered_again(signum):
    """A library's bare `except:` (or a finalizer, whose exceptions Python drops) could
    swallow the KeyboardInterrupt SIGTERM raised: the command then ran to its end and exited
    0, as `generate` did on CI with a whole Beam pipeline still to run. SIGHUP (a closed
    terminal or ssh connection) ended Python at once, leaving a download's temporary folder;
    it now unwinds as SIGTERM does. Ctrl-C is delivered again too, and still ends as
    "interrupted" (130)."""
    what_follows = f"""
    try:
        os.kill(os.getpid(), {int(signum)})  # The signal arrives here...
    except BaseException:
        pass  # ...and a library drops it.
    for _ in range(2000):  # The work goes on (20 s).
        time.sleep(0.01)
    """
    done = _run_self_terminating(what_follows)
    assert done.returncode == 128 + signum, done.stdout + done.stderr
    assert "ran to its end" not in done.stdout
    ended = "interrupted" if signum == signal.SIGINT else f"terminated ({signum.name})"
    assert done.stderr.strip().splitlines()[-1] == f"prog: {ended}"
    seconds = float(done.stdout.split()[-2])
    assert seconds < 15, done.stdout  # Delivered again within seconds, not after the work.


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_a_library_turns_into_its_own_error_still_ends_as_stopped(signum):
    """Apache Beam's runner sometimes turns the KeyboardInterrupt of a signal into an error of
    its own that no longer holds it (seen on CI: `generate` stopped by SIGTERM reported "The
    Beam pipeline failed" and exited 1, not 143)."""
    what_follows = f"""
    try:
        os.kill(os.getpid(), {int(signum)})  # The signal arrives here...
        time.sleep(5)
    except BaseException:
        raise RuntimeError("the worker was lost") from None  # ...and becomes another error.
    """
    done = _run_self_terminating(what_follows)
    assert done.returncode == 128 + signum, done.stdout + done.stderr
    ended = "interrupted" if signum == signal.SIGINT else f"terminated ({signum.name})"
    assert done.stderr.strip().splitlines()[-1] == f"prog: {ended}"
    assert "the worker was lost" not in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_while_the_ending_command_is_reported_is_no_traceback(signum):
    """A signal that arrived once the command had ended (here while its error is reported)
    raised out of the reporting: a traceback ending in `_Terminated`, exit 1. It now ends the
    program as that signal does, after the report."""
    what_follows = f"""
    signal.pthread_sigmask(signal.SIG_BLOCK, {{{int(signum)}}})
    os.kill(os.getpid(), {int(signum)})  # Pending until the error below is read.

    class Failure(Exception):
        def __str__(self):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {{{int(signum)}}})  # Arrives here.
            time.sleep(0.1)
            return "the work failed"

    raise Failure()
    """
    done = _run_self_terminating(what_follows)
    assert "Traceback" not in done.stderr, done.stderr
    assert "the work failed" in done.stderr, done.stderr
    assert done.returncode == 128 + signum, done.stdout + done.stderr
    ended = "interrupted" if signum == signal.SIGINT else f"terminated ({signum.name})"
    assert done.stderr.strip().splitlines()[-1] == f"prog: {ended}, as it ended"


def test_under_nohup_sighup_stays_ignored():
    """`nohup tfhub pull ...`: the user asked the command to outlive its terminal."""
    ignored = _run_self_terminating(
        "os.kill(os.getpid(), signal.SIGHUP)", "signal.signal(signal.SIGHUP, signal.SIG_IGN)"
    )
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
    assert "ran to its end" in ignored.stdout and ignored.stderr == ""


def test_sigterm_redelivery_never_interrupts_the_clean_up():
    """The clean-up that SIGTERM's KeyboardInterrupt runs (removing a temporary folder) may
    take longer than the redelivery check: it must run to its end, once."""
    what_follows = """
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # SIGTERM arrives here.
    finally:
        for _ in range(300):  # A clean-up of 3 s, unwinding.
            time.sleep(0.01)
        print("cleaned up", flush=True)
    """
    done = _run_self_terminating(what_follows)
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    assert done.stdout.count("cleaned up") == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "prog: terminated (SIGTERM)"


def _names(root) -> list[str]:
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


@pytest.fixture
def inode_starved_cache(tmp_path):
    """A cache on a tmpfs with inodes for the cache, `.locks` and one lock file only."""
    with mounts.tmpfs(tmp_path / "fs", "size=1m,nr_inodes=4") as mount_point:
        (mount_point / "cache" / cache.LOCKS_DIRNAME).mkdir(parents=True)
        yield mount_point / "cache"


def test_no_room_for_the_temporary_folder_is_a_cache_error(
    capsys, server, served_dir, inode_starved_cache, monkeypatch
):
    """A full disk (here: no inode left) when creating the download's folder used to end in
    `tfhub: OS error: [Errno 28] ...: '<folder>'` (exit 1) without a word on what to do."""
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(inode_starved_cache))
    code, out, err = run(capsys, "resolve", server.url("m.tar.gz"))
    assert code == 6 and out == "" and _one_line(err), err
    assert "the disk is full" in err and "Free space" in err and "TFHUB_CACHE_DIR" in err
    assert _names(inode_starved_cache) == [cache.LOCKS_DIRNAME]
    assert _locks(inode_starved_cache) == []


def test_a_failed_forced_import_keeps_the_entry(capsys, tmp_path, isolated_cache, monkeypatch):
    """`tfhub import --force` removed the entry before extracting: a truncated archive left no
    entry at all (offline, in an air-gapped setup, maybe the only copy)."""
    handle = "https://airgap.example/models/m/1"
    good = make_tar_gz(tmp_path / "good.tar.gz")
    bad = tmp_path / "bad.tar.gz"
    _truncated(bad)
    code, out, _ = run(capsys, "import", good, "--handle", handle)
    entry = out.strip()
    assert code == 0 and read_tree(entry) == MODEL_FILES
    code, out, err = run(capsys, "import", str(bad), "--handle", handle, "--force")
    assert code == 5 and out == "" and _one_line(err), err
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    code, out, _ = run(capsys, "resolve", handle)
    assert code == 0 and out.strip() == entry and read_tree(entry) == MODEL_FILES
    assert run(capsys, "cache", "verify", "--deep")[0] == 0
    other = make_tar_gz(tmp_path / "other.tar.gz", {"saved_model.pb": b"new"})
    code, out, _ = run(capsys, "import", other, "--handle", handle, "--force")
    assert code == 0 and out.strip() == entry and read_tree(entry) == {"saved_model.pb": b"new"}
    assert run(capsys, "cache", "verify", "--deep")[0] == 0


@pytest.mark.parametrize("obstacle", ["read-only folder", "folder of another user"])
def test_cache_rm_says_removed_only_when_it_is(shared_dir, tmp_path, obstacle):
    """`cache rm` printed "removed" (exit 0) over an entry it could not delete: a read-only
    folder inside it (tensorflow_hub keeps the archive's modes) or another user's files;
    the data stayed, renamed aside."""
    cache_dir = os.path.join(shared_dir, "cache")
    archive = make_tar_gz(os.path.join(shared_dir, "m.tar.gz"))
    handle = "https://h.example/models/m/1"
    done = tfhub_as_nobody("import", archive, "--handle", handle, cache_dir=cache_dir)
    entry = done.stdout.strip()
    assert done.returncode == 0 and os.path.isdir(entry), done.stderr
    if obstacle == "read-only folder":
        subprocess.run(["chmod", "555", os.path.join(entry, "variables")], check=True)
    else:
        os.mkdir(os.path.join(entry, "root_only"))  # As root: nobody cannot delete inside.
        open(os.path.join(entry, "root_only", "file"), "w").close()
    done = tfhub_as_nobody("cache", "rm", handle, cache_dir=cache_dir)
    left = [name for name in os.listdir(cache_dir) if name.endswith(".deleting.tmp")]
    if obstacle == "read-only folder":
        assert done.returncode == 0 and "removed" in done.stdout, done.stderr
        assert left == [] and not os.path.exists(entry)
    else:
        assert done.returncode == 6 and _one_line(done.stderr), done.stderr
        assert "Could not remove all of" in done.stderr and left[0] in done.stderr
        assert "removed" not in done.stdout


def test_import_of_an_archive_nobody_may_read_is_one_line_and_leaves_no_entry(shared_dir):
    """`tfhub import` of an archive the user may not read ended in a bare PermissionError
    ('tfhub: OS error: [Errno 13] Permission denied: ...'), saying nothing of what to do."""
    cache_dir = os.path.join(shared_dir, "cache")
    archive = make_tar_gz(os.path.join(shared_dir, "m.tar.gz"))
    os.chmod(archive, 0o600)  # root's: nobody may not read it.
    done = tfhub_as_nobody(
        "import", archive, "--handle", "https://h.example/m/1", cache_dir=cache_dir
    )
    assert done.returncode == 1 and done.stdout == "", done.stderr
    assert done.stderr == (
        f"tfhub: error: Cannot read {archive} (Permission denied): make it readable for this "
        "user (`chmod a+r`), or import it as a user who can read it.\n"
    )
    entries = [name for name in os.listdir(cache_dir) if not name.startswith(".")]
    assert entries == [], entries

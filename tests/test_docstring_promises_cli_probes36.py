"""Promises of the docstrings of `tfhub/cli/` and `tfhub/program/` that no other test checked
(session 36 probes): each test names the docstring it holds to its word.

Real processes (`python -m tfhub`, or a fresh interpreter running `run_reported`), real
signals sent with `os.kill`, a real HTTP server for the demo; nothing under test is mocked.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import child_env, python_command, run_tfhub

from tfhub import errors

# A fresh interpreter that runs `run_reported` on `command`, whose body is `{body}`; `{before}`
# runs first (signal set-up, say). Prints what the command printed, then `exit N`.
_RUN_REPORTED = """
import json, os, signal, sys, threading, time
signal.pthread_sigmask(signal.SIG_UNBLOCK, {{signal.SIGTERM, signal.SIGHUP, signal.SIGINT}})
signal.signal(signal.SIGHUP, signal.SIG_DFL)  # As a terminal gives them (not `nohup`'s).
signal.signal(signal.SIGINT, signal.default_int_handler)
{before}
from tfhub.program.runner import run_reported

def command():
    {body}

code = run_reported(command, prog="prog", verbose=False, tensorflow_logs={tensorflow_logs})
{after}
print(f"exit {{code}}", flush=True)
sys.exit(code)
"""


def _run_reported(
    body: str,
    *,
    before: str = "",
    after: str = "",
    tensorflow_logs: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    code = _RUN_REPORTED.format(
        body=body, before=before, after=after, tensorflow_logs=tensorflow_logs
    )
    return subprocess.run(
        python_command(code),
        env=child_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _handler_names() -> str:
    """Child code: the names of the current handlers of SIGTERM, SIGHUP and SIGINT."""
    return (
        "[getattr(h, 'name', None) or h.__name__ for h in "
        "map(signal.getsignal, (signal.SIGTERM, signal.SIGHUP, signal.SIGINT))]"
    )


def test_the_stop_signal_handlers_are_put_back_when_the_command_ends() -> None:
    """signals.stop_signals_unwind: the handlers it installs are the command's only: its
    `finally` puts back what was there (Python's Ctrl-C handler, SIGTERM's and SIGHUP's
    defaults), and the unraisable hook it wraps."""
    names = _handler_names()
    done = _run_reported(
        f"print('inside', json.dumps({names}), sys.unraisablehook is sys.__unraisablehook__)",
        before=f"print('before', json.dumps({names}))",
        after=f"print('after', json.dumps({names}), sys.unraisablehook is sys.__unraisablehook__)",
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in done.stdout.splitlines()}
    before = json.loads(lines["before"])
    assert before == ["SIG_DFL", "SIG_DFL", "default_int_handler"]
    inside, hook_inside = lines["inside"].rsplit(" ", 1)
    assert json.loads(inside) == ["terminate"] * 3 and hook_inside == "False"
    after, hook_after = lines["after"].rsplit(" ", 1)
    assert json.loads(after) == before and hook_after == "True"


def test_a_command_run_outside_the_main_thread_runs_without_signal_handlers() -> None:
    """signals.stop_signals_unwind: "Only in the main thread" (`signal.signal` raises
    ValueError in any other): run there, the command runs, its code is the exit code, and the
    handlers stay as they were."""
    names = _handler_names()
    done = _run_reported(
        "pass",
        after=f"""
result = {{}}
def in_a_thread():
    def work():
        result['inside'] = {names}
        return 3
    result['code'] = run_reported(work, prog="prog", verbose=False, tensorflow_logs=False)
worker = threading.Thread(target=in_a_thread)
worker.start()
worker.join()
result['after'] = {names}
print(json.dumps(result))
""",
    )
    assert done.returncode == 0, done.stderr
    untouched = ["SIG_DFL", "SIG_DFL", "default_int_handler"]
    seen = json.loads(done.stdout.splitlines()[0])
    assert seen == {"inside": untouched, "code": 3, "after": untouched}
    assert done.stderr == ""


def test_a_signal_someone_else_handles_or_ignores_is_left_to_them() -> None:
    """signals.stop_signals_unwind: "only for a signal nobody else handles or ignores": the
    program's own SIGTERM handler keeps SIGTERM (the command runs on), and a Ctrl-C that the
    process was started ignoring (a background job of a script: SIGINT ignored) stays
    ignored."""
    done = _run_reported(
        """
    os.kill(os.getpid(), signal.SIGTERM)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)
    print("ran to its end; own handler saw", seen, flush=True)
""",
        before="""
seen = []
signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
signal.signal(signal.SIGINT, signal.SIG_IGN)
""",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ran to its end; own handler saw [{int(signal.SIGTERM)}]" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("user_value", "tensorflow_logs", "inside"),
    [(None, False, "3"), (None, True, None), ("1", False, "1")],
    ids=["quiet", "verbose", "user's-setting"],
)
def test_tensorflow_is_kept_quiet_for_the_command_only(
    user_value: str | None, tensorflow_logs: bool, inside: str | None
) -> None:
    """runner.quiet_tensorflow: TF_CPP_MIN_LOG_LEVEL=3 while the command runs, unless the
    programs' `-v` (`tensorflow_logs`) or the user set it; the environment is as it was after."""
    env = child_env()
    env.pop("TF_CPP_MIN_LOG_LEVEL")
    if user_value is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = user_value
    read = "json.dumps(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))"
    done = _run_reported(
        f"print('inside', {read}, flush=True)",
        after=f"print('after', {read})",
        tensorflow_logs=tensorflow_logs,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert json.loads(lines["inside"]) == inside
    assert json.loads(lines["after"]) == user_value


def test_a_stopped_commands_notes_are_said_on_one_line_without_credentials() -> None:
    """signals.report_stopped: "with the notes the command added ... on one line" (and, like
    every line tfhub says, with a handle's credentials redacted)."""
    done = _run_reported(
        """
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    except KeyboardInterrupt as err:
        err.__notes__ = ["https://user:secret@host/m/1 was\\n    not mirrored;", "hub/ kept."]
        raise
""",
    )
    assert done.returncode == 143, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "prog: terminated (SIGTERM). https://***@host/m/1 was not mirrored; hub/ kept."
    ]


def test_the_debug_traceback_comes_before_the_one_line(tmp_path: Path) -> None:
    """report.report: "Prints one line for `err` on stderr (the traceback before it if
    TFHUB_DEBUG is set)": the one line stays the last, where scripts and people look."""
    done = run_tfhub("resolve", str(tmp_path / "missing"), TFHUB_DEBUG="1")
    assert done.returncode == 7, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):", lines[:3]
    assert lines[-1].startswith("tfhub: not found: "), lines[-3:]
    assert sum(line.startswith("tfhub: ") for line in lines) == 1


def test_one_line_keeps_the_runs_of_spaces_within_a_line() -> None:
    """report.one_line: lines stripped and joined by one space; runs of spaces within a line
    kept (a quoted file name with two spaces stays copyable)."""
    from tfhub.program.report import one_line

    text = "\n  Cannot read 'my  model.tar.gz':  \n\n\t  make it readable.\n  "
    assert one_line(text) == "Cannot read 'my  model.tar.gz': make it readable."
    assert one_line(" \n\t\n") == ""


def test_printable_stdout_puts_the_error_handler_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdout.printable_stdout: a file name that is not UTF-8 is written as its bytes while the
    block runs; "Restored when the block ends"."""
    from tfhub.program.stdout import printable_stdout

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", stream)
    name = os.fsdecode(b"mod\xe8le")  # As Python decodes such a name: a lone surrogate.
    with printable_stdout():
        assert stream.errors != "strict"
        print(name)
        stream.flush()
    assert stream.errors == "strict"
    assert raw.getvalue() == b"mod\xe8le\n"
    with pytest.raises(UnicodeEncodeError):
        stream.write(name)


def test_pull_exits_with_the_first_failures_code_and_pulls_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """resolve.run_pull: "A handle that fails is reported on stderr and the others are still
    pulled; the exit code is then that of the first failure"."""
    cached = "https://host.invalid/models/m/1"  # Pulled from the cache (no local folder:
    archive = make_tar_gz(tmp_path / "m.tar.gz")  # pull refuses one, probes53).
    folder = run_tfhub("import", archive, "--handle", cached).stdout.strip()
    missing, mistyped = "https://host.invalid/models/missing/1", "htps://host/models/m/1"
    monkeypatch.setenv("TFHUB_OFFLINE", "1")  # The missing one: offline, not cached (3).
    for handles, code in (((missing, mistyped), 3), ((mistyped, missing), 2)):
        done = run_tfhub("pull", handles[0], cached, handles[1])
        assert done.returncode == code, done.stderr
        assert done.stdout == f"{cached}\t{folder}\n"
        said = [line.split(":")[1].strip() for line in done.stderr.splitlines()]
        assert said == ["offline", "invalid handle"][:: 1 if code == 3 else -1]


def test_the_entry_point_imports_nothing_beyond_what_import_tfhub_does() -> None:
    """cli/main.py: "Only the standard library is imported when this module loads" (the
    console script imports it before `main` runs: a Ctrl-C then would be Python's
    traceback)."""
    code = """
import sys
import tfhub
before = set(sys.modules)
import tfhub.cli.main
print(" ".join(sorted(name for name in set(sys.modules) - before
      if name.split(".")[0] not in sys.stdlib_module_names)))
"""
    done = subprocess.run(
        python_command(code), env=child_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["tfhub.cli", "tfhub.cli.main"]


@pytest.mark.parametrize(("entries", "remove_all"), [([], False), (["x"], True)])
def test_run_rm_refuses_neither_or_both_as_its_docstring_says(
    entries: list[str], remove_all: bool
) -> None:
    """cache.run_rm: "Raises: tfhub.errors.ArgumentError: for both entries and --all, or
    neither" (the library path; `tfhub` says the same as a usage error before running it)."""
    from tfhub.cli.cache import run_rm

    with pytest.raises(errors.ArgumentError, match="tfhub cache rm"):
        run_rm(argparse.Namespace(entries=entries, all=remove_all))


def test_demo_stops_its_server_and_removes_its_files_after_a_failed_step() -> None:
    """demo: "The server is stopped and every temporary file removed at the end, even after an
    error."; `run_demo` raises the step's error."""
    pytest.importorskip("uvicorn", reason="the demo's server runs on uvicorn")
    from tfhub.cli import demo

    seen: dict[str, str] = {}

    def fail(ctx: demo.DemoContext) -> None:
        seen.update(workdir=ctx.workdir, handle=ctx.handle)
        with urllib.request.urlopen(ctx.handle + "?tf-hub-format=compressed", timeout=10) as got:
            assert got.status == 200  # The server was up while the steps ran.
        raise errors.TFHubError("the step failed")

    out = io.StringIO()
    with pytest.raises(errors.TFHubError, match="the step failed"):
        demo.run_demo(steps=[("serve", demo.step_serve), ("fail", fail)], out=out)
    assert seen["workdir"] and not os.path.exists(seen["workdir"])
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(seen["handle"] + "?tf-hub-format=compressed", timeout=5)


def test_cache_rm_refuses_an_argument_whose_bytes_are_not_utf8_as_a_usage_error() -> None:
    """_parsers.cache_text: "Raises: argparse.ArgumentTypeError: `value`'s bytes are not UTF-8
    text": a usage error of `tfhub cache rm` (exit 2, rm's usage), nothing removed."""
    done = run_tfhub("cache", "rm", b"https://host/mod\xe8le/1", text=False)
    assert (done.returncode, done.stdout) == (2, b"")
    lines = done.stderr.decode().splitlines()
    assert lines[0].startswith("usage: tfhub cache rm ")
    assert lines[-1].startswith(
        "tfhub cache rm: error: argument HANDLE_OR_FOLDER: the handle holds bytes that are not "
        "UTF-8 text (\\xe8)"
    ), lines


# A line of TensorFlow's C++ logging (`I0000 00:00:1796410605.853219 16229 port.cc:153] ...`).
_TF_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:[\d.]+ ")


@pytest.mark.tf
def test_verbose_after_the_tools_operation_shows_tensorflows_lines_too(upstream_dir: Path) -> None:
    """cli/make_nearest_neighbour_index.py: `-v` is "tfhub's own flag, which may also come after
    the operation (`... query -v`)", and tfhub's `-v` logs "progress (and TensorFlow's)": after
    the operation it logged tfhub's records but kept TensorFlow's lines off stderr, which
    `tfhub -v make-nearest-neighbour-index query` and the console script's `query -v` show."""
    env = {k: v for k, v in child_env().items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    model = str(upstream_dir / "tf2_saved_model")  # Not a text embedding: loaded, then refused.
    flags = ["--module_url", model, "--index_output_dir", str(upstream_dir), "--query", "hi"]

    def tensorflow_lines(*argv: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "tfhub", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert done.returncode == 1 and "is not a text embedding" in done.stderr, done.stderr
        return [line for line in done.stderr.splitlines() if _TF_LOG_LINE.match(line)]

    before = tensorflow_lines("-v", "make-nearest-neighbour-index", "query", *flags)
    if not before:
        pytest.skip("this TensorFlow build prints no start-up lines: nothing to compare")
    assert tensorflow_lines("make-nearest-neighbour-index", "query", "-v", *flags)


def test_demo_names_a_missing_server_package_before_any_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """demo.run_demo: "Raises: tfhub.errors.MissingDependencyError: a module the default steps
    import is missing: the hub server's, uvicorn, TensorFlow or Keras (checked before any
    step)". uvicorn made unimportable (`sys.modules[name] = None`, as Python's import system
    reads it): the error names it and the demo printed nothing."""
    from tfhub.cli import demo

    monkeypatch.setitem(sys.modules, "uvicorn", None)
    out = io.StringIO()
    with pytest.raises(errors.MissingDependencyError) as caught:
        demo.run_demo(out=out)
    assert caught.value.module == "uvicorn" and "uvicorn" in str(caught.value)
    assert out.getvalue() == ""


def test_cache_info_says_a_cache_folder_not_made_yet_and_does_not_make_it(
    tmp_path: Path,
) -> None:
    """cache.run_info and `tfhub cache info`'s description: it prints "the cache folder,
    whether it is writable, its entries, total size, damaged entries and leftovers"; for a
    folder not made yet, writable is "not created yet" (parse and print only: not made)."""
    root = tmp_path / "cache"
    done = run_tfhub("cache", "info", TFHUB_CACHE_DIR=str(root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"cache folder: {root}",
        "writable: not created yet",
        "entries: 0",
        "total size: 0 B",
        "damaged entries: 0",
        "leftovers: 0",
    ]
    assert not root.exists()


def test_main_returns_its_codes_and_leaves_argparses_ends_to_systemexit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """cli.main.main: returns the exit code (2 for a usage problem argparse cannot see, after
    the usage and the error line) and raises SystemExit where argparse ends the program:
    --version (0) and a usage error argparse sees (2)."""
    from tfhub import __version__
    from tfhub.cli.main import main

    assert main(["cache", "rm"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("usage: tfhub cache rm ") and err[-1].startswith(
        "tfhub cache rm: error: "
    )
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"tfhub {__version__}\n"
    with pytest.raises(SystemExit) as stop:
        main(["cache", "list", "--bogus"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "tfhub cache list: error: unrecognized arguments: --bogus"
    )


def test_ctrl_c_stops_a_uvicorn_server_gracefully_with_0(tmp_path: Path) -> None:
    """`tfhub serve`'s description: "SIGINT or SIGTERM stops it gracefully (exit 0)"
    (serve.run_command: `stop_signal_was_the_end`). SIGTERM for both servers, SIGHUP for
    uvicorn and SIGINT for granian are held by tests/hub; here SIGINT for uvicorn."""
    pytest.importorskip("uvicorn", reason="tfhub serve --server uvicorn")
    pytest.importorskip("starlette", reason="the hub app (pip install 'tfhub[hub]')")
    from tests._helpers.hub_server import serve_hub

    root = tmp_path / "hub"
    (root / "assets" / "docs").mkdir(parents=True)
    prelude = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)"
    log = tmp_path / "serve.log"
    with serve_hub(root, log, "--server", "uvicorn", "--rescan", "0", prelude=prelude) as running:
        running.proc.send_signal(signal.SIGINT)
        assert running.proc.wait(timeout=30) == 0, running.access_log()
    text = log.read_text()
    assert "Traceback" not in text and "interrupted" not in text, text


def test_the_demo_leaves_tensorflows_log_level_to_the_user_and_the_runner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`tfhub demo -v`'s help: "TensorFlow's start-up lines too", as the runner promises for
    `-v` (quiet_tensorflow: TF_CPP_MIN_LOG_LEVEL=3 unless -v or the user's). run_demo set
    TF_CPP_MIN_LOG_LEVEL=2 itself, for good: under -v TensorFlow's CPU-features start-up line
    (cpu_feature_guard) and its other INFO and WARNING lines were hidden, and a program
    calling run_demo kept the setting in its environment and its subprocesses'."""
    from tfhub.cli import demo

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    seen: dict[str, str | None] = {}

    def read(ctx: demo.DemoContext) -> None:
        seen["during"] = os.environ.get("TF_CPP_MIN_LOG_LEVEL")

    demo.run_demo(steps=[("read", read)], out=io.StringIO())
    assert seen == {"during": None}
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ


def test_a_file_url_keeps_the_bytes_of_its_path(tmp_path: Path) -> None:
    """_parsers.handle_text: "A local path (or file:// URL) is kept as given: it names a file
    by its bytes", whatever they are (a URL of another scheme must be UTF-8)."""
    folder = os.fsencode(tmp_path) + b"/mod\xe8le"
    os.mkdir(folder)
    (Path(os.fsdecode(folder)) / "saved_model.pb").write_bytes(b"x")
    done = run_tfhub("resolve", b"file://" + folder, text=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, folder + b"\n", b"")

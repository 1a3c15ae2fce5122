"""What a new user met at the front door and in the everyday commands (session 32 probes).

Each test is a defect found by running the command by hand: real commands (`tfhub.cli.main`),
real model folders from tests/data/upstream (made by the real tensorflow_hub), real caches.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz, tensorflow_hub_entry
from tests._helpers.cli import run_tfhub
from tests._helpers.http_server import LocalServer
from tests._helpers.python_process import ctrl_c_as_in_a_terminal
from tests.test_front_door import BASH, STUB, _env, door, stamps

from tfhub.cli.main import main

__all__ = ["door"]  # The fixture of tests/test_front_door.py, used here too.


@pytest.mark.tf
def test_inspect_of_a_folder_whose_path_is_not_utf8_says_so_as_hub_load_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, upstream_dir: Path, isolated_cache: Path
) -> None:
    """`tfhub inspect /tmp/mod\\xe8le` (a TF1 module copied there) ended with "tfhub: invalid
    value: 'utf-8' codec can't encode character '\\udce8' in position 16: surrogates not
    allowed" (exit 2): TensorFlow's UnicodeEncodeError, from reading the variables. hub.load of
    the same folder says what is wrong and what to do (ModelPathEncodingError)."""
    pytest.importorskip("tensorflow")
    folder = tmp_path / os.fsdecode(b"mod\xe8le")
    shutil.copytree(upstream_dir / "tf1_multi_sig", folder)
    code, out, err = run_tfhub(capsys, "inspect", str(folder))
    assert (code, out) == (1, "")
    assert "surrogates not allowed" not in err
    assert f"the model folder {tmp_path}/mod\\xe8le: its path is not UTF-8" in err
    assert "Rename the folder, or copy the model to a folder whose path is UTF-8" in err


def test_cache_rm_without_entries_is_a_usage_error_with_rms_usage(
    capsys: pytest.CaptureFixture[str], isolated_cache: Path
) -> None:
    """docs/cli.md: a usage error ("an option or argument the command does not take, one
    missing") prints the command's usage and `tfhub cache rm: error: ...`, exit 2. `tfhub cache
    rm` alone, the likeliest slip, printed "tfhub: invalid value: ..." without the usage (every
    other command missing its argument showed its usage), and so did `cache rm --all x`."""
    code, out, err = run_tfhub(capsys, "cache", "rm")
    assert (code, out) == (2, "")
    assert err.startswith("usage: tfhub cache rm ")
    assert "tfhub cache rm: error: " in err and "or --all for every entry" in err
    code, out, err = run_tfhub(capsys, "cache", "rm", "--all", "x")
    assert (code, out) == (2, "")
    assert err.startswith("usage: tfhub cache rm ")
    assert "tfhub cache rm: error: " in err and "give it no handle. Received: ['x']" in err


@pytest.mark.tf
def test_demo_under_a_temporary_folder_whose_path_is_not_utf8_says_what_to_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`TMPDIR=/tmp/x\\xe8 tfhub demo` served and resolved the model there, then ended at step 3
    with "tfhub: invalid value: 'utf-8' codec can't encode character '\\udce8' ...: surrogates
    not allowed". It now says so before making anything, and what to set."""
    pytest.importorskip("tensorflow")
    temp = tmp_path / os.fsdecode(b"tmp\xe8")
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # Python caches the folder it picked.
    code, out, err = run_tfhub(capsys, "demo")
    assert (code, out) == (2, "")
    assert "surrogates not allowed" not in err
    assert f"The temporary folder {tmp_path}/tmp\\xe8 has a path that is not UTF-8" in err
    assert "Set TMPDIR to a folder whose path is UTF-8" in err
    assert os.listdir(temp) == []


# pip on Ctrl-C: "ERROR: Operation cancelled by user" and exit 1, as for a failure (pip's
# base_command returns ERROR on KeyboardInterrupt). The stub of tests/test_front_door.py died of
# the signal instead, which `run` told apart by its status alone.
PIP_LIKE_STUB = STUB.replace(
    'touch "$STUB_PIP_HANG"; while',
    "trap 'echo \"ERROR: Operation cancelled by user\" >&2; exit 1' INT\n"
    '    touch "$STUB_PIP_HANG"; while',
)


def _ctrl_c_during_pip(door: dict[str, Path]) -> tuple[int, str]:
    """Runs `run setup demo` as a terminal would and presses Ctrl-C while pip runs; returns
    its exit status and stderr."""
    started = door["cwd"] / "pip-started"
    proc = subprocess.Popen(
        [BASH, str(door["repo"] / "run"), "setup", "demo"], cwd=door["cwd"],
        env=_env(door, STUB_PIP_HANG=str(started)), stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=ctrl_c_as_in_a_terminal,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # Waiting for pip to start, not asserting on time.
    assert started.exists()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


def test_ctrl_c_during_the_install_says_interrupted_and_exits_130(door) -> None:
    """Ctrl-C while pip installed printed "run: installing tfhub[tf,hub] failed (see pip's
    message above); fix that and run again." with no message of pip's above it (grep, pip's
    filter, died of the Ctrl-C first) and exited 1: a user who pressed Ctrl-C was told to fix
    a failure, and a script saw a failure, not an interrupt."""
    (door["bin"] / "python3").write_text(PIP_LIKE_STUB)
    code, err = _ctrl_c_during_pip(door)
    assert code == 130, err
    assert "ERROR: Operation cancelled by user" in err
    assert "run: installing tfhub[tf,hub] was interrupted; the next run installs it again." in err
    assert "failed" not in err
    assert stamps(door) == []
    done = subprocess.run(
        [BASH, str(door["repo"] / "run"), "setup", "demo"], cwd=door["cwd"], env=_env(door),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(stamps(door)) == 1


def test_verify_deep_says_a_tensorflow_hub_entry_had_no_sizes_to_check(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    upstream_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    isolated_cache: Path,
) -> None:
    """`tfhub cache verify --deep` on the cache tensorflow_hub 0.15 wrote said "OK (sizes only:
    no hashes recorded)" for each entry; but tensorflow_hub records no sizes either (no
    manifest): a truncated variables file still passed. An entry of an earlier tfhub (a
    manifest of sizes) is the one checked by sizes only."""
    root = tmp_path / "cache_0.15"
    shutil.copytree(upstream_dir / "cache_0.15", root)
    root.chmod(0o755)  # The fixture's folders are read-only; a manifest is written below.
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
    code, out, _ = run_tfhub(capsys, "cache", "verify", "--deep")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert "\tOK (presence only: no sizes or hashes recorded, as by tensorflow_hub)\t" in line
    entry = root / lines[0].split("\t")[0]
    sizes = {"files": {"saved_model.pb": (entry / "saved_model.pb").stat().st_size}}
    Path(f"{entry}.manifest.json").write_text(json.dumps(sizes))  # An earlier tfhub's.
    code, out, _ = run_tfhub(capsys, "cache", "verify", "--deep")
    assert "\tOK (sizes only: no hashes recorded)\t" in out.splitlines()[0]


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"not JSON: {name}")


@pytest.mark.tf
def test_inspect_json_is_valid_json_for_a_model_whose_losses_are_not_finite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, isolated_cache: Path
) -> None:
    """A model whose weights diverged during fine-tuning (a NaN) has a NaN regularization loss:
    `tfhub inspect --json` wrote `NaN` and `Infinity`, which JSON has not (`jq`, JavaScript's
    JSON.parse and Go refuse the whole output)."""
    tf = pytest.importorskip("tensorflow")
    weights = tf.Variable([float("nan"), 1.0])
    root = tf.train.Checkpoint(weights=weights)
    root.__call__ = tf.function(lambda x: x * weights)
    root.__call__.get_concrete_function(tf.TensorSpec([None, 2], tf.float32))
    root.variables = root.trainable_variables = [weights]
    sum_loss = tf.function(lambda: tf.reduce_sum(weights), input_signature=[])
    inf_loss = tf.function(lambda: tf.constant(float("-inf")), input_signature=[])
    root.regularization_losses = [sum_loss, inf_loss]
    tf.saved_model.save(root, str(tmp_path / "diverged"))
    code, out, err = run_tfhub(capsys, "inspect", "--json", str(tmp_path / "diverged"))
    assert code == 0, err
    info = json.loads(out, parse_constant=_refuse_constant)
    assert info["reusable"]["regularization_losses"] == ["nan", "-inf"]
    code, out, err = run_tfhub(capsys, "inspect", str(tmp_path / "diverged"))
    assert "regularization losses: 2 (nan, -inf)" in out


def test_rm_of_a_handle_several_entries_show_removes_nothing_as_it_says(
    capsys: pytest.CaptureFixture[str], server: LocalServer, served_dir: Path, isolated_cache: Path
) -> None:
    """`tfhub cache rm OTHER 'http://***@host/m.tar.gz'` (the handle as `cache list` shows two
    entries whose credentials differ) removed OTHER, then said "nothing was removed" (exit 2):
    the names were looked up one by one, removing as it went."""
    make_tar_gz(served_dir / "other.tar.gz")
    port = server.url().split(":")[2].rstrip("/")
    for password in ("one", "two"):  # tensorflow_hub keyed them as given; tfhub would not.
        tensorflow_hub_entry(isolated_cache, f"http://u:{password}@127.0.0.1:{port}/m.tar.gz")
    assert run_tfhub(capsys, "resolve", server.url("other.tar.gz"))[0] == 0
    listed = run_tfhub(capsys, "cache", "list")[1]
    shown = f"http://***@127.0.0.1:{port}/m.tar.gz"
    assert listed.count(shown) == 2
    code, out, err = run_tfhub(capsys, "cache", "rm", server.url("other.tar.gz"), shown)
    assert code == 2 and "nothing was removed" in err
    assert out == ""
    assert run_tfhub(capsys, "cache", "list")[1] == listed


def test_cache_rm_usage_error_with_stderr_closed_writes_nothing_on_stdout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, isolated_cache: Path
) -> None:
    """With descriptor 2 closed (`tfhub cache rm 2>&-`), Python 3.10 sets `sys.stderr` to None,
    and argparse's `print_usage(None)` writes to stdout: the usage of the usage error above
    went there."""
    monkeypatch.setattr(sys, "stderr", None)
    assert main(["cache", "rm"]) == 2
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("argv", [["resolve"], ["cache", "list", "extra"], ["bogus"]])
def test_a_usage_error_with_stderr_closed_exits_2_and_writes_nothing_on_stdout(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    isolated_cache: Path,
) -> None:
    """Under Python 3.10, `tfhub resolve 2>&-` (sys.stderr None) exited 1, not 2: argparse's
    error wrote to None (AttributeError); `tfhub cache list extra 2>&-` also wrote its usage on
    stdout. docs/cli.md: a command started with stderr closed keeps its exit code."""
    monkeypatch.setattr(sys, "stderr", None)
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert capsys.readouterr().out == ""
    assert sys.stderr is None

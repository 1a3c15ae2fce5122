"""README.md's "Quick start", "Using it", "Handles", "Environment variables" and "Development"
sections, claim by claim where no other test checks the claim: the "Using it" example run as
printed (local handles for its example.com ones); `hub.resolve` and the cache commands with
TensorFlow missing; the demo without network, leaving no temporary file; `./run`'s `.venv`,
`setup` default and extras; the handle table's archive row (and its signed-URL exception) and
local rows; the defaults and bounds the variable table states, `TFHUB_DOWNLOAD_MIN_SPEED`'s
zero, `TFHUB_LOCK_TIMEOUT`'s two beats, `TFHUB_TOKEN` across ports, progress bars in a
terminal; every file or folder the sections name. Real processes, real servers on 127.0.0.1,
a real pty, upstream's own test modules (tests/data/upstream/); no mocks."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import archive_gets, redirect_to, serve_folder
from tests._helpers.python_process import child_env, run_python
from tests._helpers.warm_python import run_warm_python
from tests.test_front_door import BASH, _env, calls, door, run

import tfhub as hub
from tfhub import constants, errors, handles

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
__all__ = ["door"]  # The fixture, imported from test_front_door: `./run` in a stub checkout.


def _section(title: str) -> str:
    """The text of README.md's `## title` section, up to the next `## `."""
    match = re.search(rf"^## {re.escape(title)}.*?\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README.md has no section {title!r}"
    return match.group(1)


# --- Using it: the example, as printed ---

_EXAMPLE_CHECKS = """
import json
sentences = tf.constant(["a good film", "a bad film"])
reloaded = keras.saving.load_model("classifier.keras")
exported = hub.load(EXPORTED)
print("RESULT " + json.dumps({
    "layer": type(embed).__module__ + "." + type(embed).__name__,
    "loaded_embeds": obj(sentences).shape.as_list(),
    "reloaded_predicts_the_same": bool(np.allclose(
        reloaded.predict(sentences, verbose=0), model.predict(sentences, verbose=0))),
    "exported_embeds_the_same": bool(np.allclose(
        exported(sentences).numpy(), embed(sentences).numpy())),
    "fine_tuned": not np.allclose(embed(sentences).numpy(), obj(sentences).numpy()),
    "module_outputs": {key: value.shape.as_list() for key, value in y.items()},
}))
"""


# `python SCRIPT` (sys.argv[1]): runs it as the interpreter runs a file, its argv [SCRIPT].
_RUN_SCRIPT = """
import runpy, sys
sys.argv[:] = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.tf
def test_the_using_it_example_runs_as_printed(tmp_path: Path, upstream_dir: Path) -> None:
    """The example with upstream's own text embedding (TF2) and TF1 Hub module behind a local
    server: it fits, `classifier.keras` loads back without custom_objects and predicts the same,
    the exported fine-tuned module is reusable by `hub.load`, and the TF1 module in a graph
    gives its "default" signature's outputs as a dict. `hub.KerasLayer` is Keras 3's."""
    (code,) = re.findall(r"```python\n(.*?)```", _section("Using it"), re.S)
    exported = tmp_path / "fine_tuned_embedding"
    with serve_folder(os.fspath(upstream_dir)) as server:
        code = code.replace(
            "https://example.com/models/text_embedding.tar.gz",
            server.url("tf2_text_embedding.tar.gz"),
        ).replace(
            "https://example.com/models/tf1_module.tar.gz", server.url("tf1_multi_sig.tar.gz")
        )
        assert "example.com" not in code and '"/tmp/fine_tuned_embedding"' in code
        code = code.replace('"/tmp/fine_tuned_embedding"', "EXPORTED")
        program = f"EXPORTED = {os.fspath(exported)!r}\n{code}{_EXAMPLE_CHECKS}"
        script = tmp_path / "example.py"
        script.write_text(program)
        # `python example.py`, forked after TensorFlow's import (the example's work is checked).
        done = run_warm_python(
            _RUN_SCRIPT, os.fspath(script), cwd=tmp_path, check=False, timeout=240,
            env=child_env(TFHUB_CACHE_DIR=os.fspath(tmp_path / "cache")),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert json.loads(line.removeprefix("RESULT ")) == {
        "layer": "tfhub.keras.layer.KerasLayer",  # "Keras 3 by default".
        "loaded_embeds": [2, 4],
        "reloaded_predicts_the_same": True,
        "exported_embeds_the_same": True,
        "fine_tuned": True,
        "module_outputs": {"default": [None, 2], "hidden": [None, 4]},
    }
    assert (tmp_path / "classifier.keras").is_file()
    assert (exported / "saved_model.pb").is_file()


# --- Quick start: `pip install tfhub` works without TensorFlow ---

_WITHOUT_TENSORFLOW = """
import importlib.abc, json, runpy, sys

class NoTensorFlow(importlib.abc.MetaPathFinder):  # As after `pip install tfhub`, no extra.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
            raise ImportError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoTensorFlow())
import tfhub as hub
handle = sys.argv[1]
path = hub.resolve(handle)
report = {"path": path, "codes": []}
try:
    hub.load(path)
except ImportError as err:
    report["load"] = [type(err).__name__, str(err)]
for argv in (["cache", "list"], ["cache", "info"], ["cache", "verify", "--deep"],
             ["cache", "rm", handle]):
    sys.argv = ["tfhub", *argv]
    try:
        runpy.run_module("tfhub", run_name="__main__")
    except SystemExit as done:
        report["codes"].append(done.code)
report["imported"] = sorted(m for m in sys.modules
                            if m.split(".")[0] in ("tensorflow", "keras", "tf_keras"))
print("RESULT " + json.dumps(report))
"""


def test_resolve_and_the_cache_commands_work_without_tensorflow(
    server, served_dir: Path, upstream_dir: Path, isolated_cache: Path
) -> None:
    """Quick start: `pip install tfhub` installs it without TensorFlow; `hub.resolve` (a
    download) and the cache commands do not need it, and `hub.load` names the extra to install."""
    shutil.copy(upstream_dir / "tf2_saved_model.tar.gz", served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    done = run_python(_WITHOUT_TENSORFLOW, handle, timeout=60)
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    report = json.loads(line.removeprefix("RESULT "))
    assert report["path"] == os.path.join(isolated_cache, handles.cache_key(handle))
    assert report["codes"] == [0, 0, 0, 0] and report["imported"] == []
    kind, message = report["load"]
    assert kind == "MissingDependencyError" and "[tf]" in message and "pip install" in message
    assert f"removed {report['path']}" in done.stdout  # `cache rm` did remove the entry.
    assert not os.path.exists(report["path"])


# --- Handles ---


@pytest.mark.parametrize("name", ["m.tar.gz", "m.tgz", "m.tar"])
def test_an_archive_url_gets_the_compressed_format_merged_with_its_query(
    server, served_dir: Path, isolated_cache: Path, name: str
) -> None:
    """`https://host/model.tar.gz` (`.tgz`, `.tar`): `?tf-hub-format=compressed` is added here
    too, merged with any query; downloaded once into the cache and extracted."""
    make_tar_gz(served_dir / name, compression="" if name.endswith(".tar") else "gz")
    handle = server.url(f"{name}?x=a%2Bb")
    path = hub.resolve(handle)
    assert hub.resolve(handle) == path == os.path.join(isolated_cache, handles.cache_key(handle))
    assert read_tree(path) == MODEL_FILES
    (request,) = archive_gets(server, name)  # Once.
    assert request[1] == f"/{name}?x=a%2Bb&tf-hub-format=compressed"


def test_a_signed_archive_url_is_requested_exactly_as_given(server, served_dir: Path) -> None:
    """The table's exception: a signed URL (S3 presigned, GCS signed, Azure SAS) gets no
    `tf-hub-format` parameter, which would break its signature (the store answers 403); two
    signatures of one object share one cache entry."""
    make_tar_gz(served_dir / "m.tar.gz")
    first = server.url("m.tar.gz?X-Amz-Date=1&X-Amz-Signature=ab")
    again = server.url("m.tar.gz?X-Amz-Date=2&X-Amz-Signature=cd")
    assert hub.resolve(first) == hub.resolve(again)
    (request,) = archive_gets(server, "m.tar.gz")
    assert request[1] == "/m.tar.gz?X-Amz-Date=1&X-Amz-Signature=ab"


@pytest.mark.parametrize(
    "suffix",
    ["", "/", "//", "?tfhub-redirect=true", "/?x=1#top", "#top"],
)
def test_a_china_mirror_handle_maps_to_its_archive_whatever_follows_the_version(
    suffix: str,
) -> None:
    """`https://hub.tensorflow.google.cn/...`: "mapped to its mirror's archive". Upstream's
    plain string template put what followed the version inside the archive's name
    (`.../2/.tar.gz`, `.../2?tfhub-redirect=true.tar.gz`): URLs no mirror answers. The cache
    folder stays sha1 of the handle as written, as upstream's."""
    handle = "https://hub.tensorflow.google.cn/google/nnlm-en-dim128/2" + suffix
    query = suffix.partition("?")[2].partition("#")[0]
    expected = "https://gcs.tensorflow.google.cn/tfhub-modules/google/nnlm-en-dim128/2.tar.gz"
    assert handles.parse(handle).download_url() == expected + (f"?{query}" if query else "")
    assert handles.cache_key(handle) == hashlib.sha1(handle.encode()).hexdigest()


def test_a_local_folder_is_used_in_place_and_no_cache_is_made(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """`/local/folder`, `file:///local/folder`: used in place (nothing is copied, not even a
    cache folder made); a missing path raises an error naming it, in both forms."""
    folder = tmp_path / "model"
    folder.mkdir()
    assert hub.resolve(os.fspath(folder)) == hub.resolve(folder.as_uri()) == os.fspath(folder)
    assert not isolated_cache.exists()
    for missing in (os.fspath(tmp_path / "nope"), (tmp_path / "nope").as_uri()):
        with pytest.raises(errors.ModelNotFoundError, match=re.escape(missing)) as raised:
            hub.resolve(missing)
        assert isinstance(raised.value, IOError)


# --- Environment variables: the defaults and bounds the table states ---

_GETTERS = {
    "TFHUB_HTTP_TIMEOUT": constants.http_timeout,
    "TFHUB_HTTP_RETRIES": constants.http_retries,
    "TFHUB_HTTP_RETRY_TIMEOUT": constants.http_retry_timeout,
    "TFHUB_LOCK_TIMEOUT": constants.lock_timeout,
    "TFHUB_DOWNLOAD_MIN_SPEED": constants.download_min_speed,
    "TFHUB_MAX_EXTRACTED_BYTES": constants.max_extracted_bytes,
    "TFHUB_MAX_ARCHIVE_MEMBERS": constants.max_archive_members,
}
_UNITS = {"": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def _table_row(name: str) -> str:
    (row,) = [
        r for r in _section("Environment variables").splitlines() if r.startswith(f"| `{name}`")
    ]
    return row


@pytest.mark.parametrize("name", sorted(_GETTERS))
def test_the_default_the_table_states_is_the_one_used(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each number-valued variable's "default N" (with a unit for sizes) in README's table is
    what tfhub uses when the variable is unset; "at most N" is accepted and N + 1 refused."""
    row = _table_row(name)
    match = re.search(r"default ([\d,.]+)(?: ?(KiB|MiB|GiB|TiB))?[;)]", row)
    assert match, row
    stated = float(match.group(1).replace(",", "")) * _UNITS[match.group(2) or ""]
    assert _GETTERS[name]() == stated, row
    most = re.search(r"at most ([\d,]+)|from 0 to (\d+)", row)
    if most:
        bound = (most.group(1) or most.group(2)).replace(",", "")
        monkeypatch.setenv(name, bound)
        assert _GETTERS[name]() == float(bound)
        monkeypatch.setenv(name, str(int(bound) + 1))
        with pytest.raises(errors.SettingError, match=f"^{name} must be .*Received"):
            _GETTERS[name]()


_HOLDER = """
import sys, time
from tfhub.utils import filelock
filelock.HEARTBEAT_SEC = 1.5  # Its own beat (5 s in a real download), under the default limit.
with filelock.weak_file_lock(sys.argv[1], what="a download") as held:
    print("held" if held else "unlocked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _fill(target: str) -> None:
    for name, data in MODEL_FILES.items():
        os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
        Path(target, name).write_bytes(data)


@pytest.mark.parametrize("stopped", [False, True], ids=["live", "stopped"])
def test_a_shorter_lock_timeout_gives_a_slower_holder_two_of_its_beats(
    stopped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`TFHUB_LOCK_TIMEOUT`: a holder beating every 1.5 s under its own (default) setting is
    waited for by a process with TFHUB_LOCK_TIMEOUT=0.5 as long as it beats (live); stopped,
    it gets two of its beats (3 s), not the waiter's 0.5 s, before `LockTimeoutError` names it."""
    from tfhub import cache
    from tfhub.download import atomic_download

    path = cache.module_dir("h")
    env = {k: v for k, v in child_env().items() if k != "TFHUB_LOCK_TIMEOUT"}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, cache.lock_path(path), "4"],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", "0.5")
        started = time.monotonic()
        if not stopped:
            assert atomic_download("h", _fill) == path
            assert holder.wait(timeout=10) == 0 and time.monotonic() - started > 3
            return
        holder.send_signal(signal.SIGSTOP)
        with pytest.raises(errors.LockTimeoutError, match=f"pid {holder.pid}"):
            atomic_download("h", _fill)
        assert 2.5 < time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()


def test_the_token_is_not_sent_across_a_redirect_to_another_port_of_its_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`TFHUB_TOKEN`: never sent across a redirect to another port, even when
    `TFHUB_TOKEN_HOST` names the host without a port (any port of it for a direct request)."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    make_tar_gz(tmp_path / "b" / "moved.tar.gz")
    with serve_folder(os.fspath(tmp_path / "a")) as first:
        with serve_folder(os.fspath(tmp_path / "b")) as other:
            first.state.behaviours.append(redirect_to("/r.tar.gz", other.url("moved.tar.gz")))
            monkeypatch.setenv("TFHUB_TOKEN", "s3cret-token")
            monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")
            assert read_tree(hub.resolve(first.url("r.tar.gz"))) == MODEL_FILES
            hub.resolve(other.url("moved.tar.gz") + "?direct=1")
            sent = [
                headers.get("Authorization") for _, _, headers in archive_gets(first, "r.tar.gz")
            ]
            received = [h.get("Authorization") for _, _, h in archive_gets(other, "moved.tar.gz")]
    assert sent == ["Bearer s3cret-token"]
    assert received == [None, "Bearer s3cret-token"]  # Redirected: none; asked directly: sent.


def _read_all(fd: int) -> bytes:
    """What a pseudo-terminal's controller side got, until the other side is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal side has closed.
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_progress_bars_are_on_in_a_terminal_by_default(
    server, served_dir: Path, isolated_cache: Path
) -> None:
    """`TFHUB_DOWNLOAD_PROGRESS` unset: `tfhub resolve` whose stderr is a terminal draws the
    bar there; stdout, a pipe, gets only the folder."""
    size = os.path.getsize(make_tar_gz(served_dir / "m.tar.gz"))
    assert size < 1000  # Shown in bytes, not as "1.2k".
    env = child_env()
    env.pop("TFHUB_DOWNLOAD_PROGRESS")
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns.
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "tfhub", "resolve", server.url("m.tar.gz")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal, env=env,
        )  # fmt: skip
        os.close(terminal)
        terminal = -1
        drawn = _read_all(controller)
        out, _ = child.communicate(timeout=60)
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    assert child.returncode == 0
    assert (
        out.decode()
        == os.path.join(isolated_cache, handles.cache_key(server.url("m.tar.gz"))) + "\n"
    )
    assert b"Downloading http://127.0.0.1" in drawn and f"/{size} ".encode() in drawn


# --- Quick start: `./run` ---


def test_setup_without_a_name_sets_up_the_tests(door) -> None:
    """`./run setup [demo|test]` only sets up (default: `test`): the `test` extra, no pytest."""
    done = run(door, "setup")
    assert done.returncode == 0, done.stderr
    assert "python -m pip install --quiet -e .[test]" in calls(door)
    ran = [call.split()[:3] for call in calls(door)]
    assert ["python", "-m", "pytest"] not in ran and not [c for c in ran if c[0] == "tfhub"]


def test_the_virtual_environment_is_dot_venv_in_the_checkout_by_default(door) -> None:
    """Quick start: "a virtual environment in `.venv`" of the checkout, whatever the current
    folder (`TFHUB_VENV=DIR` puts it elsewhere: the other tests of `./run` use it)."""
    env = {k: v for k, v in _env(door).items() if k != "TFHUB_VENV"}
    done = subprocess.run(
        [BASH, os.fspath(door["repo"] / "run"), "setup", "demo"], cwd=door["cwd"], env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "creating the virtual environment .venv" in done.stderr
    venv = door["repo"] / ".venv"
    assert (venv / "bin" / "python").is_file() and list(venv.glob(".tfhub-installed-tf,hub-*"))
    assert not door["venv"].exists() and not (door["cwd"] / ".venv").exists()


def test_run_test_sets_up_the_test_extra_then_runs_pytest(door) -> None:
    """`./run test` installs the `test` extra (TensorFlow, the hub, the tools, tensorflow_hub
    0.16.1, tensorflow-text: pyproject.toml) before it runs pytest."""
    assert run(door, "test", "-x").returncode == 0
    logged = calls(door)
    install = logged.index("python -m pip install --quiet -e .[test]")
    assert logged.index("python -m pytest -x") > install


def test_the_extras_hold_what_the_quick_start_says() -> None:
    """Without an extra, no TensorFlow; `tf`: TensorFlow 2.21 and tf_keras; `hub`: the server
    (and the demo's in-process server, uvicorn); `test`: the test tools, tensorflow_hub 0.16.1,
    tensorflow-text and the tools' and hub's extras."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[=<>\[ ]", r, maxsplit=1)[0].lower() for r in requirements}

    assert not names(project["dependencies"]) & {"tensorflow", "tf-keras", "keras"}
    assert {"tensorflow==2.21.*", "tf-keras==2.21.*"} <= set(extras["tf"])
    assert {"starlette", "uvicorn", "granian"} <= names(extras["hub"])
    assert "tfhub[tf,hub,tools]" in extras["test"] and "tensorflow-hub==0.16.1" in extras["test"]
    assert {"tensorflow-text", "pytest", "pytest-xdist"} <= names(extras["test"])


def test_the_readme_example_of_run_test_selects_tests() -> None:
    """`./run test tests/test_cache.py -k verify -rs` runs some tests (pytest exits 5 when
    `-k` selects none)."""
    (example,) = re.findall(r"`\./run test (tests/\S+ -k \S+) -rs`", _section("Quick start"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *example.split()],
        cwd=ROOT, capture_output=True, text=True, env=child_env(), timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    assert re.search(r"^\d+/\d+ tests collected", done.stdout, re.M), done.stdout[-2000:]


# --- Quick start: `tfhub demo` ---


def _without_network(command: list[str]) -> list[str] | None:
    """`command` run in a new network namespace holding only the loopback interface (as on a
    machine without network), or None where this process may not make one."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        return None
    wrapped = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
    if subprocess.run([*wrapped, "true"], capture_output=True, timeout=30).returncode != 0:
        return None
    return [*wrapped, *command]


@pytest.mark.tf
def test_the_demo_needs_no_network_and_removes_every_temporary_file(tmp_path: Path) -> None:
    """`tfhub demo` serves the bundled module (upstream's own half_plus_two test module), runs
    it on [[1], [2], [10]] three ways, each giving [[2.5], [3], [7]], with no network but the
    loopback interface (where this test may make such a namespace), and removes every
    temporary file: its temporary folder is as empty afterwards as before."""
    shipped = ROOT / "src" / "tfhub" / "data" / "half_plus_two_v1.tar.gz"
    upstream = ROOT / "tests" / "data" / "upstream" / "half_plus_two_v1.tar.gz"
    assert shipped.read_bytes() == upstream.read_bytes()
    temp = tmp_path / "tmp"
    temp.mkdir()
    command = [sys.executable, "-m", "tfhub", "demo"]
    done = subprocess.run(
        _without_network(command) or command, capture_output=True, text=True, timeout=240,
        env=child_env(TMPDIR=os.fspath(temp), HOME=os.fspath(tmp_path)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.count("-> [[2.5], [3.0], [7.0]]") == 4  # load, keras, reloaded, module.
    assert "hosting protocol" in done.stdout and f"serving {temp}" in done.stdout
    assert list(temp.iterdir()) == []


# --- Every file or folder the sections name ---


def test_every_file_and_folder_the_sections_name_exists() -> None:
    """The guides the "Using it" table links, docs/architecture.md, tests/data/upstream/,
    benchmarks/, `.ci/run` and the bundled module are where the README says."""
    text = "".join(
        _section(title)
        for title in ("Quick start", "Using it", "Handles", "Environment variables", "Development")
    )
    named = set(re.findall(r"\]\(([^)#]+)\)", text))
    named |= {"tests/data/upstream/", "benchmarks/", ".ci/run", "pyproject.toml"}
    assert {"docs/architecture.md", "docs/resolving.md", "benchmarks/README.md"} <= named
    for path in sorted(named):
        assert path in text, path
        assert (ROOT / path).exists(), f"README.md names {path}, which does not exist"
    assert os.access(ROOT / ".ci" / "run", os.X_OK) and os.access(ROOT / "run", os.X_OK)


@pytest.mark.parametrize("zero", ["0", " 0 ", "0.0", "0.00", "00", "0K"])
def test_any_zero_turns_the_minimum_speed_off(zero: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`TFHUB_DOWNLOAD_MIN_SPEED` "`0`: off": `0.00` or `0K` were refused as "must be a
    positive number of bytes", which is what the table says turns the check off."""
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", zero)
    assert constants.download_min_speed() == 0.0


@pytest.mark.parametrize("bad", ["off", "-1", "fast", "1P"])
def test_a_bad_minimum_speed_says_that_0_turns_it_off(
    bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message for a bad value named only positive sizes ("e.g. 512G", for a speed), not
    the `0` the table gives to turn the check off."""
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", bad)
    with pytest.raises(errors.SettingError) as raised:
        constants.download_min_speed()
    message = str(raised.value)
    assert message.startswith("TFHUB_DOWNLOAD_MIN_SPEED must be a number of bytes per second")
    assert "or 0 to turn the check off" in message and message.endswith(f"Received: {bad!r}")
    assert isinstance(raised.value, ValueError) and raised.value.name == "TFHUB_DOWNLOAD_MIN_SPEED"

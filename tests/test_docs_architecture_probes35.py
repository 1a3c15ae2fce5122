"""docs/architecture.md's checkable claims that no other test checked, checked against the code
by running it: the system calls of a download (strace), the threads it starts, which modules
import TensorFlow when imported, the TF1 format's layers, `tfhub NAME` importing only NAME's
module, the writer process's threshold, where descriptor 2 is redirected, and where the hub
server and the TF1 loader live. Import checks run in fresh interpreters.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.http_server import delay
from tests._helpers.python_process import child_env, run_python
from tests._helpers.warm_python import start_warm_python

from tfhub.cli._parsers import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tfhub"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
STOP_SIGNALS = sorted(int(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP))


def _doc() -> str:
    return ARCHITECTURE.read_text(encoding="utf-8")


# --- "download.py (lock, unique temp folder, install, rename into place ...)" ------------------

_CALL = re.compile(r"^(\d+)\s+(?:<\.\.\. )?(\w+)")


def _calls(trace: str, cache: str) -> list[tuple[str, str, str]]:
    """(call, path, second path) of the successful calls naming a path below `cache`, and
    (flock, operation, "") for every flock, in order; paths relative to `cache`."""
    calls, pending = [], {}
    for line in trace.splitlines():
        found = _CALL.match(line)
        if not found:
            continue
        pid, name = found.groups()
        if line.endswith("<unfinished ...>"):  # Another thread's call came in between.
            pending[pid] = line[: -len("<unfinished ...>")]
            continue
        if "resumed>" in line:
            line = pending.pop(pid, "") + line.split("resumed>", 1)[1]
        if re.search(r"\) += -1 ", line):
            continue
        if name == "flock":
            calls.append((name, line.split(", ", 1)[1].split(")")[0], ""))
            continue
        paths = [os.path.relpath(p, cache) for p in re.findall(r'"([^"]*)"', line)]
        if paths and not paths[0].startswith(".."):
            calls.append((name, paths[0], paths[1] if len(paths) > 1 else ""))
    return calls


def _strace_works() -> bool:
    """Whether strace is installed and may trace here (a container may forbid ptrace)."""
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-qq", "-e", "trace=none", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _strace_works(), reason="needs strace, allowed to trace, to see calls")
def test_a_download_locks_stages_and_installs_the_folder_by_one_rename(
    upstream_copy, server, served_dir, tmp_path
):
    shutil.copy(upstream_copy / "tf2_saved_model.tar.gz", served_dir / "m.tar.gz")
    cache = str(tmp_path / "cache")
    url = server.url("m.tar.gz")
    trace = tmp_path / "trace.txt"
    code = "import sys, tfhub as hub; print(hub.resolve(sys.argv[1]))"
    traced = "openat,mkdir,rename,renameat,renameat2,unlink,unlinkat,flock,rmdir"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", f"trace={traced}", "-o", str(trace)]
        + [sys.executable, "-c", code, url],
        env=child_env(TFHUB_CACHE_DIR=cache),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    entry = os.path.basename(done.stdout.strip())
    steps = _calls(trace.read_text(), cache)

    def first(predicate: object) -> int:
        return next(i for i, call in enumerate(steps) if predicate(call))  # type: ignore[operator]

    lock_open = first(lambda c: c[0] == "openat" and c[1] == f".locks/{entry}.lock")
    locked = first(lambda c: c[0] == "flock" and c[1].startswith("LOCK_EX"))
    staged = first(lambda c: c[0] == "mkdir" and re.fullmatch(rf"{entry}\.[0-9a-f]+\.tmp", c[1]))
    tmp = steps[staged][1]
    upstream_lock = first(lambda c: c[0] == "openat" and c[1] == f"{entry}.lock")
    installed = first(lambda c: c[0].startswith("rename") and c[2] == entry)
    unlocked = first(lambda c: c[0] == "flock" and c[1] == "LOCK_UN")
    # The OS lock first, then the unique temporary folder, then tensorflow_hub's lock file.
    assert lock_open < locked < staged < upstream_lock < installed < unlocked
    # The folder appears by one rename of the complete temporary folder; nothing is ever
    # created or opened below the entry's own path.
    assert steps[installed][1] == tmp
    assert not [c for c in steps if c[1].startswith(entry + "/")]
    written = [c[1] for c in steps[staged:installed] if c[0] == "openat" and c[1].startswith(tmp)]
    assert f"{tmp}/saved_model.pb" in written
    # The bookkeeping is written beside the entry, each file through a rename, before it.
    for name in ("descriptor.txt", "manifest.json"):
        at = first(lambda c, n=name: c[0].startswith("rename") and c[2] == f"{entry}.{n}")
        assert staged < at < installed and steps[at][1].endswith(".part")
    # tensorflow_hub's lock file goes once the entry is in place.
    removed = first(lambda c: c[0].startswith("unlink") and c[1] == f"{entry}.lock")
    assert installed < removed < unlocked


# --- "tfhub's threads leave the stop signals to the main thread (utils/threads.py)" -----------

_THREADS_CODE = """
import json, signal, sys, threading
records = []
_run = threading.Thread.run
def run(self):
    try:
        _run(self)
    finally:  # The thread's own signal mask, as its target left it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        records.append([self.name, sorted(int(s) for s in blocked)])
threading.Thread.run = run
import tfhub as hub
hub.resolve(sys.argv[1])
print(json.dumps(records))
"""


def _download_threads(url: str, cache: Path) -> dict[str, list[int]]:
    out = run_python(_THREADS_CODE, url, env=child_env(TFHUB_CACHE_DIR=str(cache)), timeout=60)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _stalled_archive(upstream_copy: Path, server: object, served_dir: Path) -> None:
    shutil.copy(upstream_copy / "tf2_saved_model.tar.gz", served_dir / "m.tar.gz")
    server.state.behaviours.append(delay("m.tar.gz", 0.3, stall_after=2048))  # type: ignore[attr-defined]


def test_a_download_runs_its_documented_threads_with_stop_signals_blocked(
    upstream_copy, server, served_dir, tmp_path
):
    """A .tar.gz download by IP address: the socket's reader, the decompressor and the lock's
    heartbeat, each leaving SIGINT, SIGTERM and SIGHUP to the main thread."""
    _stalled_archive(upstream_copy, server, served_dir)
    threads = _download_threads(server.url("m.tar.gz"), tmp_path / "cache")
    assert set(threads) == {"tfhub-read", "tfhub-extract", "tfhub-lock-heartbeat"}
    for name, blocked in threads.items():
        assert set(STOP_SIGNALS) <= set(blocked), name


def test_a_download_by_host_name_blocks_stop_signals_in_its_dns_thread(
    upstream_copy, server, served_dir, tmp_path
):
    _stalled_archive(upstream_copy, server, served_dir)
    url = server.url("m.tar.gz").replace("127.0.0.1", "localhost")
    threads = _download_threads(url, tmp_path / "cache")
    assert "tfhub-dns" in threads
    assert set(STOP_SIGNALS) <= set(threads["tfhub-dns"])


# --- "Modules that subclass TensorFlow or Keras classes ... are imported only on first use";
# "Every optional import goes through utils/lazy.py" ------------------------------------------

_BLOCKED_IMPORTS_CODE = """
import importlib, json, os, sys
from tfhub.errors import MissingDependencyError
from tfhub.utils.lazy import EXTRA_OF_MODULE, PIP_NAME_OF_MODULE
blocked = set(EXTRA_OF_MODULE) | set(PIP_NAME_OF_MODULE)
asked = []
class Blocker:  # No optional package can be imported: a module that imports one fails.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            asked.append(name.split(".")[0])
            raise ImportError(f"blocked: {name}")
        return None
sys.meta_path.insert(0, Blocker())
package = sys.argv[1]
names = []
for folder, _, files in os.walk(package):
    for file in files:
        rel = os.path.relpath(os.path.join(folder, file), os.path.dirname(package))
        if file.endswith(".py") and file != "__main__.py":
            names.append(rel[:-3].replace(os.sep, ".").removesuffix(".__init__"))
failed = {}
for name in sorted(names):
    del asked[:]
    try:
        importlib.import_module(name)
    except ImportError as err:
        failed[name] = [asked[0] if asked else "", isinstance(err, MissingDependencyError)]
print(json.dumps(failed))
"""

# docs/architecture.md, "Lazy TensorFlow": the Keras layers, the feature columns, tf1/export.py,
# and tensorflow_hub's module paths over them.
_IMPORT_TENSORFLOW = {
    "tfhub.keras.layer",
    "tfhub.keras.tf_keras_layer",
    "tfhub.feature_column",
    "tfhub.tf1.export",
    "tfhub.keras_layer",
    "tfhub.feature_column_v2",
    "tfhub.estimator",
    "tfhub.tf_utils",
}
# docs/architecture.md, "Optional packages say what to install": the modules that import an
# optional package at their top, each reached only through an entry that `require`s it first.
_IMPORT_OPTIONAL_AT_THE_TOP = {
    "tfhub.hub.app",
    "tfhub.hub.archive_answers",
    "tfhub.hub.api",
    "tfhub.hub.pages",
    "tfhub.hub.uvicorn_h11",
    "tfhub.keras.layer",
    "tfhub.keras.tf_keras_layer",
}


def _rule(title: str) -> str:
    """The text of the bullet `**title**` of "Rules the code keeps", on one line."""
    return " ".join(_doc().split()).split(f"**{title}**", 1)[1].split("- **", 1)[0]


@pytest.fixture(scope="module")
def imports_without_optional_packages(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, list[object]]:
    """{module: [first optional package it asked for, raised MissingDependencyError]} of the
    modules whose import fails with no optional package importable: computed once per test
    run, by the first pytest worker that asks (`computed_once`)."""
    return computed_once(
        tmp_path_factory, f"{__name__}.imports_without_optional_packages", _blocked_imports
    )


def _blocked_imports() -> dict[str, list[object]]:
    """Runs _BLOCKED_IMPORTS_CODE in a fresh child; `imports_without_optional_packages`'
    result."""
    out = run_python(_BLOCKED_IMPORTS_CODE, str(PACKAGE), timeout=120)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_only_the_documented_modules_import_tensorflow_or_keras_when_imported(
    imports_without_optional_packages,
):
    found = {
        name
        for name, (package, _) in imports_without_optional_packages.items()
        if package in ("tensorflow", "keras", "tf_keras")
        and not name.startswith("tfhub.feature_column.")
    }
    assert found == _IMPORT_TENSORFLOW
    for module in ("keras_layer.py", "feature_column_v2.py", "estimator.py", "tf_utils.py"):
        assert f"`{module}`" in _rule("Lazy TensorFlow.")


def test_only_the_documented_modules_import_an_optional_package_without_utils_lazy(
    imports_without_optional_packages,
):
    raw = {name for name, (_, said) in imports_without_optional_packages.items() if not said}
    assert raw == _IMPORT_OPTIONAL_AT_THE_TOP
    for module in _IMPORT_OPTIONAL_AT_THE_TOP:
        name = module.split(".")[-1] + ".py"
        assert f"`{name}`" in _rule("Optional packages say what to install."), name


# --- "`tf1/` reads from the bottom to the top; no file imports one above it" -----------------


def _tf1_layers(text: str) -> list[list[str]]:
    """The files of each row of the doc's TF1 table, bottom row first."""
    section = text.split("## The TF1 Hub format, bottom-up", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    return [re.findall(r"`(\w+)\.py`", row.split("|")[2]) for row in rows if "---" not in row]


def _tf1_imports(name: str) -> set[str]:
    """The tf1 modules `tf1/<name>.py` imports, at any depth (TYPE_CHECKING blocks left out)."""
    found = set()
    for target in _tfhub_imports(PACKAGE / "tf1" / f"{name}.py"):
        parts = target.split(".")
        if parts[:2] == ["tfhub", "tf1"] and len(parts) > 2:
            found.add(parts[2])
    return found - {name}


def test_tf1_files_import_only_their_layer_or_the_ones_below():
    layers = _tf1_layers(_doc())
    rank = {name: index for index, row in enumerate(layers) for name in row}
    modules = {path.stem for path in (PACKAGE / "tf1").glob("*.py")} - {"__init__"}
    assert set(rank) == modules, "the table names every tf1 module, once"
    upward = {
        (name, other)
        for name in modules
        for other in _tf1_imports(name)
        if other in rank and rank[other] > rank[name]
    }
    assert not upward
    # The users' row reads in order: eager_module.py, then module.py, then eval_function.py.
    assert "module" not in _tf1_imports("eager_module")
    assert "eval_function" not in _tf1_imports("eager_module") | _tf1_imports("module")


def test_tf1_layer_check_sees_an_upward_import():
    assert {"module_impl"} <= _tf1_imports("module")
    layers = _tf1_layers("## The TF1 Hub format, bottom-up\n| l | f |\n|--|--|\n| a | `x.py` |\n")
    assert layers == [["x"]]


# --- "`tfhub NAME` imports only NAME's module" -------------------------------------------------

_HELP_CODE = """
import contextlib, io, json, sys
from tfhub.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main([sys.argv[1], "--help"])
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith("tfhub.cli."))))
"""


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_commands_help_imports_only_its_own_cli_module(name):
    out = run_python(_HELP_CODE, name, timeout=60)
    imported = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert imported == {
        "tfhub.cli.main",
        "tfhub.cli._parsers",
        f"tfhub.cli.{COMMANDS[name].module}",
    }


# --- "_archive_writer.py (... past 1,000 small files a writer process ...)" --------------------


def _tar_of_small_files(count: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for index in range(count):
            data = str(index).encode()
            info = tarfile.TarInfo(f"d{index % 5}/f{index}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_the_writer_process_starts_past_1000_small_files(tmp_path):
    from tfhub import _archive, _archive_writer

    if not _archive_writer._can_help():
        pytest.skip("a writer process runs only with two cores and a Python sys.executable")
    results = {}
    for count in (1000, 1200):
        target = tmp_path / str(count)
        target.mkdir()
        data = _tar_of_small_files(count)
        results[count] = _archive.extract(io.BytesIO(data), str(target), source="t.tar")
        assert len(results[count].files) == count
    assert results[1000].by_worker == 0
    assert 0 < results[1200].by_worker <= 200


# --- "utils/native_stderr.py is the one place that points the descriptor elsewhere" ------------


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _package_facts() -> dict[str, dict[str, object]]:
    """{file relative to the package: what the checks below read in it}, every file of the
    package parsed once: its module name, the tfhub modules it imports (`_tfhub_imports`), its
    redirections of descriptor 2, its direct thread starts and the TFHUB_ names it spells."""
    facts: dict[str, dict[str, object]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = _tree(path)
        facts[path.relative_to(PACKAGE).as_posix()] = {
            "module": _module_name(path),
            "imports": sorted(_tfhub_imports(path, tree)),
            "descriptor_2": _redirects_of_descriptor_2(tree),
            "threads": _thread_starts_in(tree),
            "tfhub_names": sorted(_tfhub_names(tree)),
        }
    return facts


@pytest.fixture(scope="module")
def package_facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """`_package_facts()`, computed once per test run by the first pytest worker that asks
    (`computed_once`): parsing the package's ~370 files takes seconds."""
    return computed_once(tmp_path_factory, f"{__name__}.package_facts", _package_facts)


def _redirects_of_descriptor_2(tree: ast.Module) -> list[int]:
    """Lines of `os.dup2(x, 2)` (or to sys.stderr's descriptor) in the file."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.dup2", "dup2"):
            target = ast.unparse(node.args[1]) if len(node.args) > 1 else ""
            if target == "2" or "stderr" in target:
                lines.append(node.lineno)
    return lines


def test_only_native_stderr_points_descriptor_2_elsewhere(package_facts):
    found = {file for file, facts in package_facts.items() if facts["descriptor_2"]}
    assert found == {"utils/native_stderr.py"}


# --- "server.py runs it in a thread of this process" ------------------------------------------


def _children() -> list[str]:
    children = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as listing:
            children += listing.read().split()
    return children


def test_serve_models_answers_from_a_thread_of_this_process(upstream_copy, tmp_path):
    from tfhub.server import serve_models

    shutil.copy(upstream_copy / "tf2_saved_model.tar.gz", tmp_path / "m.tar.gz")
    before, children = set(threading.enumerate()), _children()
    with serve_models(str(tmp_path)) as running:
        url = running.url("m?tf-hub-format=compressed")
        with urllib.request.urlopen(url, timeout=30) as answer:
            body = answer.read()
        added = set(threading.enumerate()) - before
        assert added and all(thread.daemon for thread in added)
        assert _children() == children  # No process started.
    assert body == (tmp_path / "m.tar.gz").read_bytes()


# --- "tf1/registry.loader(path) -> ModuleSpec (tf1/native_spec.Loader, registered in
# tf1/__init__.py)" ------------------------------------------------------------------------------

_LOADER_CODE = """
import json, sys
from tfhub.tf1 import native_spec, registry
kinds = [type(impl) is native_spec.Loader for impl in registry.loader.implementations]
light = "tensorflow" not in sys.modules
print(json.dumps([kinds, light]))
"""


@pytest.mark.tf
def test_the_tf1_package_registers_the_native_loader_without_tensorflow(upstream_dir):
    """A fresh process that imports tfhub.tf1 has the native loader registered, without
    TensorFlow; the registry gives a NativeModuleSpec (loaded here: the spec's import of
    TensorFlow is not what the child checks, and cost it ~5 CPU-s)."""
    from tfhub.tf1 import registry

    out = run_python(_LOADER_CODE, timeout=120)
    kinds, light = json.loads(out.stdout.strip().splitlines()[-1])
    assert kinds == [True] and light
    spec = registry.loader(str(upstream_dir / "tf1_multi_sig"))
    assert f"{type(spec).__module__}.{type(spec).__name__}" == (
        "tfhub.tf1.native_spec.NativeModuleSpec"
    )


# --- "hub.load ... saved_model.py", "hub.Module ... tf1/module.py", ... ------------------------


def test_the_users_lines_name_the_modules_the_public_names_come_from():
    import tfhub

    table = tfhub._LAZY_ATTRIBUTES
    doc = _doc()
    claims = {
        "load": "saved_model.py",
        "KerasLayer": "keras/",
        "export_layer": "keras/export.py",
        "Module": "tf1/module.py",
    }
    for name, where in claims.items():
        line = next(line for line in doc.splitlines() if line.strip().startswith(f"hub.{name} "))
        assert where in line, line
        module = table[name].lstrip(".").replace(".", "/")
        assert (module + ".py") == where or module + "/" == where, (name, table[name])


# --- "saved_model_proto.py: which format it is (tfhub_module.pb or not) ..., read without
# loading" ----------------------------------------------------------------------------------------

_FORMAT_CODE = """
import json, sys
from tfhub import saved_model_proto
kinds = [saved_model_proto.is_tf1_hub_module(path) for path in sys.argv[1:]]
print(json.dumps([kinds, sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")]))
"""


def test_the_format_of_a_local_folder_is_told_without_tensorflow(upstream_dir):
    folders = [str(upstream_dir / name) for name in ("tf1_multi_sig", "tf2_saved_model")]
    out = run_python(_FORMAT_CODE, *folders, timeout=60)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[True, False], []]


# --- The layering of the library, hub/, program/, tools/ and cli/ ------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _tfhub_imports(path: Path, tree: ast.Module | None = None) -> set[str]:
    """The tfhub modules (or names in them) a file imports, at any depth, TYPE_CHECKING left
    out (`tree`: the file's, if already parsed)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = _tree(path) if tree is None else tree
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {target for target in found if target.split(".")[0] == "tfhub"}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("cli", "tools", "hub", "program") else "lib"


# Which layer imports which (docs/architecture.md, "Library first, CLI thin"), and the only
# modules that cross otherwise.
_MAY_IMPORT = {
    "lib": set(),
    "hub": {"lib"},
    "program": {"lib"},
    "tools": {"lib"},
    "cli": {"lib", "hub", "program", "tools"},
}
_CROSSINGS = {
    ("tfhub.__main__", "cli"),
    ("tfhub.server", "hub"),
    ("tfhub.tools.make_image_classifier.cli", "program"),
    ("tfhub.tools.make_nearest_neighbour_index.cli", "program"),
    ("tfhub.tools.module_search.cli", "program"),
}


def _layer_crossings(package_facts: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    imports = {facts["module"]: set(facts["imports"]) for facts in package_facts.values()}
    crossings = set()
    for name, imported in imports.items():
        for target in imported & set(imports):
            layer, other = _layer(name), _layer(target)
            if other != layer and other not in _MAY_IMPORT[layer]:
                crossings.add((name, other))
    return crossings


def test_the_library_hub_program_tools_and_cli_import_only_downwards(package_facts):
    assert _layer_crossings(package_facts) == _CROSSINGS
    rule = _rule("Library first, CLI thin.")
    for module in ("server.py", "__main__.py", "cli.py"):
        assert module in rule


def test_the_layer_check_reads_late_relative_imports():
    imports = _tfhub_imports(PACKAGE / "server.py")
    assert "tfhub.hub.runner" in imports  # `from .hub.runner import ...` inside a function.
    assert _layer("tfhub.hub.runner") == "hub" and _layer("tfhub.saved_model") == "lib"


# --- "tfhub's threads leave the stop signals to the main thread (utils/threads.py)" -----------


def _direct_thread_starts(source: str) -> list[int]:
    """Lines of the `threading.Thread(...)` (or `Thread(...)`) calls in `source`."""
    return _thread_starts_in(ast.parse(source))


def _thread_starts_in(tree: ast.Module) -> list[int]:
    """Lines of the `threading.Thread(...)` (or `Thread(...)`) calls in `tree`."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("threading.Thread", "Thread")
    ]


def _threads_started_directly(package_facts: dict[str, dict[str, Any]]) -> list[str]:
    """`file:line` of every thread started outside utils/threads.py."""
    return [
        f"{file}:{line}"
        for file, facts in sorted(package_facts.items())
        if file != "utils/threads.py"
        for line in facts["threads"]
    ]


def test_every_thread_of_tfhub_is_started_by_utils_threads(package_facts):
    assert _threads_started_directly(package_facts) == []


def test_the_thread_check_finds_a_direct_start():
    source = (
        "import threading\nfrom threading import Thread\nthreading.Thread(target=f)\nThread()\n"
    )
    assert _direct_thread_starts(source) == [3, 4]
    assert _direct_thread_starts("daemon_thread(f, name='x')\n") == []


# --- "One constants module for environment variables (constants.py ...)" ----------------------


def _tfhub_names(tree: ast.Module) -> set[str]:
    """The string constants of `tree` that are whole TFHUB_ variable names."""
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if re.fullmatch(r"TFHUB_[A-Z0-9_]+", node.value)
    }


def test_only_constants_names_the_variables_users_set(package_facts):
    names = {}
    for file, facts in sorted(package_facts.items()):
        if file == "constants.py":
            continue
        for name in facts["tfhub_names"]:
            names.setdefault(name, set()).add(file)
    # tfhub serve's hand-over to its workers, and the ./run script's, not settings of users:
    # settings_warnings.py names them so as not to call them misspelt.
    assert names == {
        "TFHUB_SERVE_SETTINGS": {"hub/settings.py", "settings_warnings.py"},
        "TFHUB_VENV": {"settings_warnings.py"},
    }
    assert "TFHUB_SERVE_SETTINGS" in _rule("One home per question.")


# --- The functions, classes and tables the page names, where it says they are -----------------

_NAMED = [
    ("handles.py", "cache_handle"),
    ("handle_check.py", "cache_key"),
    ("resolvers/registry.py", "MultiImplRegistry"),
    ("resolvers/base.py", "Resolver"),
    ("utils/filelock.py", "weak_file_lock"),
    ("_http_deadline.py", "RetryBudget"),
    ("saved_model.py", "resolve"),
    ("saved_model.py", "load"),
    ("saved_model.py", "load_model"),
    ("saved_model_proto.py", "damaged_model_error"),
    ("tf1/registry.py", "loader"),
    ("tf1/native_spec.py", "Loader"),
    ("tf1/native_spec.py", "NativeModuleSpec"),
    ("loaded_model.py", "LoadedModel"),
    ("loaded_model.py", "call_with_training"),
    ("loaded_model.py", "smart_cond"),
    ("keras/_xla.py", "compiles_with_xla"),
    ("keras/layer.py", "supports_jit"),
    ("program/runner.py", "run_reported"),
    ("program/report.py", "tell"),
    ("help_text.py", "HelpFormatter"),
    ("help_text.py", "environment"),
    ("help_text.py", "help_environment"),
    ("cli/_parsers.py", "COMMANDS"),
    ("cli/_parsers.py", "add_tool_command"),
    ("utils/lazy.py", "import_optional"),
    ("utils/lazy.py", "require"),
    ("utils/records.py", "FrozenRecord"),
    ("utils/paths.py", "special_kind"),
    ("errors/_loading.py", "MissingDependencyError"),
    ("errors/_base.py", "TFHubError"),
    ("errors/_base.py", "SettingError"),
    ("errors/_resolving.py", "DiskFullError"),
    ("errors/_tools.py", "OutputNotWritableError"),
    ("errors/_hub.py", "PublishWriteError"),
    ("constants.py", "ENV_VARS"),
    ("constants.py", "ABSL_FLAGS"),
    ("tools/make_image_classifier/lib.py", "make_image_classifier"),
    ("tools/make_image_classifier/lib.py", "train_and_export"),
    ("tools/make_image_classifier/training.py", "train_on_module"),
    ("tools/make_image_classifier/fit.py", "train_model"),
    ("tools/make_image_classifier/make_image_classifier.py", "FLAGS"),
    ("tools/make_image_classifier/make_image_classifier.py", "main"),
    ("tf1/module_spec.py", "ModuleSpec"),
    ("tf1/module_spec.py", "export_spec"),
    ("tf1/native_module.py", "create_module_spec"),
    ("tf1/native_module.py", "add_signature"),
    ("tf1/module.py", "Module"),
    ("tf1/module.py", "load_module_spec"),
    ("tf1/export.py", "LatestModuleExporter"),
    ("resolver.py", "atomic_download"),
    ("download.py", "atomic_download"),
    ("server.py", "serve_models"),
]


def _defined_names(path: Path) -> set[str]:
    """What a file defines or imports at any depth: functions, classes, assigned names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            found |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            found |= {alias.asname or alias.name for alias in node.names}
    return found


def test_the_names_the_page_gives_are_where_it_says():
    doc = _doc()
    missing = [(file, name) for file, name in _NAMED if name not in _defined_names(PACKAGE / file)]
    assert not missing
    assert [name for _, name in _NAMED if name not in doc] == []


# --- "The programs say their own lines on stderr through `program/report.tell`, which stays
# silent when stderr was closed (`2>&-`) rather than fail" -------------------------------------


def test_a_tool_started_with_stderr_closed_keeps_its_exit_code(tmp_path):
    pytest.importorskip("apache_beam", reason="make_nearest_neighbour_index generate needs Beam")
    data = tmp_path / "data.txt"
    data.write_text("hello\n")
    argv = ["generate", f"--data_file_pattern={data}", f"--module_url={tmp_path / 'none'}"]
    argv.append(f"--embed_output_dir={tmp_path / 'out'}")
    module = "tfhub.tools.make_nearest_neighbour_index"
    shell = 'exec "$@" 2>&-'
    done = subprocess.run(
        ["sh", "-c", shell, "sh", sys.executable, "-m", module, *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (7, "")  # 7: not found (docs/cli.md).


# --- "tensorflow_hub's lock file, read and written, so both libraries wait for each other's
# downloads" -------------------------------------------------------------------------------------

_RESOLVE_CODE = "import sys, {module} as hub; print(hub.resolve(sys.argv[1]))"


@pytest.mark.tf
@pytest.mark.slow  # tensorflow_hub imports TensorFlow: 5-10 s on a busy machine.
def test_tfhub_waits_for_a_download_by_tensorflow_hub_and_uses_its_folder(
    upstream_copy, server, served_dir, tmp_path
):
    pytest.importorskip("tensorflow_hub", reason="the upstream library downloads first")
    import hashlib
    import time

    from tests._helpers.http_server import archive_gets

    shutil.copy(upstream_copy / "tf2_saved_model.tar.gz", served_dir / "m.tar.gz")
    server.state.behaviours.append(delay("m.tar.gz", 2.0, stall_after=2048, times=1))
    url, cache = server.url("m.tar.gz"), tmp_path / "cache"
    env = child_env(TFHUB_CACHE_DIR=str(cache))
    code = _RESOLVE_CODE.format(module="tensorflow_hub")
    upstream = start_warm_python(code, url, env=env)  # Its own process; TensorFlow imported.
    try:
        lock = cache / (hashlib.sha1(url.encode()).hexdigest() + ".lock")
        deadline = time.monotonic() + 60
        while not lock.exists() and upstream.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock.exists(), "tensorflow_hub's download never took its lock"
        assert upstream.poll() is None  # Still downloading (stalled) as tfhub starts.
        ours = run_python(_RESOLVE_CODE.format(module="tfhub"), url, env=env, timeout=60)
        theirs, _ = upstream.communicate(timeout=60)
    finally:
        upstream.kill()
        upstream.wait()
    assert upstream.returncode == 0
    assert ours.stdout.strip() == theirs.strip().splitlines()[-1]
    assert len(archive_gets(server, "m.tar.gz")) == 1  # tfhub downloaded nothing itself.

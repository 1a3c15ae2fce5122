"""docs/cli.md and README.md ("The `tfhub` command"), second pass: the claims neither an earlier
test nor tests/test_docs_claims_cli_probes34.py checked, as a user meets them: the real `tfhub`
entry point (`python -m tfhub`) in its own process, real cache entries, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.archives import make_tar_gz
from tests._helpers.cli_session_sp61topa import run_tfhub_session
from tests._helpers.python_process import child_env, run_tfhub
from tests._helpers.warm_python import run_warm_tfhub

from tfhub import handles


def _tfhub(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs `python -m tfhub ARGV` as a shell would, with the test's TFHUB_* environment."""
    return run_tfhub(*argv, **env)


def _one_error_line(done: subprocess.CompletedProcess[str] | str) -> str:
    """The command's (or the stderr's) last stderr line (its one-line error), with no traceback
    before it."""
    stderr = done if isinstance(done, str) else done.stderr
    assert "Traceback" not in stderr, stderr
    return stderr.strip().splitlines()[-1]


# --- The cache commands ---------------------------------------------------------------------------


def test_cache_verify_escapes_control_characters_of_a_handle(isolated_cache: Path) -> None:
    """docs/cli.md: "`cache list` and `cache verify` print handles with control characters
    escaped (`\\x09`, `\\x1B`)": a handle with a tab and a terminal escape, as another tool may
    write it in a descriptor, keeps verify's three tab-separated columns in both modes."""
    handle = "https://h/m\t1 \x1b[31mRED"
    key = handles.cache_key(handle)
    (isolated_cache / key).mkdir(parents=True)
    (isolated_cache / key / "saved_model.pb").write_bytes(b"pb")
    (isolated_cache / f"{key}.descriptor.txt").write_text(f"Module: {handle}\n")
    for deep in ([], ["--deep"]):
        done = _tfhub("cache", "verify", *deep)
        assert done.returncode == 0, done.stderr
        (line,) = done.stdout.splitlines()
        assert "\x1b" not in line and line.count("\t") == 2, line
        assert line.startswith(f"{key}\tOK") and line.endswith("\thttps://h/m\\x091 \\x1B[31mRED")


def test_cache_rm_of_a_path_is_not_in_the_cache_and_removes_nothing(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """docs/cli.md: `cache rm` takes handles and entry folder names only: "any other argument
    is "not in the cache" (exit 7), never a path to remove" - a file beside the cache, and even
    the entry's own full path, which names it to a shell but is neither."""
    handle = "https://host/m/1"
    assert _tfhub("import", make_tar_gz(tmp_path / "m.tar.gz"), "--handle", handle).returncode == 0
    entry = isolated_cache / handles.cache_key(handle)
    victim = tmp_path / "notes.txt"
    victim.write_text("keep me")
    for argument in (victim, entry):
        done = _tfhub("cache", "rm", str(argument))
        assert done.returncode == 7, done.stderr
        line = _one_error_line(done)
        assert line.startswith(f"tfhub: not found: Not in the cache {isolated_cache}: ")
        assert repr(str(argument)) in line and "nothing else was removed" in line
    assert victim.read_text() == "keep me"
    listed = _tfhub("cache", "list")
    assert listed.stdout.startswith(f"{entry.name}\t") and listed.stdout.endswith(f"\t{handle}\n")


def test_import_takes_the_handles_the_cache_keeps_and_refuses_those_read_in_place(
    tmp_path: Path, isolated_cache: Path
) -> None:
    """docs/cli.md: "`import` takes handles that are looked up in the cache (http(s) URLs,
    Kaggle URLs in either form, gs:// archives); local paths and gs:// folders are read in place
    and refused" (an invalid handle: 2, nothing made in the cache). A Kaggle model's long and
    short form are one entry: importing the other form finds it there."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    long_form = (
        "https://www.kaggle.com/models/g/bert/frameworks/TensorFlow2/variations/en/versions/1"
    )
    short_form = "https://kaggle.com/models/g/bert/TensorFlow2/en/1"
    folders = {}
    for handle in (long_form, "gs://bucket/models/m.tar.gz"):
        done = _tfhub("import", archive, "--handle", handle)
        assert done.returncode == 0, done.stderr
        folders[handle] = done.stdout.strip()
        assert os.path.isfile(os.path.join(folders[handle], "saved_model.pb"))
    again = _tfhub("import", archive, "--handle", short_form)
    assert (again.returncode, again.stdout.strip()) == (0, folders[long_form]), again.stderr
    assert "already in the cache" in again.stderr and "was kept" in again.stderr
    before = sorted(os.listdir(isolated_cache))
    for handle in ("gs://bucket/models/m", str(tmp_path / "model"), f"file://{tmp_path}/m.tar.gz"):
        done = _tfhub("import", archive, "--handle", handle)
        assert done.returncode == 2, done.stderr
        line = _one_error_line(done)
        assert line.startswith("tfhub: invalid handle: Only http(s):// URLs and gs:// archives ")
        assert "local paths and gs:// folders are read in place" in line
        assert line.endswith(f"Received: handle={handle!r}")
    assert sorted(os.listdir(isolated_cache)) == before


def _environment_of_help(stdout: str) -> list[str]:
    """The variables the `environment:` section of a `tfhub COMMAND --help` output names."""
    section = stdout.split("\nenvironment:\n", 1)[1].splitlines()
    return [line.split()[0] for line in section if line.startswith("  ") and line[2] != " "]


_NEVER_WAIT = ["list", "info", "verify", "prune"]
_IMPORTED = "https://host/m/1"


def _run_cache_actions(root: Path) -> dict[str, dict[str, Any]]:
    """An entry imported (`python -m tfhub import`) into a cache of its own under `root`, then
    in one session (`run_tfhub_session`) `tfhub cache ACTION --help` of each action and `rm`;
    in another, with TFHUB_LOCK_TIMEOUT=abc, `tfhub cache ACTION` of each and `cache rm` of the
    entry: {"help ACTION" or ACTION: {"code", "stdout", "stderr"}} (and "import")."""
    (root / "work").mkdir()
    env = {k: v for k, v in child_env().items() if not k.startswith("TFHUB_")}
    env.update(TFHUB_CACHE_DIR=str(root / "cache"), TFHUB_DOWNLOAD_PROGRESS="0")
    archive = make_tar_gz(root / "m.tar.gz")
    imported = subprocess.run(
        [sys.executable, "-m", "tfhub", "import", archive, "--handle", _IMPORTED],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    found = {"import": {"code": imported.returncode, "stderr": imported.stderr}}
    actions = [*_NEVER_WAIT, "rm"]
    helps = run_tfhub_session([(["cache", a, "--help"], root / "work") for a in actions], env=env)
    looks = [["cache", action] for action in _NEVER_WAIT] + [["cache", "rm", _IMPORTED]]
    env["TFHUB_LOCK_TIMEOUT"] = "abc"
    done = run_tfhub_session([(argv, root / "work") for argv in looks], env=env)
    named = [*zip([f"help {a}" for a in actions], helps, strict=True)]
    for name, said in [*named, *zip(actions, done, strict=True)]:
        found[name] = {"code": said.returncode, "stdout": said.stdout, "stderr": said.stderr}
    return found


@pytest.fixture(scope="module")
def cache_actions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """`_run_cache_actions`' result, computed by the first pytest worker that asks."""
    return computed_once(
        tmp_path_factory,
        f"{__name__}-cache-actions",
        lambda: _run_cache_actions(tmp_path_factory.mktemp("cache-actions")),
    )


@pytest.mark.parametrize("action", _NEVER_WAIT)
def test_the_cache_actions_that_never_wait_do_not_name_the_lock_timeout(
    action: str, cache_actions: dict[str, dict[str, Any]]
) -> None:
    """docs/cli.md: "`tfhub COMMAND --help` shows ... the environment variables that apply to
    it". list, info, verify and prune take no lock they would wait for (an entry being
    installed is BUSY, or skipped): TFHUB_LOCK_TIMEOUT, which their help named, changes nothing
    for them, not even a value that rm, which waits, refuses. (One cache with one imported
    entry serves the four actions: `_run_cache_actions`, in the order list, info, verify,
    prune, none of which changes it, then rm.)"""
    assert cache_actions["import"]["code"] == 0, cache_actions["import"]["stderr"]
    helped = cache_actions[f"help {action}"]
    assert helped["code"] == 0, helped["stderr"]
    assert _environment_of_help(helped["stdout"]) == ["TFHUB_CACHE_DIR", "TFHUB_DEBUG"]
    looked = cache_actions[action]
    assert looked["code"] == 0, looked["stderr"]
    assert _IMPORTED in looked["stdout"] or action in ("info", "prune"), looked["stdout"]
    helped_rm = cache_actions["help rm"]
    assert helped_rm["code"] == 0, helped_rm["stderr"]
    assert "TFHUB_LOCK_TIMEOUT" in _environment_of_help(helped_rm["stdout"])
    refused = cache_actions["rm"]
    assert refused["code"] == 2 and "TFHUB_LOCK_TIMEOUT must be" in refused["stderr"]


# --- Errors ---------------------------------------------------------------------------------------


def _bad_doc(tmp_path: Path) -> Path:
    """A hub folder under `tmp_path` whose one doc has two problems; returns the doc."""
    doc = tmp_path / "hub" / "assets" / "docs" / "p" / "models" / "m" / "1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text("# Module p/m/1\nA model.\n\n<!-- task: classification -->\n")
    return doc


def test_validate_says_a_docs_problems_one_a_line_then_their_count(tmp_path: Path) -> None:
    """docs/cli.md: "A doc's problems are the exception, one line each (`FILE:LINE: message`),
    then `tfhub: N problem(s)` (`validate`) ..., exit 1" - not the one `tfhub: <kind>: ...`
    line of every other error."""
    doc = _bad_doc(tmp_path)
    validated = _tfhub("validate", str(tmp_path / "hub"))
    assert validated.returncode == 1, validated.stderr
    problems = validated.stdout.splitlines()
    assert len(problems) >= 2 and all(line.startswith(f"{doc}:") for line in problems)
    assert validated.stderr.splitlines()[-1] == f"tfhub: {len(problems)} problem(s)"


@pytest.mark.tf
def test_publish_refusing_its_doc_says_its_problems_then_nothing_written(
    tmp_path: Path, upstream_dir: Path
) -> None:
    """docs/cli.md: "... or `tfhub: N problem(s) in the doc; nothing written` (`publish`
    refusing its doc), exit 1"."""
    doc = _bad_doc(tmp_path)
    model = upstream_dir / "tf2_saved_model"  # Read, never written.
    root = tmp_path / "root"
    argv = ["publish", str(model), str(root), "--handle", "p/m/1", "--doc", str(doc)]
    published = run_warm_tfhub(*argv)  # Imports TensorFlow: forked from a warm process.
    assert published.returncode == 1, published.stderr
    lines = published.stderr.splitlines()
    assert lines[-1] == f"tfhub: {len(lines) - 1} problem(s) in the doc; nothing written"
    assert len(lines) >= 3 and all(line.startswith(f"{doc}:") for line in lines[:-1]), lines
    assert not root.exists()


# --- The tools' commands --------------------------------------------------------------------------
# Each command below runs in a working folder of its own, all of them in one child process
# (`run_tfhub_session`: `tfhub.cli.main.main(argv)` per command, its fd 1 and 2 caught apart),
# once per test run (`computed_once`): what is checked is each command's exit status and lines
# and the files it leaves, not the process (eleven fresh `python -m tfhub` cost ~5 CPU-s).

_REPEATED_FLAGS = {
    "argv0-dataset": (["module-search", "--module=m"], "dataset"),
    "argv1-embed_output_dir": (
        ["make-nearest-neighbour-index", "build", "--index_output_dir=i"],
        "embed_output_dir",
    ),
    "argv2-index_output_dir": (
        ["make-nearest-neighbour-index", "query", "--module_url=m", "--query=q"],
        "index_output_dir",
    ),
}

_NN = "make-nearest-neighbour-index"

_TOOLS_ERRORS = {
    "image-folder": (
        ["module-search", "--dataset=./missing", "--module=m"],
        "Cannot use the image folder ",
    ),
    "dataset-flag": (
        ["module-search", "--dataset=empty#-1", "--module=m"],
        "--dataset must be NAME or NAME#N",
    ),
    "data-files": (
        [
            _NN,
            "generate",
            "--data_file_pattern=missing/*.txt",
            "--module_url=m",
            "--embed_output_dir=out",
        ],
        "No file matches --data_file_pattern ",
    ),
    "no-flag": (
        [_NN, "generate", "--module_url=m", "--embed_output_dir=out"],
        "You must provide --data_file_pattern for `generate`",
    ),
    "embeddings": (
        [_NN, "build", "--embed_output_dir=empty", "--index_output_dir=out"],
        "No *.tfrecords files in empty: ",
    ),
    "range": (
        [_NN, "build", "--embed_output_dir=empty", "--index_output_dir=out", "--num_trees=0"],
        "--num_trees must be a positive integer",
    ),
    "index": (
        [_NN, "query", "--index_output_dir=missing", "--module_url=m", "--query=q"],
        "The index folder missing does not exist",
    ),
}


def _tools_plan(root: Path) -> list[tuple[str, list[str], Path]]:
    """Each tool command's (name, argv, working folder), its folder made under `root`."""
    plan = []
    for name, (argv, flag) in _REPEATED_FLAGS.items():
        folder = root / f"repeated-{name}"
        folder.mkdir()
        first, second = folder / "first", folder / "second"
        plan.append(
            (f"repeated-{name}", [*argv, f"--{flag}={first}", f"--{flag}={second}"], folder)
        )
    for name, (argv, _) in _TOOLS_ERRORS.items():
        folder = root / f"error-{name}"
        (folder / "empty").mkdir(parents=True)
        plan.append((f"error-{name}", argv, folder))
    folder = root / "module-list"
    (folder / "images").mkdir(parents=True)
    argv = ["module-search", "--dataset=images", "--module_list=list.txt"]
    plan.append(("module-list", argv, folder))
    return plan


def _run_tools(root: Path) -> dict[str, dict[str, Any]]:
    """Runs `_tools_plan(root)` in one session: per command, its exit status, stderr, working
    folder and what that folder holds afterwards."""
    plan = _tools_plan(root)
    env = {k: v for k, v in child_env().items() if not k.startswith("TFHUB_")}
    env.update(TFHUB_CACHE_DIR=str(root / "tfhub_cache"), TFHUB_DOWNLOAD_PROGRESS="0")
    said = run_tfhub_session([(argv, folder) for _, argv, folder in plan], env=env)
    return {
        name: {
            "code": done.returncode,
            "stderr": done.stderr,
            "folder": str(folder),
            "listing": sorted(os.listdir(folder)),
        }
        for (name, _, folder), done in zip(plan, said, strict=True)
    }


@pytest.fixture(scope="module")
def tool_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """`_run_tools`' result, computed by the first pytest worker that asks (`computed_once`)."""
    return computed_once(
        tmp_path_factory, __name__, lambda: _run_tools(tmp_path_factory.mktemp("tools"))
    )


@pytest.mark.parametrize("case", list(_REPEATED_FLAGS))
def test_the_tools_subcommands_keep_the_last_of_a_repeated_flag(
    case: str, tool_runs: dict[str, dict[str, Any]]
) -> None:
    """docs/cli.md: an option given twice with different values is a usage error, "the tools'
    subcommands keep upstream's last-one-wins": the second folder is the one used (and here
    found missing), never a usage error."""
    flag = _REPEATED_FLAGS[case][1]
    done = tool_runs[f"repeated-{case}"]
    first, second = Path(done["folder"]) / "first", Path(done["folder"]) / "second"
    assert done["code"] not in (0, 2), done["stderr"]
    line = _one_error_line(done["stderr"])
    assert "given twice" not in done["stderr"] and str(first) not in done["stderr"]
    assert line.endswith(f"Received: {flag}={str(second)!r}"), line


@pytest.mark.parametrize("case", list(_TOOLS_ERRORS))
def test_the_tools_own_errors_are_one_line_and_1(
    case: str, tool_runs: dict[str, dict[str, Any]]
) -> None:
    """docs/cli.md: "The tools' commands report their own errors (a flag missing or out of
    range, an image folder, input files, embeddings or index that are missing or unusable ...)
    as one line, `tfhub: error: ...`, and exit 1", not 2 or 7 as those of the other commands."""
    said = _TOOLS_ERRORS[case][1]
    done = tool_runs[f"error-{case}"]
    assert done["code"] == 1, done["stderr"]
    assert _one_error_line(done["stderr"]).startswith(f"tfhub: error: {said}")
    assert done["listing"] == ["empty"]


def test_a_missing_file_a_tools_option_names_is_7(tool_runs: dict[str, dict[str, Any]]) -> None:
    """docs/cli.md: "Not found" (7) is also "a file an option names (..., `module-search
    --module_list`)", in the tools' commands as in every other."""
    done = tool_runs["module-list"]
    assert done["code"] == 7, done["stderr"]
    line = _one_error_line(done["stderr"])
    assert line.startswith("tfhub: not found: Cannot read the module list list.txt: No such ")


@pytest.mark.parametrize(
    ("saved_model_pb", "problem"),
    [
        (b"", "is damaged: its saved_model.pb is empty"),
        (b"\x08\x01" * 64, "cannot be loaded: saved_model.pb (128 bytes) holds no MetaGraph"),
    ],
    ids=["empty", "no-metagraph"],
)
@pytest.mark.tf  # The loader reads the saved_model.pb that is not empty.
def test_a_tools_damaged_module_is_1_as_a_damaged_model_is(
    saved_model_pb: bytes, problem: str, tmp_path: Path
) -> None:
    """docs/cli.md: "Not found" (7) is a model folder without saved_model.pb or its variables
    (also for "the tools' module flags"); "a model that is there but damaged (a truncated
    `saved_model.pb`) ... is 1", as `tfhub inspect` of it is. A tool's module flag naming a
    damaged model exited 7, "tfhub: not found: The module ... cannot be loaded"."""
    module = tmp_path / "module"
    (module / "variables").mkdir(parents=True)
    (module / "saved_model.pb").write_bytes(saved_model_pb)
    (tmp_path / "index").mkdir()
    argv = [f"--index_output_dir={tmp_path / 'index'}", f"--module_url={module}", "--query=hi"]
    done = run_warm_tfhub("make-nearest-neighbour-index", "query", *argv, cwd=tmp_path)
    line = _one_error_line(done)
    assert line.startswith(f"tfhub: error: The module {module} {problem}. "), line
    assert done.returncode == 1, done.stderr

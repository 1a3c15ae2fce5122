"""The `tfhub` command, run in-process through `main(argv)`; checks stdout, stderr and the disk."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.upstream_records import record

from tfhub import cache, handles
from tfhub.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_resolve_prints_exactly_the_folder(capsys, server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    code, out, err = run(capsys, "resolve", server.url("m.tar.gz"))
    assert code == 0
    assert out == os.path.join(isolated_cache, handles.cache_key(server.url("m.tar.gz"))) + "\n"
    assert read_tree(out.strip()) == MODEL_FILES


def test_errors_are_one_line_and_nonzero(capsys, tmp_path, monkeypatch):
    code, out, err = run(capsys, "resolve", str(tmp_path / "missing"))
    assert code == 7 and out == ""
    assert err == f"tfhub: not found: {tmp_path / 'missing'} does not exist.\n"  # One line.
    monkeypatch.setenv("TFHUB_DEBUG", "1")
    code, out, err = run(capsys, "resolve", str(tmp_path / "missing"))
    assert code == 7 and "Traceback" in err


def test_a_command_without_its_subcommand_prints_the_choices(capsys, isolated_cache):
    """`tfhub` and `tfhub cache` alone said only "the following arguments are required:
    COMMAND", without naming one; they print their whole help to stderr and exit 2."""
    code, out, err = run(capsys, "-v")
    assert code == 2 and out == ""
    assert err.startswith("usage: tfhub ") and "  resolve  " in err and "Run `tfhub COMMAND" in err
    code, out, err = run(capsys, "cache")
    assert code == 2 and out == "" and err.startswith("usage: tfhub cache ")
    assert all(f"    {action} " in err for action in ("list", "info", "verify", "rm", "prune"))
    assert run(capsys, "cache", "list")[0] == 0  # A subcommand still runs.


def test_offline_error_exit_code(capsys, monkeypatch):
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    code, _, err = run(capsys, "resolve", "https://example.invalid/m.tar.gz")
    assert code == 3 and err.startswith("tfhub: offline: TFHUB_OFFLINE is set")


def test_pull_then_cache_list_info_verify(capsys, server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "a.tar.gz")
    make_tar_gz(served_dir / "b.tar.gz")
    urls = [server.url("a.tar.gz"), server.url("b.tar.gz")]
    code, out, _ = run(capsys, "pull", *urls)
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [line[0] for line in lines] == urls
    assert all(os.path.isdir(line[1]) for line in lines)
    code, out, _ = run(capsys, "cache", "list")
    listed = {line.split("\t")[3] for line in out.splitlines()}
    assert code == 0 and listed == set(urls)
    code, out, _ = run(capsys, "cache", "list", "--json")
    entries = json.loads(out)
    assert {e["handle"] for e in entries} == set(urls) and all(e["damage"] is None for e in entries)
    assert {e["path"] for e in entries} == {line[1] for line in lines}
    code, out, _ = run(capsys, "cache", "info")
    assert f"cache folder: {isolated_cache}" in out and "entries: 2" in out
    code, out, _ = run(capsys, "cache", "verify")
    assert code == 0 and out.count("\tOK\t") == 2
    os.remove(os.path.join(lines[0][1], "saved_model.pb"))
    code, out, _ = run(capsys, "cache", "verify")
    assert code == 1 and "DAMAGED: saved_model.pb is missing" in out


def test_rm_and_prune(capsys, server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "a.tar.gz")
    make_tar_gz(served_dir / "b.tar.gz")
    a = cache.module_dir(server.url("a.tar.gz"))
    main(["pull", server.url("a.tar.gz"), server.url("b.tar.gz")])
    code, out, _ = run(capsys, "cache", "rm", server.url("a.tar.gz"))
    assert code == 0 and not os.path.exists(a) and not os.path.exists(a + ".descriptor.txt")
    code, _, err = run(capsys, "cache", "rm", "nope")
    assert code == 7 and "Not in the cache" in err
    b = cache.module_dir(server.url("b.tar.gz"))
    os.remove(os.path.join(b, "saved_model.pb"))
    os.makedirs(b + ".dead.tmp")
    code, out, _ = run(capsys, "cache", "prune", "--dry-run")
    assert code == 0 and os.path.exists(b) and out.count("would remove") == 2
    code, out, _ = run(capsys, "cache", "prune")
    assert code == 0
    assert sorted(os.listdir(isolated_cache)) == [".locks"]


def test_rm_again_after_an_rm_killed_after_the_folder_finishes_the_job(
    capsys, server, served_dir, isolated_cache
):
    """An `rm` killed after its entry's folder was gone left the descriptor and manifest; the
    same `rm` again said 'Not in the cache' (exit 7) and left them (only prune removed them)."""
    import shutil

    make_tar_gz(served_dir / "a.tar.gz")
    entry = cache.module_dir(server.url("a.tar.gz"))
    main(["pull", server.url("a.tar.gz")])
    capsys.readouterr()
    shutil.rmtree(entry)  # Where the killed rm stopped.
    code, out, err = run(capsys, "cache", "rm", server.url("a.tar.gz"))
    assert code == 0 and out == f"removed the bookkeeping of {entry} (its folder was gone)\n", err
    assert sorted(os.listdir(isolated_cache)) == [".locks"]


def test_rm_of_an_entry_whose_first_download_runs_waits_and_removes_it(
    capsys, server, served_dir, isolated_cache
):
    """It said "Not in the cache" at once, and the download then installed the entry."""
    import time

    from tests._helpers.http_server import delay
    from tests._helpers.python_process import child_env, python_command

    from tfhub.cache import locks

    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(delay("m.tar.gz", 2.0))
    url = server.url("m.tar.gz")
    path = cache.module_dir(url)
    code = "import sys, tfhub as hub; print(hub.resolve(sys.argv[1]))"
    with subprocess.Popen(python_command(code, url), env=child_env()) as download:
        deadline = time.monotonic() + 60
        while not locks.is_download_running(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(path) and locks.is_download_running(path)
        rm_code, out, err = run(capsys, "cache", "rm", url)
        assert download.wait(timeout=60) == 0
    assert (rm_code, err) == (0, "") and "removed" in out
    assert not os.path.exists(path) and not os.path.exists(path + ".descriptor.txt")


def test_rm_all_removes_every_entry_and_nothing_else(
    capsys, server, served_dir, isolated_cache, tmp_path
):
    """Clearing the cache took `rm -rf` of the folder, which breaks a download running in
    another process (its temporary folder and lock vanish) and takes files that are not
    tfhub's; `tfhub cache rm --all` removes each entry under its lock, and only entries."""
    names = ["a.tar.gz", "b.tar.gz", "c.tar.gz"]
    for name in names:
        make_tar_gz(served_dir / name)
    assert main(["pull", *(server.url(name) for name in names)]) == 0
    damaged = cache.module_dir(server.url("c.tar.gz"))
    os.remove(os.path.join(damaged, "saved_model.pb"))
    target = tmp_path / "kept-model"
    target.mkdir()
    linked = os.path.join(isolated_cache, handles.cache_key("linked"))
    os.symlink(target, linked)
    in_progress = os.path.join(isolated_cache, handles.cache_key("x") + ".0123abcd.tmp")
    os.makedirs(in_progress)  # Another process's download at work: not an entry.
    (Path(isolated_cache) / "NOTES.txt").write_text("mine")
    capsys.readouterr()
    code, out, err = run(capsys, "cache", "rm", "--all")
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == f"4 entries removed from {isolated_cache}."
    assert f"removed the link {linked} (its target was kept)" in out
    left = sorted(os.listdir(isolated_cache))
    assert left == sorted([".locks", "NOTES.txt", os.path.basename(in_progress)])
    assert target.is_dir()
    assert run(capsys, "cache", "rm", "--all")[1].endswith(
        f"0 entries removed from {isolated_cache}.\n"
    )
    code, _, err = run(capsys, "cache", "rm")
    assert code == 2 and "or --all for every entry" in err
    code, _, err = run(capsys, "cache", "rm", "--all", "x")
    assert code == 2 and "give it no handle. Received: ['x']" in err


def test_import_archive_under_a_handle(capsys, tmp_path, isolated_cache, monkeypatch):
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    monkeypatch.setenv("TFHUB_OFFLINE", "1")  # Importing is local: allowed offline.
    handle = "https://www.kaggle.com/models/o/m/frameworks/TensorFlow2/variations/v/versions/1"
    code, out, _ = run(capsys, "import", str(archive), "--handle", handle)
    assert code == 0
    path = out.strip()
    assert os.path.basename(path) == handles.cache_key(handles.cache_handle(handle))
    assert read_tree(path) == MODEL_FILES
    code, out, _ = run(capsys, "resolve", "https://www.kaggle.com/models/o/m/TensorFlow2/v/1")
    assert code == 0 and out.strip() == path  # Offline, from the imported entry.
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"<html>")
    code, _, err = run(capsys, "import", str(bad), "--handle", "https://h/x", "--force")
    assert code == 4 and "HTML page" in err
    assert not os.path.exists(cache.module_dir("https://h/x"))
    code, _, err = run(capsys, "import", str(archive), "--handle", str(tmp_path))
    assert code == 2 and "read in place" in err
    code, _, err = run(capsys, "import", str(tmp_path), "--handle", "https://h/y")
    assert code == 7 and f"{tmp_path} is a folder, not an archive file" in err


def test_console_script_is_installed():
    import shutil

    import tfhub

    script = shutil.which("tfhub")  # `pip install -e .` (README step 1) puts it on PATH.
    assert script is not None, "the `tfhub` console script is not installed"
    for command in ([script], [sys.executable, "-m", "tfhub.cli.main"]):
        result = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0 and result.stdout == f"tfhub {tfhub.__version__}\n"


@pytest.mark.tf
def test_inspect_reports_signatures_and_variables(capsys, upstream_dir):
    code, out, _ = run(capsys, "inspect", "--json", str(upstream_dir / "tf1_multi_sig"))
    assert code == 0
    info = json.loads(out)
    expected = record("tf1_multi_sig")
    assert info["format"] == "TF1 Hub format"
    assert [m["tags"] for m in info["meta_graphs"]] == [[]]
    sigs = info["meta_graphs"][0]["signatures"]
    assert sigs["default"]["inputs"]["x"] == {"dtype": "float32", "shape": [None, 3]}
    assert sigs["default"]["outputs"]["hidden"] == {"dtype": "float32", "shape": [None, 4]}
    assert set(sigs["sum_pair"]["inputs"]) == {"a", "b"}
    variables = expected["checkpoint_variables"]
    assert info["variables"]["count"] == len(variables)
    assert info["variables"]["bytes"] == 4 * sum(math.prod(shape) for _, shape in variables)
    code, out, _ = run(capsys, "inspect", str(upstream_dir / "tf2_saved_model"))
    assert code == 0 and "format: TF2 SavedModel" in out and "signature 'serving_default'" in out
    assert "input 'x': float32 shape=[None, 3]" in out and "__saved_model_init_op" not in out
    tf2 = record("tf2_saved_model")
    tf2_vars = [shape for name, shape in tf2["checkpoint_variables"] if not name.startswith("_")]
    tf2_bytes = 4 * sum(math.prod(shape) for shape in tf2_vars)
    assert f"variables: {len(tf2_vars)} ({tf2_bytes} bytes)" in out
    code, out, err = run(capsys, "inspect", str(upstream_dir))  # Not a model folder.
    assert code == 7 and out == "" and err.count("\n") == 1
    assert err.startswith("tfhub: not found: ") and "saved_model.pb" in err


@pytest.mark.tf
def test_demo_runs_offline_and_cleans_up_whatever_the_users_settings(capsys, monkeypatch):
    """The demo serves its own model: no network, whatever the user's environment says. Behind
    a company proxy (HTTP_PROXY without 127.0.0.1 in NO_PROXY) its request to its own server
    went to the proxy; with TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED it asked for a folder."""
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:1")  # Nobody listens there.
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    from tfhub.cli import demo

    ctx = demo.run_demo()
    out = capsys.readouterr().out
    for step in ("load", "keras", "keras_reloaded", "module"):
        assert ctx.results[step] == [[2.5], [3.0], [7.0]], step
    assert "format: TF1 Hub format" in out and "resolved folder: " in out
    assert not os.path.exists(ctx.workdir)  # Server stopped, temp cache removed.
    assert os.environ["TFHUB_OFFLINE"] == "1"


def test_pull_goes_on_after_a_failure(capsys, server, served_dir):
    make_tar_gz(served_dir / "b.tar.gz")
    code, out, err = run(capsys, "pull", server.url("missing.tar.gz"), server.url("b.tar.gz"))
    assert code == 4 and "answered 404" in err
    assert out.startswith(server.url("b.tar.gz") + "\t")
    assert read_tree(out.split("\t")[1].strip()) == MODEL_FILES


def test_cli_leaves_logging_as_it_was(capsys, tmp_path):
    import logging

    logger = logging.getLogger("tfhub")
    before = (logger.level, list(logger.handlers), logger.propagate)
    run(capsys, "-v", "resolve", str(tmp_path))
    assert (logger.level, list(logger.handlers), logger.propagate) == before


def test_cli_prints_each_record_once_when_the_root_logger_has_a_handler(capsys):
    """Apache Beam configures the root logger when imported: without care, every tfhub line
    of `make_nearest_neighbour_index generate` was printed twice."""
    import logging

    from tfhub.utils.logging import cli_logging

    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    root, kept = logging.getLogger(), Keep()
    root.addHandler(kept)
    try:
        with cli_logging(verbose=True):
            logging.getLogger("tfhub.tools.example").info("Embedding 3 lines.")
        logging.getLogger("tfhub.tools.example").warning("After the command.")
    finally:
        root.removeHandler(kept)
    assert capsys.readouterr().err.splitlines() == ["tfhub: Embedding 3 lines."]
    assert kept.messages == ["After the command."]


@pytest.mark.tf
def test_inspect_of_damaged_variables_is_one_line(capsys, upstream_copy):
    model = upstream_copy / "tf2_saved_model"
    (model / "variables" / "variables.index").write_bytes(b"not an index")
    code, out, err = run(capsys, "inspect", str(model))
    assert code == 1 and out == ""
    assert err.startswith(
        f"tfhub: error: The model {model} cannot be loaded: its checkpoint in variables/ cannot "
        "be read ("
    )  # A local folder: no `tfhub cache rm` (that is said for cache entries).
    assert err.endswith("copy or export the model there again.\n") and err.count("\n") == 1


def test_import_over_an_entry_keeps_it_unless_forced(capsys, tmp_path, isolated_cache):
    first = make_tar_gz(tmp_path / "a.tar.gz", {"saved_model.pb": b"first"})
    second = make_tar_gz(tmp_path / "b.tar.gz", {"saved_model.pb": b"second"})
    handle = "https://example.com/models/m/1"
    code, out, _ = run(capsys, "import", first, "--handle", handle)
    path = out.strip()
    code, out, err = run(capsys, "import", second, "--handle", handle)
    assert code == 0 and out.strip() == path
    assert "already in the cache" in err and "--force" in err
    assert read_tree(path) == {"saved_model.pb": b"first"}
    code, out, err = run(capsys, "import", second, "--handle", handle, "--force")
    assert code == 0 and out.strip() == path and err == ""
    assert read_tree(path) == {"saved_model.pb": b"second"}


def test_rm_finds_a_kaggle_entry_tensorflow_hub_cached_as_given(capsys, isolated_cache):
    long_ = "https://www.kaggle.com/models/o/m/frameworks/TensorFlow2/variations/v/versions/1"
    upstream_entry = os.path.join(isolated_cache, handles.cache_key(long_))  # Hashed as given.
    os.makedirs(upstream_entry)
    open(os.path.join(upstream_entry, "saved_model.pb"), "wb").write(b"pb")
    open(upstream_entry + ".descriptor.txt", "w").write(f"Module: {long_}\n")
    code, out, _ = run(capsys, "cache", "rm", long_)
    assert code == 0 and out == f"removed {upstream_entry}\n"
    assert os.listdir(isolated_cache) in ([], [".locks"])
    assert os.listdir(isolated_cache / ".locks") == []  # rm removed the entry's lock file too.


def test_cache_list_escapes_what_another_tool_wrote_in_a_descriptor(capsys, isolated_cache):
    """A handle with a tab and a terminal escape, as another tool may write it: the list printed
    them raw (a shifted column, a recoloured terminal)."""
    handle = "https://h/m\t1 \x1b[31mRED"
    entry = os.path.join(isolated_cache, handles.cache_key(handle))
    os.makedirs(entry)
    open(os.path.join(entry, "saved_model.pb"), "wb").write(b"pb")
    open(entry + ".descriptor.txt", "w").write(f"Module: {handle}\n")
    code, out, _ = run(capsys, "cache", "list")
    assert code == 0 and out.endswith("\thttps://h/m\\x091 \\x1B[31mRED\n")
    assert "\x1b" not in out and out.count("\t") == 3


# --- Rough edges, quiet TensorFlow, exit codes (issue 10, items 14, 19, 21) --------------------


def test_verbose_after_the_subcommand_and_empty_cache_messages(capsys, server, served_dir):
    make_tar_gz(served_dir / "m.tar.gz")
    code, out, err = run(capsys, "cache", "list")
    assert code == 0 and "is empty" in out
    code, out, err = run(capsys, "cache", "prune", "--dry-run")
    assert code == 0 and out.startswith("Nothing to prune in ")
    code, out, err = run(capsys, "resolve", "-v", server.url("m.tar.gz"))
    assert code == 0 and os.path.isdir(out.strip()) and "Downloading TF-Hub Module" in err
    code, out, err = run(capsys, "cache", "verify", "--deep", "-v")
    assert code == 0 and "OK (content hashes checked)" in out


def test_cache_commands_say_they_manage_local_caches(capsys, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", "gs://bucket/cache")
    for command in (["list"], ["info"], ["verify"], ["prune"], ["rm", "x"]):
        code, out, err = run(capsys, "cache", *command)
        assert code == 6 and "manages local cache folders" in err and out == "", command


# The environment variables each command's --help must name (besides TFHUB_DEBUG, in all).
_DOWNLOADS = ["TFHUB_CACHE_DIR", "TFHUB_OFFLINE", "TFHUB_TOKEN", "TFHUB_TOKEN_HOST", "HTTPS_PROXY"]
_HELP_ENVIRONMENT = {
    ("resolve",): _DOWNLOADS,
    ("pull",): _DOWNLOADS,
    ("import",): ["TFHUB_CACHE_DIR", "TFHUB_MAX_EXTRACTED_BYTES", "TFHUB_MAX_ARCHIVE_MEMBERS"],
    ("inspect",): [*_DOWNLOADS, "TF_CPP_MIN_LOG_LEVEL"],
    ("cache", "list"): ["TFHUB_CACHE_DIR"],
    ("cache", "prune"): ["TFHUB_CACHE_DIR"],  # Skips a locked entry: waits for none.
    ("demo",): ["TF_CPP_MIN_LOG_LEVEL"],
    ("pack",): ["TF_CPP_MIN_LOG_LEVEL"],
    ("publish",): [
        "TFHUB_MAX_EXTRACTED_BYTES",
        "TFHUB_MAX_ARCHIVE_MEMBERS",
        "TF_CPP_MIN_LOG_LEVEL",
    ],
    ("validate",): [],
    ("mirror",): [*_DOWNLOADS, "TFHUB_KAGGLE_ENDPOINT", "TF_CPP_MIN_LOG_LEVEL"],
    ("serve",): [],
}


@pytest.mark.parametrize("command", sorted(_HELP_ENVIRONMENT), ids=" ".join)
def test_subcommand_help_has_description_examples_and_environment(capsys, command):
    """docs/cli.md: `tfhub COMMAND --help` shows what a command does, examples and the
    environment variables that apply to it; inspect, demo, pack, publish, validate, mirror and
    serve showed neither examples nor variables."""
    from tfhub import constants

    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert len(out.split("\n\n")[1]) > 40  # A description, not just the usage line.
    examples = out.split("\nexamples:\n", 1)[1].split("\n\n")[0].splitlines()
    assert examples and all(f"tfhub {command[0]}" in line for line in examples), examples
    section = out.split("\nenvironment:\n", 1)[1].splitlines()
    named = [
        line.split()[0].rstrip(",") for line in section if line.startswith("  ") and line[2] != " "
    ]
    for name in [*_HELP_ENVIRONMENT[command], "TFHUB_DEBUG"]:
        assert name in named, (name, section)
    known = {name.strip() for var in constants.ENV_VARS for name in var.name.split(",")}
    assert set(named) <= known  # Only variables tfhub documents (constants.ENV_VARS).
    assert max(map(len, examples + section)) <= 100


def test_mistyped_scheme_exits_2_without_tensorflow(tmp_path):
    code = (
        "import sys\nfrom tfhub.cli.main import main\n"
        "rc = main(['resolve', 'htps://example.com/m'])\n"
        "assert 'tensorflow' not in sys.modules\nsys.exit(rc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("tfhub: invalid handle: No resolver reads htps:// handles")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "needs"),
    [
        (["resolve", "gs://bucket/m.tar.gz"], "Reading gs:// paths needs the package"),
        (["inspect", "{upstream}/tf2_saved_model"], "Describing a model needs the package"),
    ],
)
def test_a_missing_dependency_exits_8(argv, needs, upstream_dir):
    """It exited 1 as "tfhub: error:": MissingDependencyError is a TFHubError, and that row of
    the error table came before ImportError's."""
    from tests._helpers.python_process import child_env

    code = (
        "import sys\nsys.modules['tensorflow'] = None  # As if not installed.\n"
        "from tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    argv = [arg.format(upstream=upstream_dir) for arg in argv]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert done.returncode == 8, done.stderr
    assert done.stderr.startswith(f"tfhub: missing dependency: {needs} 'tensorflow'")
    assert done.stderr.count("\n") == 1 and "pip install" in done.stderr


def test_publish_and_pack_of_a_missing_or_empty_folder_exit_not_found(capsys, tmp_path):
    """Exit 7, as `tfhub inspect` and `tfhub resolve` of such a path; it was 1."""
    (tmp_path / "empty").mkdir()
    for model in (tmp_path / "missing", tmp_path / "empty"):
        for argv in (
            ["publish", str(model), str(tmp_path / "hub"), "--handle", "acme/m/1"],
            ["pack", str(model), "-o", str(tmp_path / "m.tar.gz")],
        ):
            code, out, err = run(capsys, *argv)
            assert code == 7 and out == "" and err.startswith(f"tfhub: not found: {model} ")
    assert not (tmp_path / "hub").exists() and not (tmp_path / "m.tar.gz").exists()


@pytest.mark.tf
def test_inspect_and_tools_of_a_folder_without_a_model_exit_not_found(capsys, tmp_path):
    """`tfhub inspect` of a folder without saved_model.pb and a tool's missing module exit 7
    (the model is not found there), as `tfhub resolve` of a missing path; they exited 1."""
    from tests._helpers.image_sets import make_image_folder

    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, "inspect", str(tmp_path / "empty"))
    assert code == 7 and out == "" and err.count("\n") == 1
    assert err.startswith(f"tfhub: not found: The model {tmp_path / 'empty'} cannot be loaded")
    make_image_folder(tmp_path / "images", per_class=5)  # 0.2 of 5: one validation image.
    images = str(tmp_path / "images")
    argv = ["make-image-classifier", "--image_dir", images, "--tfhub_module", "/nonexistent"]
    code, out, err = run(capsys, *argv)
    assert code == 7 and err.startswith("tfhub: not found: The module /nonexistent does not exist")


def test_credentials_are_not_shown_by_pull_or_cache_list(capsys, server, served_dir):
    from tests._helpers.http_server import drop_mid_body

    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(200_000)})
    server.state.behaviours.append(drop_mid_body("m.tar.gz", after=50_000))  # Logs the URL.
    url = server.url("m.tar.gz").replace("http://", "http://bob:hunter2@")
    code, out, err = run(capsys, "-v", "pull", url)
    assert code == 0 and "broke at byte" in err and "http://***@127.0.0.1" in err
    assert "hunter2" not in out + err
    code, out, err = run(capsys, "cache", "list")
    # The entry is the URL without its credentials (its folder is sha1 of that).
    assert "hunter2" not in out and "bob" not in out and server.url("m.tar.gz") in out


def test_demo_cache_does_not_change_the_environment(capsys, monkeypatch, tmp_path):
    from tfhub import constants
    from tfhub.cli import demo

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "users"))
    seen = {}

    def record(ctx):  # A step: what tfhub and the environment say while the demo runs.
        import threading

        seen["tfhub"] = cache.cache_dir()
        seen["environ"] = os.environ["TFHUB_CACHE_DIR"]
        other = threading.Thread(target=lambda: seen.setdefault("thread", cache.cache_dir()))
        other.start()
        other.join()

    ctx = demo.run_demo(
        steps=[("serve", demo.step_serve), ("resolve", demo.step_resolve), ("record", record)]
    )
    assert seen["tfhub"] == os.path.join(ctx.workdir, "cache")  # The demo's temporary cache...
    assert seen["environ"] == seen["thread"] == str(tmp_path / "users")  # ...for the demo only.
    assert constants.cache_dir() == str(tmp_path / "users")


@pytest.mark.tf
def test_tensorflow_logs_are_quiet_unless_verbose(upstream_dir):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-m", "tfhub.cli.main", "inspect", str(upstream_dir / "tf2_saved_model")],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # No cudart/cuInit/absl lines before tfhub's output.


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_reader_that_stops_reading_ends_the_command_quietly(unbuffered):
    from tests._helpers.python_process import child_env

    read, write = os.pipe()
    os.close(read)  # As `tfhub cache list | head -1` once head has exited.
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tfhub.cli.main", "cache", "list"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(PYTHONUNBUFFERED=unbuffered),
            timeout=60,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")  # 128 + SIGPIPE; no "Broken pipe" line.


@pytest.mark.parametrize("command", [["cache", "list"], ["resolve", "{model}"]])
def test_a_command_started_with_stdout_closed_prints_nothing_and_succeeds(
    command, upstream_dir, tmp_path
):
    """`tfhub cache list >&-` (a daemon's job with no stdout): Python sets sys.stdout to None
    and `print` writes nothing; the flush after the command said "unexpected error:
    AttributeError: 'NoneType' object has no attribute 'flush'"."""
    from tests._helpers.python_process import child_env

    argv = [part.format(model=upstream_dir / "tf2_saved_model") for part in command]
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "tfhub.cli.main", *argv],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(TFHUB_CACHE_DIR=str(tmp_path / "cache")),
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_with_stderr_closed_failures_keep_their_exit_code_and_downloads_work(
    tmp_path, server, served_dir
):
    """`tfhub resolve X 2>&-`: printing the error line failed (EBADF), so the command ended
    in a traceback nobody saw and exit code 1 instead of 7 (not found); a download with
    TFHUB_DOWNLOAD_PROGRESS=1 failed in its progress bar (tqdm writing to None)."""
    from tests._helpers.archives import make_tar_gz
    from tests._helpers.python_process import child_env

    make_tar_gz(served_dir / "m.tar.gz")
    env = child_env(
        TFHUB_DEBUG="1",  # The traceback's print must not fail either.
        TFHUB_DOWNLOAD_PROGRESS="1",
        TFHUB_CACHE_DIR=str(tmp_path / "cache"),
    )
    outcomes = []
    # A 404 (download failed, 4): pull refuses a local path, missing or not (probes53).
    for handle in (server.url("nothing.tar.gz"), server.url("m.tar.gz")):
        done = subprocess.run(
            ["sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-m", "tfhub.cli.main"]
            + ["pull", handle],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
        outcomes.append((done.returncode, done.stdout.split("\t")[0]))
    # Nothing on stdout but the result: Python's print(file=None) would write there.
    assert outcomes == [(4, ""), (0, server.url("m.tar.gz"))]


def test_path_options_after_an_equals_sign_expand_a_tilde(monkeypatch):
    """`tfhub pack M --output=~/m.tar.gz`: a shell leaves `~` after `=` alone, so the archive
    went into a new folder named `~` in the current folder."""
    from tfhub.cli.main import build_parser

    monkeypatch.setenv("HOME", "/home/ada")
    parser = build_parser()
    assert parser.parse_args(["pack", "m", "--output=~/m.tar.gz"]).output == "/home/ada/m.tar.gz"
    args = parser.parse_args(["publish", "m", "root", "--handle=p/m/1", "--doc=~/d.md"])
    assert args.doc == "/home/ada/d.md"
    assert parser.parse_args(["serve", "root", "--cache-dir=~/c"]).cache_dir == "/home/ada/c"


def test_a_folder_name_that_is_not_utf8_is_printed_as_its_bytes(tmp_path):
    """Under a UTF-8 locale such as en_US.UTF-8 Python's stdout is strict: `tfhub resolve` of a
    folder named in Latin-1 said "invalid value: 'utf-8' codec can't encode" and exited 2."""
    folder = os.path.join(os.fsencode(tmp_path), b"mod\xe8le")
    os.mkdir(folder)
    with open(os.path.join(folder, b"saved_model.pb"), "wb") as handle:
        handle.write(b"x")
    code = "import sys\nfrom tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    done = subprocess.run(
        [sys.executable, "-c", code, "resolve", folder],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == folder + b"\n"


def _import_from_stdin(cache: Path, command: list[str], **options: Any) -> Any:
    """Runs `command + tfhub import /dev/stdin --handle ...` with the cache `cache`."""
    return subprocess.run(
        [*command, sys.executable, "-m", "tfhub.cli.main", "import", "/dev/stdin"]
        + ["--handle", "https://h/m.tar.gz"],
        capture_output=True,
        text=True,
        env={**os.environ, "TFHUB_CACHE_DIR": str(cache)},
        timeout=30,
        **options,
    )


def test_import_from_a_closed_stdin_says_the_stream_is_closed(isolated_cache):
    """`tfhub import /dev/stdin --handle URL <&-` said "/dev/stdin does not exist"."""
    done = _import_from_stdin(isolated_cache, ["sh", "-c", 'exec "$@" <&-', "sh"])
    assert (done.returncode, done.stderr) == (
        7,
        "tfhub: not found: /dev/stdin names standard input (descriptor 0), which is closed: "
        "stream the archive into it (`< model.tar.gz`) or name the archive file. "
        "Received: archive='/dev/stdin'\n",
    )
    assert not isolated_cache.exists()


def test_import_from_stdin_at_a_terminal_is_refused_at_once(isolated_cache):
    """`tfhub import /dev/stdin --handle URL` typed without `< m.tar.gz` waited for the user
    to type an archive (tar refuses to read one from a terminal, too)."""
    controller, terminal = os.openpty()
    try:
        done = _import_from_stdin(isolated_cache, [], stdin=terminal)
    finally:
        os.close(controller)
        os.close(terminal)
    assert (done.returncode, done.stderr.split(": ", 2)[1]) == (2, "invalid value")
    assert done.stderr.endswith(  # It returned at once, without waiting for input.
        "/dev/stdin is a terminal: stream the archive into it (`< model.tar.gz`, or "
        "`ssh host cat m.tar.gz |`) or name the archive file. Received: archive='/dev/stdin'\n"
    )
    assert not isolated_cache.exists() and done.stdout == ""


def test_import_reads_an_archive_from_a_pipe(tmp_path, isolated_cache):
    """`ssh host cat m.tar.gz | tfhub import /dev/stdin --handle URL` said "/dev/stdin does not
    exist": only regular files were taken."""
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    code = "import sys\nfrom tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    with open(archive, "rb") as data:
        piped = subprocess.Popen(["cat"], stdin=data, stdout=subprocess.PIPE)
        done = subprocess.run(
            [sys.executable, "-c", code, "import", "/dev/stdin", "--handle", "https://h/m.tar.gz"],
            stdin=piped.stdout,
            capture_output=True,
            text=True,
            env={**os.environ, "TFHUB_CACHE_DIR": str(isolated_cache)},
            timeout=120,
        )
        piped.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert read_tree(done.stdout.strip()) == MODEL_FILES


def _ipv6_loopback_port() -> int:
    """A free TCP port on ::1; skips the test where this machine has no IPv6 loopback."""
    import socket

    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
            return int(sock.getsockname()[1])
    except OSError as err:
        pytest.skip(f"this machine has no IPv6 loopback (::1): {err}")


def test_serve_on_an_ipv6_address_prints_a_url_that_opens(tmp_path):
    import requests
    from tests._helpers.hub_server import SRC, _stop, write_publisher

    write_publisher(tmp_path, "lab", "Lab")
    port = _ipv6_loopback_port()
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    child = subprocess.Popen(
        [sys.executable, "-c", code, "serve", str(tmp_path), "--host", "::1", "--port", str(port)]
        + ["--base-url", "https://hub.example.com/hub"],
        env=dict(os.environ, PYTHONPATH=SRC),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        url = line.rsplit(" at ", 1)[-1].split(" (public URL ")[0]
        assert url == f"http://[::1]:{port}/", line
        assert line.endswith(" (public URL https://hub.example.com/hub)\n"), line  # Its path.
        for _ in range(200):  # The address is printed before the server listens.
            try:
                assert requests.get(url + "healthz", timeout=5).status_code == 200
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail(f"nothing answered at {url}")
    finally:
        _stop(child)


def test_a_missing_token_file_or_doc_exits_not_found(capsys, tmp_path, monkeypatch):
    """`serve --token-file` and `publish --doc` of a file that does not exist exit 7 (not
    found), as every command's missing path does (they exited 1); `--token-file=~/...`
    expands `~` as the other path options do (it looked for a folder named `~`)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "hub" / "assets" / "docs").mkdir(parents=True)
    missing = tmp_path / "home" / "tokens.txt"
    code, out, err = run(capsys, "serve", str(tmp_path / "hub"), "--token-file=~/tokens.txt")
    assert code == 7 and out == ""
    assert err.startswith(f"tfhub: not found: Cannot read the token file {missing}: "), err
    (tmp_path / "model").mkdir()
    doc = tmp_path / "no-such-doc.md"
    argv = ["publish", str(tmp_path / "model"), str(tmp_path / "hub"), "--handle", "acme/m/1"]
    code, out, err = run(capsys, *argv, "--doc", str(doc))
    assert code == 7 and out == ""
    assert err.startswith(f"tfhub: not found: Cannot read the doc {doc}: no such file;"), err


def _killed_mid_delete(cache_dir: Path, tmp_path: Path, *argv: str) -> None:
    """Runs `tfhub ARGV` in its own process group and kills the group with SIGKILL while
    `rm -rf` deletes the first folder it deletes (a real kill, at a known point: the `rm` on
    PATH marks that it started, then hangs)."""
    import signal

    from tests._helpers.python_process import child_env, python_command

    bin_dir, started = tmp_path / "bin", tmp_path / "rm-started"
    bin_dir.mkdir()
    fake_rm = bin_dir / "rm"
    fake_rm.write_text(f"#!/bin/sh\ntouch {started}\nexec sleep 60\n")
    fake_rm.chmod(0o755)
    env = child_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    command = python_command("from tfhub.cli.main import main; main()", *argv)
    proc = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not started.exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # The command and its `rm`, as a crash would.
        proc.wait()
    assert any(name.endswith(".deleting.tmp") for name in os.listdir(cache_dir))


@pytest.mark.parametrize("rm_all", [True, False])
def test_rm_again_after_an_rm_killed_mid_delete_frees_the_space(
    capsys, tmp_path, isolated_cache, monkeypatch, rm_all
):
    """An `rm` killed while deleting an entry's files left them renamed aside (with the entry's
    descriptor, manifest and lock); `rm --all` again said "0 entries removed" and left them all
    (their disk space too: only `prune` removed them); `rm HANDLE` again left the files."""
    from tfhub.download import atomic_download

    by_path = {atomic_download(handle, _fill_model): handle for handle in ("a", "b")}
    victim = min(by_path) if rm_all else cache.module_dir("a")  # --all goes in sorted order.
    (survivor,) = set(by_path) - {victim}
    argv = ["--all"] if rm_all else ["a"]
    _killed_mid_delete(isolated_cache, tmp_path, "cache", "rm", *argv)
    # The other entry is untouched: listed, and resolved from the cache.
    assert run(capsys, "cache", "list")[1].startswith(os.path.basename(survivor) + "\t")
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    assert atomic_download(by_path[survivor], _fill_model) == survivor
    code, out, err = run(capsys, "cache", "rm", *argv)
    assert code == 0 and err == "", out + err
    expected = [".locks"] if rm_all else [".locks", *_entry_files(survivor)]
    assert sorted(os.listdir(isolated_cache)) == sorted(expected)
    assert run(capsys, "cache", "info")[1].endswith("leftovers: 0\n")


def _fill_model(target: str) -> None:
    for name, data in MODEL_FILES.items():
        os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
        Path(target, name).write_bytes(data)


def _entry_files(module_path: str) -> list[str]:
    name = os.path.basename(module_path)
    return [name, name + ".descriptor.txt", name + ".manifest.json"]


def test_an_import_force_killed_while_deleting_the_old_entry_leaves_the_new_one(
    capsys, tmp_path, isolated_cache, monkeypatch
):
    """`tfhub import --force` deleted the old entry, then renamed the new one into place: killed
    while deleting (seconds for a big model), it left neither (the new one in a temporary
    folder), where offline the old one may have been the only copy."""
    handle = "https://airgap.example/models/m/1"
    old = make_tar_gz(tmp_path / "old.tar.gz", {"saved_model.pb": b"old"})
    new = make_tar_gz(tmp_path / "new.tar.gz", {"saved_model.pb": b"new"})
    assert main(["import", str(old), "--handle", handle]) == 0
    capsys.readouterr()
    _killed_mid_delete(isolated_cache, tmp_path, "import", str(new), "--handle", handle, "--force")
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    code, out, err = run(capsys, "resolve", handle)
    assert code == 0 and read_tree(out.strip()) == {"saved_model.pb": b"new"}, err
    assert run(capsys, "cache", "verify", "--deep")[0] == 0

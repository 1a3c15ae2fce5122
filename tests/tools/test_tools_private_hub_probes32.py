"""The tools with models from a private hub (session 32), used as a team would: tiny modules
published with `tfhub publish`, served by `tfhub serve` on 127.0.0.1 and given to the console
scripts' `main()` and to the `tfhub` subcommands as `http://127.0.0.1:PORT/acme/...` handles,
with TFHUB_CACHE_DIR a folder of the test.

What is checked: the outputs made from the hub handle equal those made from the same model as a
folder (labels, predictions, accuracy; embeddings, index, matches; 1-NN error); with the hub
stopped, a warm cache runs offline (TFHUB_OFFLINE=1, docs/resolving.md), in Keras 3 and in
tf_keras; a cold cache fails in one line naming the handle and what to do, and leaves the
output folders as they were; a hub with --token-file answers each token setting with its hint,
and no token is ever shown (docs/hub.md "Tokens")."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.hub_server import HubProcess, free_port, serve_hub
from tests._helpers.python_process import child_env
from tests.tools import _nn_support as nn
from tests.tools._one_child import ForkServer
from tests.tools._private_hub import IMAGE, TEXT

from tfhub.cli.main import main as tfhub_main
from tfhub.tools.make_image_classifier.cli import main as classifier_main
from tfhub.tools.make_nearest_neighbour_index.cli import main as index_main
from tfhub.tools.module_search.cli import main as search_main

pytestmark = pytest.mark.tf

TOKEN = "s3cret-hub-token-32"
Main = Callable[[Sequence[str]], int]


@contextmanager
def _hub(root: Path, tmp_path: Path, *options: str) -> Iterator[HubProcess]:
    """`tfhub serve ROOT` on a free port of 127.0.0.1 until the block ends."""
    with serve_hub(root, tmp_path / f"serve-{free_port()}.log", "--rescan", "0", *options) as hub:
        yield hub


def _run(capsys: pytest.CaptureFixture[str], main: Main, argv: Sequence[str]) -> tuple[int, str]:
    """Runs a command's main() and returns its exit code and what it printed (stdout+stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def _train(capsys: pytest.CaptureFixture[str], main: Main, argv: Sequence[str]) -> str:
    """One seeded make_image_classifier run that must succeed; returns its output."""
    import keras

    keras.utils.set_random_seed(0)
    code, printed = _run(capsys, main, argv)
    assert code == 0, printed
    return printed


def _classifier_args(images: Path, module: str, out: Path, *, export: bool = True) -> list[str]:
    """One epoch; the labels, and the SavedModel if `export` (saving it takes seconds)."""
    argv = ["--image_dir", os.fspath(images), "--tfhub_module", module, "--train_epochs", "1"]
    argv += ["--batch_size", "8", "--labels_output_file", os.fspath(out / "labels.txt")]
    return [*argv, "--saved_model_dir", os.fspath(out / "sm")] if export else argv


def _epoch_line(printed: str) -> str:
    """The epoch's losses and accuracies, without its duration and speed."""
    (line,) = [line for line in printed.splitlines() if line.startswith("Epoch 1/1: ")]
    return re.sub(r" \([^)]*\)$", "", line)


def _predictions(out: Path) -> np.ndarray:
    import tensorflow as tf

    images = np.random.default_rng(3).random((6, 32, 32, 3), dtype=np.float32)
    return tf.saved_model.load(os.fspath(out / "sm"))(images).numpy()


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file below `folder` (hidden ones too) with the sha256 of its bytes."""
    return {
        os.fspath(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _assert_cold_cache_error(printed: str, handle: str, *, offline: bool) -> None:
    """One error line naming the handle and what to do: pull it online, or start the hub."""
    kind = "tfhub: offline: " if offline else "tfhub: download failed: "
    (line,) = [line for line in printed.splitlines() if line.startswith(kind)]
    if offline:
        assert line.startswith(f"{kind}TFHUB_OFFLINE is set and '{handle}' is not in the cache")
        assert f"`tfhub pull {handle}`" in line and "unset TFHUB_OFFLINE" in line
    else:
        assert line.startswith(f"{kind}Cannot download '{handle}'")
        assert "the connection was refused (is the server running" in line


def test_image_classifier_from_the_hub_equals_the_folder_and_runs_offline_once_cached(
    private_hub_root: Path,
    image_modules: dict[str, str],
    hub_tool_images: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with _hub(private_hub_root, tmp_path) as hub:
        handle = hub.url(IMAGE)
        argv = _classifier_args(hub_tool_images, handle, tmp_path / "hub")
        from_hub = _train(capsys, tfhub_main, ["make-image-classifier", *argv])
    assert f"Using module {handle} with image size (32, 32) (8 features)" in from_hub
    folder_args = _classifier_args(hub_tool_images, image_modules["fixed"], tmp_path / "folder")
    from_folder = _train(capsys, classifier_main, folder_args)
    assert _epoch_line(from_hub) == _epoch_line(from_folder)
    labels = (tmp_path / "folder" / "labels.txt").read_text()
    assert (tmp_path / "hub" / "labels.txt").read_text() == labels == "circle\nsquare\ntriangle\n"
    expected = _predictions(tmp_path / "folder")
    np.testing.assert_array_equal(_predictions(tmp_path / "hub"), expected)

    monkeypatch.setenv("TFHUB_OFFLINE", "1")  # The hub is stopped; the cache is warm.
    argv = _classifier_args(hub_tool_images, handle, tmp_path / "offline", export=False)
    offline = _train(capsys, classifier_main, argv)
    assert _epoch_line(offline) == _epoch_line(from_folder)
    assert (tmp_path / "offline" / "labels.txt").read_text() == labels
    outputs = tmp_path / "hub"
    before = _snapshot(outputs)
    argv = _classifier_args(hub_tool_images, handle, outputs)
    _check_cold_cache(monkeypatch, capsys, tmp_path, classifier_main, argv, handle)
    assert _snapshot(outputs) == before  # The earlier run's outputs stay, whole.
    new = tmp_path / "new"
    _check_cold_cache(
        monkeypatch, capsys, tmp_path, classifier_main,
        _classifier_args(hub_tool_images, handle, new), handle,
    )  # fmt: skip
    assert not new.exists()


def _check_cold_cache(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    main: Main,
    argv: list[str],
    handle: str,
) -> list[str]:
    """With the hub stopped and an empty cache: exit 3 offline, 4 online, one line each.

    Returns:
        What the command printed, offline then online.
    """
    said = []
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "cold_cache"))
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    for offline, expected_code in ((True, 3), (False, 4)):
        if offline:
            monkeypatch.setenv("TFHUB_OFFLINE", "1")
        else:
            monkeypatch.delenv("TFHUB_OFFLINE", raising=False)
        code, printed = _run(capsys, main, argv)
        assert code == expected_code, printed
        _assert_cold_cache_error(printed, handle, offline=offline)
        said.append(printed)
    return said


def _index_args(operation: str, lines: str, module: str, out: Path) -> list[str]:
    return [
        operation, "--data_file_pattern", lines, "--module_url", module,
        "--embed_output_dir", os.fspath(out / "embed"), "--index_output_dir",
        os.fspath(out / "index"), "--projected_dim", "4", "--seed", "7",
    ]  # fmt: skip


def _query(capsys: pytest.CaptureFixture[str], main: Main, module: str, index: Path) -> str:
    argv = ["query", "--module_url", module, "--index_output_dir", os.fspath(index)]
    code, printed = _run(capsys, main, [*argv, "--query", "hello world", "--query", "the"])
    assert code == 0, printed
    return printed


def test_nearest_neighbour_index_from_the_hub_equals_the_folder_and_queries_offline(
    private_hub_root: Path,
    text_module: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = nn.write_lines(tmp_path / "lines.txt", nn.lines(12))
    with _hub(private_hub_root, tmp_path) as hub:
        handle = hub.url(TEXT)
        argv = _index_args("e2e", lines, handle, tmp_path / "hub")
        code, printed = _run(capsys, tfhub_main, ["make-nearest-neighbour-index", *argv])
        assert code == 0, printed
    code, printed = _run(capsys, index_main, _index_args("e2e", lines, text_module, tmp_path))
    assert code == 0, printed
    items, vectors = nn.read_records(os.fspath(tmp_path / "hub" / "embed"))
    folder_items, folder_vectors = nn.read_records(os.fspath(tmp_path / "embed"))
    assert items == folder_items and vectors.shape == (12, 4)
    np.testing.assert_array_equal(vectors, folder_vectors)
    mapping = "ann.index.mapping.json"
    assert (tmp_path / "hub" / "index" / mapping).read_text() == (
        tmp_path / "index" / mapping
    ).read_text()
    expected = _query(capsys, index_main, text_module, tmp_path / "index")
    assert expected.splitlines()[3].endswith("\thello world")  # Nearest to itself.

    monkeypatch.setenv("TFHUB_OFFLINE", "1")  # The hub is stopped; the cache is warm.
    assert _query(capsys, index_main, handle, tmp_path / "hub" / "index") == expected
    outputs = tmp_path / "hub"
    before = _snapshot(outputs)
    query = ["query", "--module_url", handle, "--index_output_dir", f"{outputs}/index"]
    for argv in (_index_args("e2e", lines, handle, outputs), [*query, "--query", "the"]):
        _check_cold_cache(monkeypatch, capsys, tmp_path, index_main, argv, handle)
    assert _snapshot(outputs) == before  # The index and embeddings stay, whole.


def test_module_search_scores_a_hub_module_as_its_folder_and_offline_once_cached(
    private_hub_root: Path,
    image_modules: dict[str, str],
    hub_tool_images: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dataset = os.fspath(hub_tool_images)
    folder = image_modules["fixed"]
    with _hub(private_hub_root, tmp_path) as hub:
        handle = hub.url(IMAGE)
        argv = ["module-search", "--dataset", dataset, "--module", handle, "--module", folder]
        code, printed = _run(capsys, tfhub_main, argv)
        assert code == 0, printed
    scores = _scores(printed)
    assert scores[handle] == scores[folder]

    for offline in (False, True):  # The hub is stopped; the cache is warm: no request is made.
        if offline:
            monkeypatch.setenv("TFHUB_OFFLINE", "1")
        code, printed = _run(capsys, search_main, ["--dataset", dataset, "--module", handle])
        assert code == 0, printed
        assert _scores(printed) == {handle: scores[folder]}
    argv = ["--dataset", dataset, "--module", folder, "--module", handle]
    for printed in _check_cold_cache(monkeypatch, capsys, tmp_path, search_main, argv, handle):
        # The folder is still scored and ranked; the last line names the module left out.
        assert _scores(printed) == {folder: scores[folder]}
        assert handle in printed.strip().splitlines()[-1]


def _scores(printed: str) -> dict[str, tuple[str, str]]:
    """module -> (1nn_error, dim) from module_search's table."""
    rows = re.findall(r"^ +\d+ +([\d.]+) +(\d+) +[\d.]+  (\S+)$", printed, re.MULTILINE)
    return {module: (error, dim) for error, dim, module in rows}


TF_KERAS_RUNS = """
    import json, sys
    import tf_keras
    from tfhub.tools.make_image_classifier.cli import main
    for argv in json.loads(sys.argv[1]):
        tf_keras.utils.set_random_seed(0)
        if main(argv):
            sys.exit(1)
"""


def test_tf_keras_trains_offline_on_a_pulled_hub_module_as_on_its_folder(
    forks: ForkServer,
    private_hub_root: Path,
    image_modules: dict[str, str],
    hub_tool_images: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """TF_USE_LEGACY_KERAS=1 (a process of its own, forked before TensorFlow chose a Keras
    flavour: the flavour is chosen when Keras loads), with the module pulled from the hub
    before it stopped and TFHUB_OFFLINE=1."""
    with _hub(private_hub_root, tmp_path) as hub:
        handle = hub.url(IMAGE)
        code, printed = _run(capsys, tfhub_main, ["pull", handle])
        assert code == 0, printed
    runs = [
        _classifier_args(hub_tool_images, handle, tmp_path / "hub", export=False),
        _classifier_args(
            hub_tool_images, image_modules["fixed"], tmp_path / "folder", export=False
        ),
    ]
    env = child_env(TF_USE_LEGACY_KERAS="1", TFHUB_OFFLINE="1")
    done = forks.run(TF_KERAS_RUNS, json.dumps(runs), env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    printed = done.stdout
    assert f"Using module {handle} with image size (32, 32) (8 features), tf_keras 2." in printed
    hub_run, folder_run = printed.split(f"Using module {image_modules['fixed']}")
    assert _epoch_line(hub_run) == _epoch_line(folder_run)
    labels = (tmp_path / "folder" / "labels.txt").read_text()
    assert (tmp_path / "hub" / "labels.txt").read_text() == labels


def test_a_hub_with_tokens_answers_each_token_setting_and_no_token_is_shown(
    private_hub_root: Path,
    hub_tool_images: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# the team's token\n{TOKEN}\n")
    tokens.chmod(stat.S_IRUSR | stat.S_IWUSR)
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    with _hub(private_hub_root, tmp_path, "--token-file", os.fspath(tokens)) as hub:
        host = f"127.0.0.1:{hub.port}"
        shown = _refused_token_settings(monkeypatch, capsys, hub, hub_tool_images)
        monkeypatch.setenv("TFHUB_TOKEN", TOKEN)
        monkeypatch.setenv("TFHUB_TOKEN_HOST", host)
        argv = ["--dataset", os.fspath(hub_tool_images), "--module", hub.url(IMAGE)]
        code, printed = _run(capsys, search_main, argv)
        assert code == 0 and _scores(printed).keys() == {hub.url(IMAGE)}, printed
        shown.append(printed)
        # The token as the password of the handle, as `curl -u me:TOKEN` sends it (docs/hub.md).
        monkeypatch.delenv("TFHUB_TOKEN")
        secret = f"http://me:{TOKEN}@{host}/{IMAGE}"
        out = tmp_path / "out"
        printed = _train(capsys, classifier_main, _classifier_args(hub_tool_images, secret, out))
        assert f"Using module http://***@{host}/{IMAGE} with image size" in printed
        shown += [printed, hub.access_log()]
    assert not [text for text in shown if TOKEN in text]
    # Nor is it kept in the outputs: the SavedModel (its Keras metadata) and the labels.
    assert not [
        path for path in out.rglob("*") if path.is_file() and b"s3cret" in path.read_bytes()
    ]


def _refused_token_settings(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    hub: HubProcess,
    hub_tool_images: Path,
) -> list[str]:
    """No token, a token not sent to this host, a wrong token: exit 4 and the hint for each."""
    host = f"127.0.0.1:{hub.port}"
    settings = [
        ({}, "401 Unauthorized", f"set TFHUB_TOKEN to your token and TFHUB_TOKEN_HOST={host}."),
        ({"TFHUB_TOKEN": TOKEN}, "401 Unauthorized", f"add {host} to TFHUB_TOKEN_HOST"),
        (
            {"TFHUB_TOKEN": "wrong", "TFHUB_TOKEN_HOST": "127.0.0.1"},
            "403 Forbidden",
            "The server refused the token in TFHUB_TOKEN: ask the hub's admin.",
        ),
    ]
    shown = []
    for env, status, hint in settings:
        monkeypatch.delenv("TFHUB_TOKEN", raising=False)
        monkeypatch.delenv("TFHUB_TOKEN_HOST", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code, printed = _run(
            capsys,
            search_main,
            ["--dataset", os.fspath(hub_tool_images), "--module", hub.url(IMAGE)],
        )
        assert code == 4, printed
        (line,) = [line for line in printed.splitlines() if "download failed" in line]
        assert f"the server answered {status} for {hub.url(IMAGE)}" in line and hint in line
        shown.append(printed)
    return shown


@pytest.mark.parametrize(
    ("main", "argv"),
    [
        (classifier_main, []),
        (index_main, []),
        (search_main, []),
        (tfhub_main, ["make-image-classifier"]),
        (tfhub_main, ["make-nearest-neighbour-index"]),
        (tfhub_main, ["module-search"]),
    ],
    ids=lambda value: getattr(value, "__module__", None) or " ".join(value) or "-",
)
def test_the_tools_help_says_what_they_do_and_names_the_hub_settings(
    main: Main, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`tfhub --help` says `tfhub COMMAND --help` gives "a command's options, examples and
    environment variables"; the tools' commands and console scripts named no variable (not
    TFHUB_OFFLINE, nor TFHUB_TOKEN, which a private hub needs), and `tfhub module-search
    --help` did not say what the command does."""
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    printed = capsys.readouterr().out
    description = printed.split("\n\n")[1]
    assert description.split()[0] in {"Trains", "Embed", "Rank"}, printed
    section = printed.split("\nenvironment:\n", 1)[1].splitlines()
    named = {line.split()[0] for line in section if line.startswith("  ") and line[2] != " "}
    expected = {"TFHUB_CACHE_DIR", "TFHUB_OFFLINE", "TFHUB_TOKEN", "TFHUB_TOKEN_HOST"}
    assert expected | {"TFHUB_HTTP_RETRIES", "TFHUB_DEBUG"} <= named
    if "image-classifier" in " ".join(argv) or main is classifier_main:
        assert {"TF_USE_LEGACY_KERAS", "TFHUB_FLOWERS_URL"} <= named

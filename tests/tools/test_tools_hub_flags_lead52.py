"""The tools take upstream's absl flags --tfhub_cache_dir and --tfhub_model_load_format (rf52e-F6).

tensorflow_hub 0.10.0 defined both as absl flags (resolver.py), so its absl-based tools took
them beside their own, and its caching.md names `--tfhub_cache_dir`; here they ended in
"unrecognized arguments" (exit 2). What is checked, with a private hub on 127.0.0.1: each tool
(its console script and the `tfhub` subcommand) downloads into the folder the flag names, Beam's
workers too; TFHUB_CACHE_DIR wins over the flag, as upstream's `get_env_setting`; the
environment is as before once the tool ends.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from tests._helpers.hub_server import HubProcess, serve_hub
from tests.tools import _nn_support as nn
from tests.tools._private_hub import IMAGE, TEXT

from tfhub.cli.main import main as tfhub_main
from tfhub.tools.hub_flags import add_hub_flags, hub_flags_applied
from tfhub.tools.make_image_classifier.cli import main as classifier_main
from tfhub.tools.module_search.cli import main as search_main

Main = Callable[[Sequence[str]], int]


@pytest.fixture(scope="module")
def hub(private_hub_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """`tfhub serve` of the tools' private hub of tests (`_private_hub`)."""
    log = tmp_path_factory.mktemp("flags_hub_log") / "serve.log"
    with serve_hub(private_hub_root, log, "--rescan", "0") as process:
        yield process


def _entries(cache: Path) -> list[str]:
    """The cache's entry folders (40 hex digits), sorted."""
    if not cache.is_dir():
        return []
    return sorted(p.name for p in cache.iterdir() if p.is_dir() and len(p.name) == 40)


def _run_with_flag(
    main: Main,
    argv: Sequence[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    env_cache: bool,
) -> tuple[Path, Path]:
    """Runs `main(argv + --tfhub_cache_dir FLAG)`, TFHUB_CACHE_DIR set to ENV if `env_cache`
    else unset; checks it succeeded and left the environment as it was. Returns (FLAG, ENV)."""
    flag_cache, env_cache_dir = tmp_path / "flag_cache", tmp_path / "env_cache"
    if env_cache:
        monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(env_cache_dir))
    else:
        monkeypatch.delenv("TFHUB_CACHE_DIR", raising=False)
    before = dict(os.environ)
    code = main([*argv, "--tfhub_cache_dir", os.fspath(flag_cache)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert dict(os.environ) == before
    return flag_cache, env_cache_dir


@pytest.mark.tf
@pytest.mark.parametrize("env_cache", [False, True], ids=["flag", "variable-wins"])
def test_module_search_downloads_into_the_flags_cache_unless_the_variable_is_set(
    hub: HubProcess,
    hub_tool_images: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env_cache: bool,
) -> None:
    argv = ["--dataset", os.fspath(hub_tool_images), "--module", hub.url(IMAGE)]
    flag_cache, env_dir = _run_with_flag(
        search_main, argv, tmp_path, monkeypatch, capsys, env_cache=env_cache
    )
    used, unused = (env_dir, flag_cache) if env_cache else (flag_cache, env_dir)
    assert len(_entries(used)) == 1 and _entries(unused) == []


@pytest.mark.tf
def test_make_image_classifier_downloads_into_the_flags_cache(
    hub: HubProcess,
    hub_tool_images: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--image_dir", os.fspath(hub_tool_images), "--tfhub_module", hub.url(IMAGE)]
    argv += ["--train_epochs", "1", "--batch_size", "8"]
    flag_cache, _ = _run_with_flag(
        classifier_main, argv, tmp_path, monkeypatch, capsys, env_cache=False
    )
    assert len(_entries(flag_cache)) == 1


@pytest.mark.tf
def test_the_index_tools_beam_workers_download_into_the_flags_cache(
    hub: HubProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = nn.write_lines(tmp_path / "lines.txt", nn.lines(12))
    argv = ["make-nearest-neighbour-index", "generate", "--data_file_pattern", lines]
    argv += ["--module_url", hub.url(TEXT), "--embed_output_dir", os.fspath(tmp_path / "embed")]
    # One worker process: it reads the cache as a second one would, and each costs a start of
    # TensorFlow (as in test_nearest_neighbour_cli's failing run).
    argv += ["--direct_num_workers", "1", "--direct_running_mode", "multi_processing"]
    flag_cache, _ = _run_with_flag(tfhub_main, argv, tmp_path, monkeypatch, capsys, env_cache=False)
    assert len(_entries(flag_cache)) == 1
    items, vectors = nn.read_records(os.fspath(tmp_path / "embed"))
    assert len(items) == 12 and vectors.shape[0] == 12


def test_the_load_format_flag_holds_while_the_tool_runs_and_the_variable_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser = argparse.ArgumentParser()
    add_hub_flags(parser)
    args = parser.parse_args(["--tfhub_model_load_format", "UNCOMPRESSED"])
    monkeypatch.delenv("TFHUB_MODEL_LOAD_FORMAT", raising=False)
    with hub_flags_applied(args):
        assert os.environ["TFHUB_MODEL_LOAD_FORMAT"] == "UNCOMPRESSED"
    assert "TFHUB_MODEL_LOAD_FORMAT" not in os.environ
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "COMPRESSED")
    with hub_flags_applied(args):
        assert os.environ["TFHUB_MODEL_LOAD_FORMAT"] == "COMPRESSED"
    with pytest.raises(SystemExit):  # Not a load format: argparse's exit 2.
        parser.parse_args(["--tfhub_model_load_format", "FAST"])

"""The tools' commands show tfhub's library INFO lines (downloads, retries) only with `-v`, as
the `tfhub` command does (docs/resolving.md, docs/cli.md); their own progress and tfhub's
warnings always. A real server on 127.0.0.1 answers the first download with a 503."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from tests._helpers import image_sets
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import answer_status, archive_gets

from tfhub.cli.main import main as tfhub_main
from tfhub.tools.make_image_classifier.cli import main as classifier_main
from tfhub.tools.make_nearest_neighbour_index.cli import main as index_main
from tfhub.tools.module_search.cli import main as search_main

Main = Callable[[Sequence[str]], int]
RETRY = "tfhub: Retrying "


def _argv(tool: str, module: str, tmp_path: Path) -> list[str]:
    """A command line of `tool` that downloads `module` first, then fails on it (not a model)."""
    images = tmp_path / "images"
    if not images.exists():
        image_sets.make_image_folder(images, per_class=2, sizes=((8, 8),), formats=("png",))
    if tool == "classifier":
        return [
            "--image_dir",
            os.fspath(images),
            "--tfhub_module",
            module,
            "--validation_split",
            "0",
        ]
    if tool == "search":
        return ["--dataset", os.fspath(images), "--module", module]
    lines = tmp_path / "lines.txt"
    lines.write_text("hello world\nthe cat\n")
    embed = ["--embed_output_dir", os.fspath(tmp_path / "embed")]
    return ["generate", "--data_file_pattern", os.fspath(lines), "--module_url", module, *embed]


TOOLS: dict[str, tuple[Main, str]] = {
    "classifier": (classifier_main, "make-image-classifier"),
    "search": (search_main, "module-search"),
    "index": (index_main, "make-nearest-neighbour-index"),
}


@pytest.mark.parametrize("subcommand", [False, True], ids=["console_script", "tfhub"])
@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_a_retry_is_shown_with_v_only(
    tool: str,
    verbose: bool,
    subcommand: bool,
    server,
    served_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(
        answer_status("m.tar.gz", 503, times=1, headers={"Retry-After": "0"})
    )
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "cache"))
    main, command = TOOLS[tool]
    argv = _argv(tool, server.url("m.tar.gz"), tmp_path)
    if verbose:
        argv = [*argv, "-v"]
    code = tfhub_main([command, *argv]) if subcommand else main(argv)
    out, err = capsys.readouterr()
    assert code != 0, err
    assert len(archive_gets(server, "m.tar.gz")) == 2, err  # Refused once, then downloaded.
    assert (RETRY in err) is verbose, err
    if tool == "search":  # The tool's own progress shows without -v.
        assert f"tfhub: Scoring {argv[3]}\n" in err, err

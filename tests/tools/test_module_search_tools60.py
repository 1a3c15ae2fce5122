"""module_search when an error of a kind no module's scoring catches ends the search (session
60): the modules scored before it are still ranked, as after Ctrl-C, then the error is told
(tools60); the note that the table is partial and the summary of the modules that failed before
are said, and a stdout that cannot take the table leaves the error its line and exit code
(rvfix60e, review of 7d0b9514)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers import archives, image_sets
from tests._helpers.http_server import serve_folder

from tfhub.tools.module_search.cli import main as tool_main


class _ClosedPipe:
    """A stdout whose reader has gone (`| head` ended)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@contextlib.contextmanager
def _images_corrupted_by_a_served_module(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Path, str]]:
    """A copy of the shape images, and the URL of the variable-size module on a server on
    127.0.0.1 that overwrites every image of that copy with bytes no decoder reads when the
    module is asked for (a shared folder someone rewrites while the search runs)."""
    images = tmp_path / "images"
    shutil.copytree(shape_images, images)
    served = tmp_path / "served"
    served.mkdir()
    variable = archives.read_tree(image_modules["variable"])
    archives.make_tar_gz(served / "variable.tar.gz", variable, folders=True)
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "cache"))

    def rewrite_images_when_asked(handler: object, path: str, query: object) -> bool:
        if path.endswith("/variable"):
            for image in images.rglob("*.*"):
                image_sets.write_corrupt_image(image)
        return False  # Then served as usual.

    with serve_folder(os.fspath(served)) as server:
        server.state.behaviours.append(rewrite_images_when_asked)
        yield images, server.url("variable")


@pytest.mark.tf
def test_an_error_ending_the_search_still_ranks_the_modules_scored_before(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The second module reads the images at its own size and meets a corrupt image, an error
    of the dataset that ends the search. The first module's score was lost (no table, only the
    error); only Ctrl-C ranked what was scored. Now the table comes, then the error line, and
    the exit status is the error's."""
    first = image_modules["fixed"]  # 32x32: the images are read at that size first.
    with _images_corrupted_by_a_served_module(
        shape_images, image_modules, tmp_path, monkeypatch
    ) as (images, second):
        argv = [f"--dataset={images}#9", f"--module={first}", f"--module={second}"]
        code = tool_main([*argv, "--image_size=40"])  # Read again, at 40x40.
    printed = capsys.readouterr()
    table = printed.out.strip().splitlines()
    assert [row.split()[-1] for row in table[2:]] == [first], printed
    (line,) = [line for line in printed.err.splitlines() if line.startswith("tfhub: error: ")]
    assert "hold no readable image. Replace the damaged files listed above." in line, line
    assert code == 1, printed.err


@pytest.mark.tf
def test_an_error_ending_the_search_says_the_partial_table_and_the_earlier_failures(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A missing module fails (its line; the search goes on), the next is scored, the third
    meets images rewritten corrupt (an error ending the search). The note added to that error
    was never said (`report` says its message only), the 'could not be scored' summary was
    skipped, and the BrokenPipeError of printing the table replaced the error."""
    missing = os.fspath(tmp_path / "no_such_module")
    with _images_corrupted_by_a_served_module(
        shape_images, image_modules, tmp_path, monkeypatch
    ) as (images, third):
        argv = [
            f"--dataset={images}#9",
            f"--module={missing}",
            f"--module={image_modules['fixed']}",
        ]
        argv += [f"--module={third}", "--image_size=40"]
        monkeypatch.setattr(sys, "stdout", _ClosedPipe())
        code = tool_main(argv)
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if line.startswith("tfhub: ")]
    assert "tfhub: the table ranks the 1 module(s) scored before." in said, err
    assert any(line.startswith("tfhub: 1 of 3 modules could not be scored (") for line in said), err
    assert "hold no readable image. Replace the damaged files listed above." in said[-1], err
    assert code == 1, err

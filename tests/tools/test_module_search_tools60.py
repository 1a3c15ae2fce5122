"""module_search when an error of a kind no module's scoring catches ends the search (session
60): the modules scored before it are still ranked, as after Ctrl-C, then the error is told."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests._helpers import archives, image_sets
from tests._helpers.http_server import serve_folder

from tfhub.tools.module_search.cli import main as tool_main


def _corrupt_every_image(root: Path) -> None:
    """Overwrites each image below `root` with bytes no decoder reads."""
    for path in root.rglob("*.*"):
        image_sets.write_corrupt_image(path)


@pytest.mark.tf
def test_an_error_ending_the_search_still_ranks_the_modules_scored_before(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The images change on disk while the search runs (a shared folder someone rewrites):
    the second module reads them at its own size and meets a corrupt image, an error of the
    dataset that ends the search. The first module's score was lost (no table, only the
    error); only Ctrl-C ranked what was scored. Now the table comes, then the error line, and
    the exit status is the error's."""
    images = tmp_path / "images"
    shutil.copytree(shape_images, images)
    served = tmp_path / "served"
    served.mkdir()
    variable = archives.read_tree(image_modules["variable"])
    archives.make_tar_gz(served / "variable.tar.gz", variable, folders=True)
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "cache"))
    first = image_modules["fixed"]  # 32x32: the images are read at that size first.

    def rewrite_images_when_asked(handler: object, path: str, query: object) -> bool:
        if path.endswith("/variable"):
            _corrupt_every_image(images)
        return False  # Then served as usual.

    with serve_folder(os.fspath(served)) as server:
        server.state.behaviours.append(rewrite_images_when_asked)
        second = server.url("variable")
        argv = [f"--dataset={images}#9", f"--module={first}", f"--module={second}"]
        code = tool_main([*argv, "--image_size=40"])  # Read again, at 40x40.
    printed = capsys.readouterr()
    table = printed.out.strip().splitlines()
    assert [row.split()[-1] for row in table[2:]] == [first], printed
    (line,) = [line for line in printed.err.splitlines() if line.startswith("tfhub: error: ")]
    assert "hold no readable image. Replace the damaged files listed above." in line, line
    assert code == 1, printed.err

"""module_search ended by an error that is not Ctrl-C after a module was scored (rvfix60e,
review of 7d0b9514): the note that the table is partial and the summary of the modules that
failed before are said, and a stdout that cannot take the table leaves the error its line and
exit code."""

from __future__ import annotations

import os
import shutil
import sys
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
    images = tmp_path / "images"
    shutil.copytree(shape_images, images)
    served = tmp_path / "served"
    served.mkdir()
    variable = archives.read_tree(image_modules["variable"])
    archives.make_tar_gz(served / "variable.tar.gz", variable, folders=True)
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "cache"))
    missing = os.fspath(tmp_path / "no_such_module")

    def rewrite_images_when_asked(handler: object, path: str, query: object) -> bool:
        if path.endswith("/variable"):
            for image in images.rglob("*.*"):
                image_sets.write_corrupt_image(image)
        return False  # Then served as usual.

    with serve_folder(os.fspath(served)) as server:
        server.state.behaviours.append(rewrite_images_when_asked)
        argv = [
            f"--dataset={images}#9",
            f"--module={missing}",
            f"--module={image_modules['fixed']}",
        ]
        argv += [f"--module={server.url('variable')}", "--image_size=40"]
        monkeypatch.setattr(sys, "stdout", _ClosedPipe())
        code = tool_main(argv)
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if line.startswith("tfhub: ")]
    assert "tfhub: the table ranks the 1 module(s) scored before." in said, err
    assert any(line.startswith("tfhub: 1 of 3 modules could not be scored (") for line in said), err
    assert "hold no readable image. Replace the damaged files listed above." in said[-1], err
    assert code == 1, err

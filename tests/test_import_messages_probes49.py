"""`tfhub import FILE` of a local file that is no archive says so in a local file's words, and
what to do (review49b-F4): an HTML page was said to be what "It answered" (a download's
wording: a file answers nothing), and a file that is no tar archive got no advice, where a ZIP
and a truncated archive get one. A download keeps its wording ("answered", "Check the handle.").
"""

from __future__ import annotations

import io
import os

import pytest
from tests._helpers.archives import make_tar_gz

from tfhub import _archive, cache, errors
from tfhub.cli.main import main

HANDLE = "https://example.com/models/m/1"


def _import(capsys: pytest.CaptureFixture[str], archive: object) -> tuple[int, str]:
    code = main(["import", str(archive), "--handle", HANDLE])
    err = capsys.readouterr().err
    return code, err


def test_a_saved_html_page_is_called_one_and_the_archive_itself_asked_for(tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_text("<html>hi</html>\n")
    code, err = _import(capsys, page)
    assert code == 4, err
    assert err == (
        f"tfhub: not a model archive: {page} does not appear to be a valid module. It is an "
        "HTML page, not a model archive (a model page, a login page or an error page, saved "
        "in its place?): get the archive itself (the model page's download link) and give "
        "that file.\n"
    )
    assert not os.path.exists(cache.module_dir(HANDLE))  # Nothing imported.


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"not an archive at all\n", "(starts with b'not an archive a')"),
        (b"", "(it is empty: 0 bytes)"),
    ],
)
def test_a_file_that_is_no_tar_archive_says_what_to_give(tmp_path, capsys, content, said):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(content)
    code, err = _import(capsys, plain)
    assert code == 4, err
    assert err.startswith(
        f"tfhub: not a model archive: {plain} does not appear to be a valid module. Its content "
        f"is not a .tar, .tar.gz or .tgz archive {said}: "
    ), err
    todo = "get a fresh copy of the archive" if not content else "`tfhub pack FOLDER -o"
    assert todo in err and err.count("\n") == 1, err


def test_a_good_archive_still_imports(tmp_path, capsys):
    archive = make_tar_gz(tmp_path / "m.tar.gz")
    assert main(["import", str(archive), "--handle", HANDLE]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b"<!DOCTYPE html><html>",
            "It answered an HTML page instead of a model archive (a login page, an error page "
            "or a model page without the hosting protocol?).",
        ),
        (b"not an archive at all\n", "(starts with b'not an archive a')."),
    ],
)
def test_a_download_keeps_its_wording(tmp_path, content, said):
    """What a download's stream is told (`archive_fetch` then adds "Check the handle.")."""
    with pytest.raises(errors.NotAnArchiveError) as info:
        _archive.extract(io.BytesIO(content), str(tmp_path), source=HANDLE)
    assert str(info.value).startswith(f"{HANDLE} does not appear to be a valid module. ")
    assert str(info.value).endswith(said), info.value

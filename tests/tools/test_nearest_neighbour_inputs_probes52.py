"""make_nearest_neighbour_index generate's input as Beam reads it (review rf52d): patterns that
Beam's matching reads and Python's glob does not, and what the error says of a file that is
not UTF-8 text."""

from __future__ import annotations

import bz2
import codecs
import gzip
import os

import pytest
from tests.tools import _nn_support as nn

from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

pytestmark = pytest.mark.tf
pytest.importorskip(
    "apache_beam", reason="apache-beam is not installed (pip install 'tfhub[tools]')"
)


def _nested_lines(root):
    """tree/a/b/x.txt and tree/c/y.txt: files in folders of two depths, none at the top."""
    tree = root / "tree"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "c").mkdir()
    nn.write_lines(tree / "a" / "b" / "x.txt", ["hello world", "the cat"])
    nn.write_lines(tree / "c" / "y.txt", ["sat mat"])
    return tree


@pytest.mark.parametrize("pattern", ["**", "**.txt", "c/"])
def test_a_pattern_is_matched_as_beam_matches_it(pattern, text_module, tmp_path, capsys):
    """Beam's `**` matches any characters, `/` included, and a pattern ending in `/` is the
    files below it (apache_beam FileSystems.match): upstream 0.10 handed the pattern to
    ReadFromText as it was, and read every file. tfhub checked the pattern with Python's glob
    first, where `**` is one name and `c/` a folder, and refused: "matches only folders" for
    `tree/**`, "No file matches" for `tree/**.txt`, "matches only folders" for `tree/c/`."""
    tree = _nested_lines(tmp_path)
    embeds = tmp_path / "embeds"
    argv = ["generate", f"--data_file_pattern={tree}{os.sep}{pattern}",
            f"--module_url={text_module}", f"--embed_output_dir={embeds}"]  # fmt: skip
    assert tool_main(argv) == 0, capsys.readouterr().err
    items, _ = nn.read_records(str(embeds))
    expected = ["sat mat"] if pattern == "c/" else ["hello world", "sat mat", "the cat"]
    assert sorted(items) == expected


def test_a_pattern_that_matches_only_folders_is_still_named_so(tmp_path, capsys):
    """Beam matches no file for `tree/*` (its folders are not files): the error still says
    that only folders match, and how to match files."""
    tree = _nested_lines(tmp_path)
    argv = ["generate", f"--data_file_pattern={tree / '*'}",
            f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'e'}"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"--data_file_pattern {tree / '*'} matches only folders: match files" in line
    assert sorted(os.listdir(tmp_path)) == ["tree"]


TEXT = "hello world\nthe cat\n"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (TEXT.encode("utf-16"), "UTF-16"),  # With its byte-order mark, as Python writes it.
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "UTF-16"),
        (TEXT.encode("utf-32"), "UTF-32"),
    ],
    ids=["utf-16-le-bom", "utf-16-be-bom", "utf-32-bom"],
)
def test_a_utf16_file_is_named_so_with_the_conversion_that_works(
    content, name, text_module, tmp_path, capsys
):
    """A file that Windows PowerShell's `>` or Notepad's "Unicode" wrote is UTF-16 with a
    byte-order mark: the error told to convert it with `iconv -f latin1`, which makes a UTF-8
    file of mojibake ("ÿþc\\x00a\\x00t\\x00") that generate then embeds without a word."""
    data = tmp_path / "titles.txt"
    data.write_bytes(content)
    argv = ["generate", f"--data_file_pattern={data}", f"--module_url={text_module}",
            f"--embed_output_dir={tmp_path / 'embeds'}"]  # fmt: skip
    assert tool_main(argv) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"Line 1 of {data} is not UTF-8 text: the file is {name} text" in line
    assert f"iconv -f {name} -t UTF-8" in line
    assert "latin1" not in line
    assert sorted(os.listdir(tmp_path)) == ["titles.txt"]


def _zipped(text: str) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("titles.txt", text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("titles.txt", gzip.compress(TEXT.encode() * 20, mtime=0), "gzip-compressed"),
        ("titles.data", bz2.compress(TEXT.encode() * 20), "bzip2-compressed"),
    ],
    ids=["gzip-named-txt", "bzip2-named-data"],
)
def test_an_archive_or_a_misnamed_compressed_file_is_named_so(
    name, content, kind, text_module, tmp_path, capsys
):
    """Beam decompresses a file by its name's ending only, and unpacks no archive: a .zip (or
    gzip bytes named .txt) failed as "not UTF-8 text: convert the file (e.g. iconv -f latin1
    -t utf-8)", which turns the archive's bytes into text that generate then embeds."""
    data = tmp_path / name
    data.write_bytes(content)
    argv = ["generate", f"--data_file_pattern={data}", f"--module_url={text_module}",
            f"--embed_output_dir={tmp_path / 'embeds'}"]  # fmt: skip
    assert tool_main(argv) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"of {data} is not UTF-8 text: the file is {kind}" in line
    assert "latin1" not in line
    assert sorted(os.listdir(tmp_path)) == [name]


def _tarred(text: str) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        member = tarfile.TarInfo("titles.txt")
        member.size = len(text.encode())
        archive.addfile(member, io.BytesIO(text.encode()))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("titles.tar.gz", _tarred(TEXT * 20), "a tar archive"),
        ("titles.zip", _zipped(TEXT * 20), "a ZIP archive"),
    ],
    ids=["tar-gz", "zip"],
)
def test_an_archive_is_refused_before_the_module_loads(name, content, kind, tmp_path, capsys):
    """Beam decompresses titles.tar.gz and reads the tar inside as text: its header (the
    member's name, mode, owner, padded with NULs) and its padding were embedded as items, and
    generate succeeded, indexing them (found by queries as lines of \\x00 escapes). A .zip
    failed in the pipeline, after the module loaded."""
    data = tmp_path / name
    data.write_bytes(content)
    argv = ["generate", f"--data_file_pattern={data}",
            f"--module_url={tmp_path / 'module'}",  # None: refused before it loads.
            f"--embed_output_dir={tmp_path / 'embeds'}"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: {data}, matched by --data_file_pattern ")
    assert f"is {kind}, which Beam does not unpack: extract its text files first" in line
    assert sorted(os.listdir(tmp_path)) == [name]

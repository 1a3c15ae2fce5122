"""make_nearest_neighbour_index as users run it on odd inputs: Beam options with values Beam
refuses, text files with a byte-order mark or blank lines, empty queries, index folders that
are not what their files say."""

from __future__ import annotations

import os

import pytest
from tests.tools import _nn_support as nn

from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

pytestmark = pytest.mark.tf
pytest.importorskip(
    "apache_beam", reason="apache-beam is not installed (pip install 'tfhub[tools]')"
)


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        ("--direct_num_workers=two", "argument --direct_num_workers: invalid int value: 'two'"),
        ("--direct_running_mode=bogus", "argument --direct_running_mode: invalid choice: 'bogus'"),
        ("--direct_num_workers", "argument --direct_num_workers: expected one argument"),
    ],
)
def test_a_beam_option_value_beam_refuses_is_one_line(option, problem, tmp_path, capsys):
    """Beam's option parser exited the process (status 2) after printing its whole usage,
    about 300 lines of every Beam option, under the name of the Python program."""
    data = nn.write_lines(tmp_path / "lines.txt", ["hello"])
    argv = ["generate", f"--data_file_pattern={data}", f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'embeds'}", "--s3_secret_access_key=SEKRIT",
            option]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: Apache Beam refuses a pipeline option: {problem}")
    name = option.split("=")[0]
    assert line.endswith(f"Received: options --s3_secret_access_key {name}")  # No value shown.
    assert sorted(os.listdir(tmp_path)) == ["lines.txt"]


def test_an_upstream_folder_whose_index_does_not_fit_is_one_line(text_module, tmp_path, capfd):
    """A folder without ann.index.json is read as upstream's annoy index; annoy printed its own
    line on stderr ("Index size is not a multiple of vector size. ...: Success (0)") before
    tfhub's error."""
    index = tmp_path / "index"
    index.mkdir()
    (index / "ann.index").write_bytes(b"\0" * 7)  # No whole annoy node of 8 dimensions.
    (index / "ann.index.mapping.json").write_text('["hello"]', encoding="utf-8")
    argv = ["query", f"--module_url={text_module}", f"--index_output_dir={index}", "--query=a"]
    assert tool_main(argv) == 1
    lines = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tfhub: error: The index {index / 'ann.index'} does not hold 8-")


def test_generate_skips_blank_lines_and_a_byte_order_mark(text_module, tmp_path, capsys):
    """Upstream indexed every blank line as an empty item (which queries then found, printed as
    nothing); a UTF-8 byte-order mark (Notepad's) stayed in the first item, which was then
    embedded as another text than the line; a file with classic Mac line ends (CR) was one
    item. CRLF line ends and duplicates are kept as before."""
    (tmp_path / "lines.txt").write_bytes(
        b"\xef\xbb\xbfhello world\r\n\r\n  \t\r\nthe cat\n\nhello\nhello\n"
    )
    (tmp_path / "mac.txt").write_bytes(b"sat mat\r\rthe mat\r")
    embeds = tmp_path / "embeds"
    argv = ["generate", f"--data_file_pattern={tmp_path / '*.txt'}",
            f"--module_url={text_module}", f"--embed_output_dir={embeds}"]  # fmt: skip
    assert tool_main(argv) == 0, capsys.readouterr().err
    items, vectors = nn.read_records(str(embeds))
    assert sorted(items) == ["hello", "hello", "hello world", "sat mat", "the cat", "the mat"]
    expected = nn.text_embedding_expected(items, dim=nn.DIM)
    assert vectors == pytest.approx(expected, abs=1e-5)


def test_input_of_blank_lines_only_is_one_line(tmp_path, capsys):
    """Such input made an embedding folder of empty items only (or, blank lines dropped, of no
    records, which `build` then refused)."""
    (tmp_path / "blank.txt").write_bytes(b"\xef\xbb\xbf\n  \r\n\t\n")
    argv = ["generate", f"--data_file_pattern={tmp_path / 'blank.txt'}",
            f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'e'}"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tfhub: error: The 1 file(s) matching --data_file_pattern ")
    assert "hold blank lines only" in line
    assert sorted(os.listdir(tmp_path)) == ["blank.txt"]


@pytest.mark.parametrize("query", ["", " \t"])
def test_a_blank_query_is_one_line_before_the_module_loads(query, tmp_path, capsys):
    """`--query ""` printed 5 arbitrary items, each at distance 1.4142 (an empty text embeds
    as zeros), where the interactive prompt ends on an empty line."""
    argv = ["query", f"--module_url={tmp_path / 'module'}", f"--index_output_dir={tmp_path}",
            "--query=hello", f"--query={query}"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        "tfhub: error: --query 2 of 2 is blank: pass the text to find similar items to (an "
        f"empty query finds arbitrary ones). Received: query={query!r}"
    )


def test_input_that_is_a_link_to_nothing_is_named_so(tmp_path, capsys):
    """It said "lines.txt is a special file"."""
    (tmp_path / "lines.txt").symlink_to(tmp_path / "gone.txt")
    argv = ["generate", f"--data_file_pattern={tmp_path / 'lines.txt'}",
            f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'e'}"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    link, target = tmp_path / "lines.txt", tmp_path / "gone.txt"
    assert f"({link} is a link to {target}, which does not exist)" in line
    assert sorted(os.listdir(tmp_path)) == ["lines.txt"]


def test_e2e_refuses_upstream_format_with_another_library_before_generate(tmp_path, capsys):
    """The refusal came from `build`, after `generate` had run its whole pipeline."""
    data = nn.write_lines(tmp_path / "lines.txt", ["hello"])
    argv = ["e2e", f"--data_file_pattern={data}", f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'embeds'}", f"--index_output_dir={tmp_path / 'i'}",
            "--upstream_format", "--index_library=faiss"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tfhub: error: --upstream_format writes annoy indexes")
    assert line.endswith("Received: index_library='faiss'")
    assert sorted(os.listdir(tmp_path)) == ["lines.txt"]


def test_e2e_with_an_index_library_not_installed_fails_before_generate(
    tmp_path, capsys, monkeypatch
):
    """The missing package was found when `build` imported it, after `generate` had run its
    whole pipeline."""
    from tfhub.tools.make_nearest_neighbour_index import ann

    monkeypatch.setattr(ann.FaissIndex, "package", "tfhub_test_not_installed")
    data = nn.write_lines(tmp_path / "lines.txt", ["hello"])
    argv = ["e2e", f"--data_file_pattern={data}", f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'embeds'}", f"--index_output_dir={tmp_path / 'i'}",
            "--index_library=faiss"]  # fmt: skip
    assert tool_main(argv) == 8  # A missing dependency's exit code.
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "make_nearest_neighbour_index with index library 'faiss' needs the package " in line
    assert sorted(os.listdir(tmp_path)) == ["lines.txt"]


def test_a_hidden_file_the_pattern_matches_is_named(text_module, tmp_path, capsys):
    """Beam's `data/*` matches `data/.DS_Store` too (a shell's glob does not): its bytes failed
    the pipeline with "A line of the input is not UTF-8 text", naming no file, since tfhub
    looked for the line with a glob that skips hidden files."""
    data = tmp_path / "data"
    data.mkdir()
    nn.write_lines(data / "titles.txt", ["hello"])
    (data / ".DS_Store").write_bytes(b"Bud1\x00\x00\x10\x00\xff\xfe\x80\n")
    argv = ["generate", f"--data_file_pattern={data / '*'}", f"--module_url={text_module}",
            f"--embed_output_dir={tmp_path / 'embeds'}"]  # fmt: skip
    assert tool_main(argv) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("tfhub: error: The Beam pipeline failed on the DirectRunner")
    assert f"Line 1 of {data / '.DS_Store'} is not UTF-8 text: it is a hidden file" in line
    assert f"match your text files only (e.g. {data / '*.txt'})" in line
    assert sorted(os.listdir(tmp_path)) == ["data"]


def test_the_line_that_is_not_utf8_is_looked_for_in_decompressed_files(
    text_module, tmp_path, capsys
):
    """Beam reads `titles.txt.gz` decompressed; tfhub looked for the bad line in its raw bytes
    and named that valid file ("Line 1 of titles.txt.gz is not UTF-8 text") instead of the
    latin-1 one."""
    import gzip

    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt.gz").write_bytes(gzip.compress(b"hello\nthe cat\n"))
    (data / "b.txt").write_bytes(b"the mat\ncaf\xe9\n")
    argv = ["generate", f"--data_file_pattern={data / '*'}", f"--module_url={text_module}",
            f"--embed_output_dir={tmp_path / 'embeds'}"]  # fmt: skip
    assert tool_main(argv) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"Line 2 of {data / 'b.txt'} is not UTF-8 text: convert the file" in line
    assert sorted(os.listdir(tmp_path)) == ["data"]


def test_a_file_that_is_not_compressed_as_its_name_says_is_one_line(tmp_path, capsys):
    """`lines.gz` holding plain text: the check for text now reads files as Beam does, and
    must not end in an unexpected zlib error."""
    (tmp_path / "lines.gz").write_bytes(b"hello\n")
    argv = ["generate", f"--data_file_pattern={tmp_path / 'lines.gz'}",
            f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'e'}"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: {tmp_path / 'lines.gz'}, matched by ")
    assert "cannot be read as Beam reads it" in line and "incorrect header check" in line
    assert sorted(os.listdir(tmp_path)) == ["lines.gz"]


def test_a_file_whose_name_has_glob_characters_is_shown_how_to_match(tmp_path, capsys):
    """`--data_file_pattern=titles[1].txt` said only "No file matches", beside that file."""
    (tmp_path / "titles[1].txt").write_text("hello\n", encoding="utf-8")
    pattern = tmp_path / "titles[1].txt"
    argv = ["generate", f"--data_file_pattern={pattern}", f"--module_url={tmp_path / 'module'}",
            f"--embed_output_dir={tmp_path / 'e'}"]  # fmt: skip
    assert tool_main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"tfhub: error: No file matches --data_file_pattern {pattern}. It is ")
    assert f"as {tmp_path / 'titles[[]1].txt'} does." in line
    assert sorted(os.listdir(tmp_path)) == ["titles[1].txt"]

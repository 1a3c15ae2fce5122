"""absl_argv after review rev59b: a byte-order-marked nested flagfile, one message for an absl
boolean given no boolean (make_image_classifier's and the index tool's), one BOM, one `--`."""

from __future__ import annotations

import codecs

import pytest

from tfhub.tools.absl_argv import read_as_absl, with_flagfiles_read


def _bom_file(path, lines):
    """Writes `lines` as Notepad saves a file: UTF-8 with a byte-order mark, CRLF line ends."""
    path.write_bytes(codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    return path


def test_a_nested_flagfile_on_a_bom_marked_first_line_is_read(tmp_path):
    """absl sees no `--flagfile` directive on a first line that starts with a BOM; that line
    went on unread (`--flagfile=b.txt` handed to Beam, or "unrecognized arguments")."""
    inner = tmp_path / "b.txt"
    inner.write_text("--num_trees=3\n--dimensions=8\n")
    outer = _bom_file(tmp_path / "a.txt", [f"--flagfile={inner}", "--num_trees=5"])
    got = with_flagfiles_read([f"--flagfile={outer}", "build"])
    assert got == ["--num_trees=3", "--dimensions=8", "--num_trees=5", "build"]


def test_a_nested_bom_marked_flagfile_read_through_a_tool(tmp_path):
    from tfhub.tools.make_image_classifier.cli import build_parser

    inner = _bom_file(tmp_path / "inner.flags", ["--train_epochs=3"])
    outer = _bom_file(tmp_path / "run.flags", [f"--flagfile={inner}", "--batch_size=4"])
    parser = build_parser()
    args = parser.parse_args(read_as_absl([f"--flagfile={outer}"], parser))
    assert (args.train_epochs, args.batch_size) == (3, 4)


@pytest.mark.parametrize("through", ["self", "other"])
def test_a_bom_marked_flagfile_that_includes_itself_is_refused(through, tmp_path):
    """A file whose BOM-marked first line names itself (or a file that names it back) would
    be read for ever: a ToolFlagError naming the file."""
    from tfhub import errors

    outer = tmp_path / "a.txt"
    first = outer if through == "self" else tmp_path / "b.txt"
    if through == "other":
        _bom_file(first, [f"--flagfile={outer}"])
    _bom_file(outer, [f"--flagfile={first}", "--num_trees=5"])
    with pytest.raises(errors.ToolFlagError, match="includes itself") as caught:
        with_flagfiles_read([f"--flagfile={outer}"])
    assert caught.value.flag == "flagfile" and str(outer) in str(caught.value)

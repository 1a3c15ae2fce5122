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
    with pytest.raises(errors.ToolFlagError, match="leads back to it") as caught:
        with_flagfiles_read([f"--flagfile={outer}"])
    assert caught.value.flag == "flagfile"
    # The file whose first line is refused, and what it names: both true (rev59d).
    if through == "self":
        assert f"flagfile {outer} (after" in str(caught.value)
        assert f"names --flagfile={outer}," in str(caught.value)
    else:
        assert f"flagfile {outer} (after" in str(caught.value)
        assert f"names --flagfile={first}," in str(caught.value)
        assert f"({first} -> {outer} -> {first})" in str(caught.value)


def test_a_flagfile_given_twice_side_by_side_is_no_loop(tmp_path):
    """`--flagfile=common.txt --flagfile=a.txt`, a.txt's BOM-marked first line naming
    common.txt again, reads common.txt twice, as absl does; it was refused as a file that
    "includes itself" (rev59c)."""
    common = tmp_path / "common.txt"
    common.write_text("--image_dir=photos\n", encoding="utf-8")
    second = tmp_path / "a.txt"
    _bom_file(second, [f"--flagfile={common}", "--epochs=3"])
    read = with_flagfiles_read([f"--flagfile={common}", f"--flagfile={second}"])
    assert read == ["--image_dir=photos", "--image_dir=photos", "--epochs=3"]


def _usage_error(parser, argv, capsys):
    """The `error: ...` line of `parser` (exit 2) for `argv`, read as the tools read theirs."""
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(read_as_absl(argv, parser))
    assert caught.value.code == 2
    return capsys.readouterr().err.splitlines()[-1].split("error: ", 1)[1]


def test_both_tools_booleans_say_the_same_for_no_boolean(capsys):
    """make_image_classifier's booleans said "argument --do_fine_tuning: expected true or
    false. Received: 'maybe'", the index tool's switches "--allow_pickle takes true or false,
    or no value. Received: allow_pickle='maybe'": now both say the latter kind."""
    from tfhub.tools.make_image_classifier.cli import build_parser as classifier_parser
    from tfhub.tools.make_nearest_neighbour_index.cli import build_parser as index_parser

    said = "--{0} takes true or false, or no value. Received: {0}='maybe'"
    classifier = classifier_parser()
    for argv in (["--do_fine_tuning=maybe"], ["--do_fine_tuning", "maybe"]):
        assert _usage_error(classifier, argv, capsys) == said.format("do_fine_tuning")
    assert _usage_error(index_parser(), ["query", "--allow_pickle=maybe"], capsys) == (
        said.format("allow_pickle")
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--do_fine_tuning", "false"], False),  # Users rely on it: the next argument, a BOOL.
        (["--do_fine_tuning"], True),
        (["-do_fine_tuning=no"], False),
        (["--do_fine_tuning", "--nodo_fine_tuning"], False),
        (["--nodo_fine_tuning", "--do_fine_tuning=1"], True),
        ([], False),
    ],
)
def test_make_image_classifiers_booleans_keep_their_forms(argv, expected):
    from tfhub.tools.make_image_classifier.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(read_as_absl(argv, parser)).do_fine_tuning is expected


def test_the_classifiers_booleans_are_absl_booleans_in_its_flag_values():
    from tfhub.tools.absl_argv import flag_values
    from tfhub.tools.make_image_classifier.cli import build_parser

    values = flag_values(build_parser(), purpose="test")
    assert values["do_fine_tuning"].flag_type() == "bool" and values.do_fine_tuning is False
    assert values["do_data_augmentation"].flag_type() == "bool"

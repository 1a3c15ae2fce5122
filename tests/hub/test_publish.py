"""`tfhub publish`: archive + doc + signature summary into a hub folder, all or nothing."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from tests._helpers import models, mounts
from tests._helpers.killed_commit import (
    KILL_BEFORE_RENAME,
    publish_without_tensorflow,
    run_killed,
)

from tfhub import errors
from tfhub.cli.main import main
from tfhub.hub import docs_format as fmt
from tfhub.hub import pack, publish, signatures, starter, validator

pytestmark = pytest.mark.tf

HANDLE = "acme/text/embedding/1"
MODEL_DIR = "assets/docs/acme/models/text/embedding"


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF2 text embedding (string inputs: its task can be inferred), built once."""
    return Path(models.save_text_embedding(str(tmp_path_factory.mktemp("pub") / "model")))


def _tree(root: Path) -> list[str]:
    """Every file and empty folder below root (hidden ones too)."""
    found = [p for p in root.rglob("*") if p.is_file() or not any(p.iterdir())]
    return sorted(p.relative_to(root).as_posix() for p in found)


def test_publish_writes_archive_doc_summary_and_publisher_doc(text_model, tmp_path):
    root = tmp_path / "hub"
    published = publish.publish(text_model, root, HANDLE, info=starter.StarterInfo(license="mit"))
    assert _tree(root) == [
        "assets/docs/acme/acme.md",
        f"{MODEL_DIR}/1.md",
        f"{MODEL_DIR}/1.signatures.json",
        f"{MODEL_DIR}/1.tar.gz",
    ]
    assert (published.wrote_doc, published.wrote_publisher_doc) == (True, True)
    assert published.archive_sha256 == pack.pack(text_model, tmp_path / "x.tar.gz").sha256
    doc = fmt.parse_doc(published.doc, root=root)
    assert (doc.kind, str(doc.handle)) == (fmt.DocKind.MODULE, HANDLE)
    assert {key: doc.values(key) for key in ("asset-path", "task", "format", "fine-tunable")} == {
        "asset-path": ["1.tar.gz"],
        "task": ["text-embedding"],
        "format": ["saved_model_2"],
        "fine-tunable": ["true"],
    }
    assert doc.values("license") == ["mit"]
    assert "| serving_default | input | sentences | string | [?] |" in doc.body
    assert validator.validate_tree(root) == []


def test_signature_summary_describes_the_tf2_call(text_model, tmp_path):
    published = publish.publish(text_model, tmp_path, HANDLE)
    summary = signatures.read_summary(published.signatures)
    assert (summary.format, summary.doc_format, summary.variable_count) == (
        "TF2 SavedModel",
        "saved_model_2",
        1,
    )
    # The embeddings (8 rows: 7 tokens + OOV, x 4 float32): the model's `variables` list, as
    # `tfhub inspect` counts it (the checkpoint's save_counter is not one of them: probes53).
    assert summary.variable_bytes == 8 * 4 * 4
    # Named as `tfhub inspect` names it (the TensorSpec's name of a single tensor).
    assert summary.call == signatures.CallInfo(
        ((signatures.TensorInfo("sentences", "string", (None,)),),), takes_training=False
    )
    (meta,) = summary.meta_graphs
    assert meta.tags == ("serve",)


def test_publish_loads_a_tf2_model_once(text_model, tmp_path, monkeypatch):
    import tensorflow as tf

    loads = []
    real_load = tf.saved_model.load  # Also tf.compat.v1.saved_model.load_v2 (hub.load's).

    def counting_load(*args, **kwargs):
        loads.append(args[0])
        return real_load(*args, **kwargs)

    monkeypatch.setattr(tf.saved_model, "load", counting_load)
    monkeypatch.setattr(tf.compat.v1.saved_model, "load_v2", counting_load)
    published = publish.publish(text_model, tmp_path, HANDLE)
    assert len(loads) == 1  # check_loadable's load; the summary describes that object.
    assert signatures.read_summary(published.signatures).call is not None


def test_tf1_hub_module_publishes_with_format_hub(upstream_dir, tmp_path):
    published = publish.publish(upstream_dir / "tf1_text_vocab", tmp_path, "acme/tf1-text/3")
    doc = fmt.parse_doc(published.doc, root=tmp_path)
    assert doc.values("format") == ["hub"] and doc.values("task") == ["text-embedding"]
    summary = signatures.read_summary(published.signatures)
    assert summary.format == "TF1 Hub format" and summary.call is None
    default = {s.name: s for s in summary.meta_graphs[0].signatures}["default"]
    assert default.inputs == (signatures.TensorInfo("sentences", "string", (None,)),)
    with tarfile.open(published.archive) as archive:
        assert "tfhub_module.pb" in archive.getnames()
    assert validator.validate_tree(tmp_path) == []


def test_versions_are_immutable_unless_forced(text_model, tmp_path):
    first = publish.publish(text_model, tmp_path, HANDLE, info=starter.StarterInfo(task="text-x"))
    with pytest.raises(errors.VersionExistsError, match="versions are immutable") as caught:
        publish.publish(text_model, tmp_path, HANDLE)
    again = pickle.loads(pickle.dumps(caught.value))
    assert (again.handle, again.path) == (HANDLE, str(first.doc))
    assert isinstance(again, FileExistsError)
    assert fmt.parse_doc(first.doc).values("task") == ["text-x"]
    forced = publish.publish(text_model, tmp_path, HANDLE, force=True)
    assert fmt.parse_doc(forced.doc).values("task") == ["text-embedding"]
    assert not forced.wrote_publisher_doc
    assert not [p for p in first.doc.parent.iterdir() if ".publish-" in p.name]


def test_a_doc_with_problems_writes_nothing(text_model, tmp_path):
    """The problems name the doc's own file (they named assets/docs/.../1.md, a file that did
    not exist yet)."""
    doc = tmp_path / "doc.md"
    doc.write_text(
        f"# Module {HANDLE}\nDescription.\n\n<!-- asset-path: 1.tar.gz -->\n"
        "<!-- task: embedding -->\n<!-- fine-tunable: true -->\n<!-- format: hub -->\n"
    )
    with pytest.raises(errors.DocValidationError) as caught:
        publish.publish(text_model, tmp_path / "hub", HANDLE, doc=doc)
    shown = str(doc)
    assert caught.value.problems == [
        f"{shown}:5: 'task' must start with one of ['image-', 'text-', 'audio-', 'video-']. "
        "Received: 'embedding'",
        f"{shown}:7: 'format' says 'hub' but the model is a TF2 SavedModel: use 'saved_model_2'",
    ]
    assert pickle.loads(pickle.dumps(caught.value)).problems == caught.value.problems
    assert _tree(tmp_path / "hub") == []


def test_a_doc_for_another_handle_is_refused_before_the_model_is_read(tmp_path):
    """Refused only after the model had loaded (minutes for a large one), with a second,
    redundant problem saying where a doc of acme/other/1 must be."""
    doc = tmp_path / "doc.md"
    doc.write_text("# Module acme/other/1\nDescription.\n")
    not_a_model = tmp_path / "not_a_model"  # Never read: the doc is refused first.
    with pytest.raises(errors.DocValidationError) as caught:
        publish.publish(not_a_model, tmp_path / "hub", HANDLE, doc=doc)
    assert caught.value.problems == [
        f"{doc}:1: the doc must start with '# Module {HANDLE}'. Received: '# Module acme/other/1'"
    ]
    assert not (tmp_path / "hub").exists()


def test_a_given_doc_is_published_as_written(text_model, tmp_path):
    text = (
        f"# Module {HANDLE}\nA text embedding.\n\n"
        "<!-- asset-path: https://storage.example.com/embedding.tar.gz -->\n"
        "<!-- task: text-embedding -->\n<!-- fine-tunable: false -->\n"
        "<!-- format: saved_model_2 -->\n\n## Overview\nHand-written.\n"
    )
    (tmp_path / "doc.md").write_text(text)
    published = publish.publish(text_model, tmp_path / "hub", HANDLE, doc=tmp_path / "doc.md")
    assert published.doc.read_text() == text


def test_not_a_model_and_bad_handles_are_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(errors.NotAModelError):
        publish.publish(tmp_path / "empty", tmp_path / "hub", HANDLE)
    assert _tree(tmp_path / "hub") == []
    with pytest.raises(errors.InvalidHandleError, match="Received: handle='acme/x'"):
        publish.publish(tmp_path / "empty", tmp_path / "hub", "acme/x")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(errors.PublishTargetError, match="a-file is a file: give a folder"):
        publish.publish(tmp_path / "empty", tmp_path / "a-file", HANDLE)


@pytest.mark.parametrize("layout", ["top", "in its folder", "plain tar"])
def test_an_archive_publishes_as_its_folder_would(text_model, tmp_path, layout):
    """What a team holds since tfhub.dev closed: the archives it served (Kaggle's downloads are
    the same). Published as they are, the version is the one its folder gives."""
    archive = tmp_path / ("model.tar" if layout == "plain tar" else "model.tar.gz")
    with tarfile.open(archive, "w" if layout == "plain tar" else "w:gz") as tar:
        tar.add(text_model, arcname="model" if layout == "in its folder" else ".")
    from_folder = publish.publish(text_model, tmp_path / "a", HANDLE)
    from_archive = publish.publish(archive, tmp_path / "b", HANDLE)
    assert from_archive.archive_sha256 == from_folder.archive_sha256
    assert from_archive.doc.read_text() == from_folder.doc.read_text()
    assert _tree(tmp_path / "b") == _tree(tmp_path / "a")  # No extracted folder left behind.
    assert validator.validate_tree(tmp_path / "b") == []


def test_a_hostile_or_empty_archive_publishes_nothing(text_model, tmp_path, capsys):
    from tests._helpers.archives import add_members, make_tar_gz

    escape = tarfile.TarInfo("../../outside.txt")
    escape.size = 1
    hostile = add_members(tmp_path / "hostile.tar.gz", [escape])
    with pytest.raises(errors.UnsafeArchiveError):
        publish.publish(hostile, tmp_path / "hub" / "x", HANDLE)
    assert (
        not (tmp_path / "outside.txt").exists() and not (tmp_path / "hub" / "outside.txt").exists()
    )
    assert _tree(tmp_path / "hub") == []
    no_model = make_tar_gz(tmp_path / "docs.tar.gz", {"README.md": b"# a model\n"})
    with pytest.raises(errors.NotAModelError) as caught:
        publish.publish(no_model, tmp_path / "hub", HANDLE)
    message = str(caught.value)
    assert message.startswith(f"The archive {no_model} holds no loadable model (")
    assert ".publish-" not in message and caught.value.path == no_model  # Not the staging folder.
    assert _tree(tmp_path / "hub") == []
    assert main(["publish", no_model, str(tmp_path / "hub"), "--handle", HANDLE]) == 7
    assert capsys.readouterr().err.startswith("tfhub: not found: The archive")  # No model in it.
    with pytest.raises(errors.NotAModelError, match="archive file, not a folder: `tfhub publish`"):
        pack.pack(no_model, tmp_path / "again.tar.gz")


@pytest.mark.parametrize("root", ["model/hub", "model"])
def test_a_hub_folder_inside_the_model_folder_is_refused_before_loading(tmp_path, capsys, root):
    """`tfhub publish ./model ./model/hub` loaded the model, then failed with 'The archive
    cannot be written inside the model folder it packs ... write it elsewhere. Received:
    output='model/hub/.../.1.publish-<id>/1.tar.gz'': a staging path the user never gave."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"")  # Not loadable: refused before the load.
    with pytest.raises(errors.PublishTargetError) as caught:
        publish.publish(model, tmp_path / root, HANDLE)
    assert str(caught.value) == (
        f"The hub folder {tmp_path / root} is inside the model folder {model} it would "
        f"publish: choose a hub folder outside it. Received: root={str(tmp_path / root)!r}"
    )
    assert sorted(os.listdir(model)) == ["saved_model.pb"]
    assert main(["publish", str(model), str(tmp_path / root), "--handle", HANDLE]) == 1
    assert capsys.readouterr().err.startswith(f"tfhub: error: The hub folder {tmp_path / root}")


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("model.tar.gz", b"PK\x03\x04" + bytes(60), "Its content is a ZIP archive, not a tar"),
        ("model.tgz", b"<html><body>Sign in</body></html>", "an HTML page"),
        ("model.tar", b"", "it is empty: 0 bytes"),
    ],
)
def test_an_archive_name_on_something_else_says_what_it_holds(
    tmp_path, capsys, name, content, said
):
    """A ZIP renamed .tar.gz (or a saved login page, or an empty download) was called 'an
    archive file, not a folder: `tfhub publish` and `tfhub mirror` take it as it is', which
    publish had just refused (exit 7)."""
    archive = tmp_path / name
    archive.write_bytes(content)
    with pytest.raises(errors.NotAnArchiveError, match=said):
        publish.publish(archive, tmp_path / "hub", HANDLE)
    assert _tree(tmp_path / "hub") == []
    assert main(["publish", str(archive), str(tmp_path / "hub"), "--handle", HANDLE]) == 4
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"tfhub: not a model archive: {archive} does not appear to be a valid")
    assert "take it as it is" not in line


def test_an_archive_holding_a_link_names_the_archive_and_the_link(text_model, tmp_path):
    """tfhub extracts a link that points inside the archive; a hub serves only files and
    folders (tensorflow_hub cannot extract links), so publishing says which member and what to
    do, naming the user's archive (not the staging folder it was extracted into)."""
    folder = tmp_path / "model"
    shutil.copytree(text_model, folder)
    asset = next(path for path in (folder / "assets").iterdir() if path.is_file())
    (folder / "assets" / "alias.txt").symlink_to(asset.name)
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=".")
    with pytest.raises(errors.NotAModelError) as caught:
        publish.publish(archive, tmp_path / "hub", HANDLE)
    assert str(caught.value) == (
        f"The archive {archive} holds the symlink assets/alias.txt -> {asset.name}: a published "
        "model holds only files and folders (tensorflow_hub cannot extract links). Put the "
        "file itself in the archive (`tar czhf` stores what links point to) and publish again. "
        f"Received: model_dir={str(archive)!r}"
    )
    assert caught.value.path == str(archive)
    assert caught.value.reason == "not a regular file: assets/alias.txt"
    assert _tree(tmp_path / "hub") == []
    with tarfile.open(archive, "w:gz", dereference=True) as tar:  # What `tar czhf` writes.
        tar.add(folder, arcname=".")
    publish.publish(archive, tmp_path / "hub", HANDLE)
    assert validator.validate_tree(tmp_path / "hub") == []


def test_a_failed_rename_puts_the_previous_version_back(text_model, tmp_path, monkeypatch):
    first = publish.publish(text_model, tmp_path, HANDLE, info=starter.StarterInfo(task="text-x"))
    before = {p: (tmp_path / p).read_bytes() for p in _tree(tmp_path)}
    real_replace, calls = os.replace, []

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(dst)
        if Path(dst) == first.doc and ".publish-" in str(src) and "old-" not in str(src):
            # The new doc goes last: the archive and summary were replaced already.
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(errors.PublishWriteError, match="the disk of the hub folder .* is full"):
        publish.publish(text_model, tmp_path, HANDLE, force=True)
    monkeypatch.setattr(os, "replace", real_replace)
    assert len(calls) > 3
    assert {p: (tmp_path / p).read_bytes() for p in _tree(tmp_path)} == before


def test_publish_command_prints_the_version_or_each_problem(text_model, tmp_path, capsys):
    root = tmp_path / "hub"
    args = ["publish", str(text_model), str(root), "--handle", HANDLE]
    assert main([*args, "--description", "Mean of token embeddings."]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith(f"{HANDLE}\t{root}/{MODEL_DIR}/1.tar.gz\tsha256=")
    assert out.endswith("\tdoc written\n")
    assert fmt.parse_doc(root / MODEL_DIR / "1.md").description == "Mean of token embeddings."
    assert main(args) == 1
    _, err = capsys.readouterr()
    assert err.startswith(f"tfhub: error: {HANDLE} is already published")
    bad = tmp_path / "bad.md"
    bad.write_text(f"# Module {HANDLE}\nDesc.\n")
    assert main([*args, "--doc", str(bad), "--force"]) == 1
    _, err = capsys.readouterr()
    assert err.splitlines() == [
        f"{bad}:1: Module docs require the metadata ['asset-path', 'fine-tunable', "
        "'format', 'task'] (as '<!-- key: value -->' lines after the description)",
        "tfhub: 1 problem(s) in the doc; nothing written",
    ]


def test_publish_without_a_task_it_cannot_infer_says_to_pass_one(tmp_path, capsys):
    """A float-input model's task cannot be told: the only line said "'task' metadata cannot
    be inferred", not how to give it."""
    model = models.save_tf2_module(str(tmp_path / "model"))
    root = tmp_path / "hub"
    assert main(["publish", model, str(root), "--handle", "acme/floats/1"]) == 1
    _, err = capsys.readouterr()
    todo = (
        "pass --task (e.g. --task text-classification; tfhub.dev tasks start with image-, text-, "
        "audio- or video-), or give the model a doc, ROOT/assets/docs/acme/models/floats/1.md "
        "(`tfhub publish --doc FILE` puts FILE there; `tfhub mirror` keeps a doc already there)"
    )
    assert err.splitlines() == [
        f"acme/floats/1: 'task' metadata cannot be inferred from the model's inputs: {todo}",
        "tfhub: 1 problem(s) in the doc; nothing written",
    ]
    assert not root.exists()
    assert main(["mirror", model, str(root), "--as", "acme/floats/1"]) == 1  # No --doc there.
    assert capsys.readouterr().err == (
        f"tfhub: error: Cannot tell the task of acme/floats/1 from its inputs for the starter "
        f"doc: {todo}.\n"
    )
    assert main(["publish", model, str(root), "--handle", "acme/floats/1", "--task", "x"]) == 1
    assert "'task' must start with one of" in capsys.readouterr().err
    args = ["publish", model, str(root), "--handle", "acme/floats/1", "--task", "text-other"]
    assert main(args) == 0


def test_a_full_disk_publishes_nothing_and_says_so(text_model, tmp_path, capsys):
    with mounts.tmpfs(tmp_path / "fs", "size=16k") as disk:
        (disk / "filler").write_bytes(b"\0" * (16 << 10))  # The disk is full.
        root = disk / "hub"
        with pytest.raises(errors.PublishWriteError) as caught:
            publish.publish(text_model, root, HANDLE)
        assert str(caught.value).startswith(f"Cannot publish {HANDLE} into {root / MODEL_DIR}: ")
        assert "Free space on its disk" in str(caught.value)
        again = pickle.loads(pickle.dumps(caught.value))
        assert (again.path, again.errno) == (str(root / MODEL_DIR), 28)
        assert sorted(os.listdir(disk)) == ["filler"]  # No folder, staging or lock left.
        assert main(["publish", str(text_model), str(root), "--handle", HANDLE]) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"tfhub: error: Cannot publish {HANDLE}")
        assert sorted(os.listdir(disk)) == ["filler"]


def test_a_disk_full_after_the_archive_says_to_free_the_hub_folders_disk(
    text_model, tmp_path, monkeypatch, capsys
):
    """The disk filling up after the archive was packed (the signature summary cannot be written)
    said to free space on the disk of "the cache folder" (`tfhub cache prune`), with a doubled
    "..": the hub folder is no cache."""
    packed = publish.pack_lib.pack

    def pack_then_fill(*args, **kwargs):  # The disk is full once the archive is staged.
        result = packed(*args, **kwargs)
        with contextlib.suppress(OSError), open(disk / "filler", "ab") as filler:
            filler.write(b"\0" * (1 << 20))
        return result

    monkeypatch.setattr(publish.pack_lib, "pack", pack_then_fill)
    with mounts.tmpfs(tmp_path / "fs", "size=1m") as disk:
        root = disk / "hub"
        assert main(["publish", str(text_model), str(root), "--handle", HANDLE]) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert line == (
            f"tfhub: error: Cannot publish {HANDLE} into {root / MODEL_DIR}: the disk of the hub "
            f"folder {root} is full. Free space on its disk, then publish again; nothing was "
            "published."
        )
        assert sorted(os.listdir(disk)) == ["filler"]


def test_a_read_only_hub_folder_says_which_folder_and_what_to_do(text_model, tmp_path, capsys):
    """publish and mirror into a read-only file system printed the raw "tfhub: OS error: [Errno
    30] Read-only file system: '<root>'"."""
    with mounts.tmpfs(tmp_path / "fs", "size=1m") as disk:
        (disk / "existing").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        for root in (disk / "hub", disk / "existing"):  # Missing (made), then existing.
            for command in (["publish", "--handle", HANDLE], ["mirror", "--as", HANDLE]):
                args = [command[0], str(text_model), str(root), *command[1:]]
                assert main(args) == 1
                (line,) = capsys.readouterr().err.splitlines()
                failed = root if root.name == "hub" else root / "assets"
                assert line == (
                    f"tfhub: error: Cannot publish {HANDLE} into {root / MODEL_DIR}: the hub "
                    f"folder {root} cannot be written (Read-only file system: {failed}). Choose "
                    f"a hub folder you can write to, then {command[0]} again; nothing was "
                    "published."
                )
        with pytest.raises(errors.PublishWriteError) as caught:
            publish.publish(text_model, disk / "hub", HANDLE)
        assert (caught.value.path, caught.value.errno) == (str(disk / "hub" / MODEL_DIR), 30)


def test_a_hub_folder_without_write_permission_says_so(text_model, tmp_path, capsys):
    root = tmp_path / "hub"
    root.mkdir()
    immutable = subprocess.run(["chattr", "+i", str(root)], capture_output=True)
    if immutable.returncode != 0:
        pytest.skip(f"needs chattr +i (root, on ext4): {immutable.stderr.decode().strip()}")
    try:
        assert main(["publish", str(text_model), str(root), "--handle", HANDLE]) == 1
    finally:
        subprocess.run(["chattr", "-i", str(root)], check=True)
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"tfhub: error: Cannot publish {HANDLE} into {root / MODEL_DIR}: the hub folder {root} "
        f"cannot be written (Operation not permitted: {root / 'assets'}). Choose a hub folder "
        "you can write to, then publish again; nothing was published."
    )
    assert list(root.iterdir()) == []


def test_a_folder_of_other_docs_beside_the_version_is_not_its_model(text_model, tmp_path):
    """tfhub.dev keeps Tfjs docs in `<model>/<version>/default/tfjs/`: not a model folder."""
    root = tmp_path / "root"
    shutil.copytree(Path(__file__).parent.parent / "data/hub_docs/valid", root)
    tfjs = root / "assets/docs/example/models/text-embedding/1/default/tfjs/1.md"
    published = publish.publish(text_model, root, "example/text-embedding/1", force=True)
    assert tfjs.is_file() and published.archive.is_file()
    assert validator.validate_tree(root) == []


# A publish killed while staging (SIGKILL: no `finally` runs). The model was loaded and summarised
# by the first, in-process publish; the child reuses that summary so that it needs no TensorFlow.
KILLED_PUBLISH = (
    publish_without_tensorflow(3)
    + """
import time
from tfhub.hub import pack
real_pack = pack.pack
def pack_then_hang(model_dir, output, **options):
    packed = real_pack(model_dir, output, **options)
    print("staged", flush=True)
    time.sleep(120)
    return packed
publish.pack_lib.pack = pack_then_hang
publish.publish(sys.argv[1], sys.argv[2], sys.argv[4])
"""
)


def _start_killed_publish(text_model: Path, root: Path, summary: Path, handle: str):
    import subprocess
    import sys

    from tests._helpers.hub_server import SRC

    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_PUBLISH, str(text_model), str(root), str(summary), handle],
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "staged\n"
    return child


def test_leftovers_of_a_killed_publish_are_removed(text_model, tmp_path, capsys):
    root = tmp_path / "hub"
    first = publish.publish(text_model, root, HANDLE)
    clean = _tree(root)
    assert not [p for p in clean if "/." in p]  # Nothing hidden: no lock file, no staging.
    child = _start_killed_publish(text_model, root, first.signatures, "acme/text/embedding/2")
    try:
        staged = [p for p in first.doc.parent.iterdir() if p.name.startswith(".2.publish-")]
        assert len(staged) == 1 and staged[0].is_dir()
        assert main(["validate", str(root)]) == 0  # The publish is alive: its files stay.
        assert staged[0].is_dir()
    finally:
        child.kill()
        child.wait(timeout=30)
    assert staged[0].is_dir()  # SIGKILL: left behind.
    assert main(["validate", str(root)]) == 0
    assert "removed 1 leftover(s) of interrupted publishes" in capsys.readouterr().err
    assert _tree(root) == clean
    child = _start_killed_publish(text_model, root, first.signatures, "acme/text/embedding/2")
    child.kill()
    child.wait(timeout=30)
    publish.publish(text_model, root, "acme/text/embedding/3")  # Cleans the folder it locks.
    assert not [p for p in _tree(root) if "/." in p]


# A publish killed (SIGKILL) just before the Nth rename of its commit, after its journal was
# written; as KILLED_PUBLISH, it reuses the first publish's summary and needs no TensorFlow.
KILLED_COMMIT = (
    KILL_BEFORE_RENAME
    + publish_without_tensorflow(3)
    + """
from tfhub.hub import starter
kill_before_rename(int(sys.argv[5]))
info = starter.StarterInfo(description="The new one.")
publish.publish(sys.argv[1], sys.argv[2], sys.argv[4], force=sys.argv[6] == "force", info=info)
"""
)


def _files(root: Path) -> dict[str, bytes]:
    """The contents of every file below root, by relative path (hidden ones too)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _killed_commit(model: Path, root: Path, summary: Path, handle: str, at: int, force: bool):
    argv = [str(model), str(root), str(summary), handle, str(at), "force" if force else "-"]
    run_killed(KILLED_COMMIT, *argv)


@pytest.mark.parametrize("kill_before", range(1, 7))
def test_a_publish_force_killed_while_putting_its_files_in_place_is_rolled_back(
    text_model, tmp_path, capsys, kill_before
):
    """`publish --force` renames 6 times (archive, summary and doc: the old one aside, the new
    one in). Killed before any of them, the version was half old, half new; `tfhub validate`
    then deleted the old files kept aside, and a second publish refused to run. Now the next
    publish or validate puts the old files back."""
    root = tmp_path / "hub"
    first = publish.publish(text_model, root, HANDLE, info=starter.StarterInfo(description="Old."))
    before = _files(root)
    other = tmp_path / "other"
    shutil.copytree(text_model, other)
    (other / "assets").mkdir(exist_ok=True)
    (other / "assets" / "extra.txt").write_text("another model")
    _killed_commit(other, root, first.signatures, HANDLE, kill_before, force=True)
    assert main(["validate", str(root)]) == 0
    assert "removed 1 leftover(s) of interrupted publishes" in capsys.readouterr().err
    assert _files(root) == before
    again = publish.publish(other, root, HANDLE, force=True)
    assert validator.validate_tree(root) == [] and not [p for p in _tree(root) if "/." in p]
    assert again.archive_sha256 != first.archive_sha256


@pytest.mark.parametrize("kill_before", range(1, 4))
def test_a_new_version_killed_while_putting_its_files_in_place_blocks_nothing(
    text_model, tmp_path, kill_before
):
    """A new version's publish killed between its renames left its archive without a doc:
    the next publish said it was already published. Now that publish rolls it back first."""
    root = tmp_path / "hub"
    first = publish.publish(text_model, root, HANDLE)
    before = _files(root)
    second = "acme/text/embedding/2"
    _killed_commit(text_model, root, first.signatures, second, kill_before, force=False)
    publish.publish(text_model, root, "acme/text/embedding/3")  # Locks the folder, cleans it.
    assert {k: v for k, v in _files(root).items() if "/3." not in k} == before
    publish.publish(text_model, root, second)
    assert validator.validate_tree(root) == [] and not [p for p in _tree(root) if "/." in p]


def test_a_journal_naming_paths_it_may_not_is_not_followed(tmp_path):
    """A hub folder may come from a fork: a staging folder's journal is followed only if each
    rename stays in the docs tree and moves something into or out of the staging folder."""
    import json

    from tfhub.hub import commit

    docs = tmp_path / "hub/assets/docs"
    folder = docs / "acme/models/m"
    staging = folder / (".1.publish-" + "0" * 32)
    staging.mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (folder / "2.md").write_text("a doc")
    for renames in (
        [[os.path.relpath(outside, folder), f"{staging.name}/x"]],  # Out of the docs tree.
        [["1.md", "2.md"]],  # Not through the staging folder.
    ):
        (staging / commit.JOURNAL).write_text(json.dumps({"schema": 1, "renames": renames}))
        assert commit.roll_back(staging, docs=docs) is False
    assert outside.read_text() == "keep" and (folder / "2.md").read_text() == "a doc"
    assert not (folder / "1.md").exists()
    (staging / commit.JOURNAL).write_text("{not json")
    assert commit.roll_back(staging, docs=docs) is False


def test_a_failed_publish_leaves_the_folder_a_concurrent_publish_waits_on(
    text_model, tmp_path, caplog
):
    """Two publishes of one handle into a new hub: the first failed (its doc had problems) while
    the second waited for the folder's lock, and removed the folders it had made once it let
    the lock go. The second then locked a removed folder and failed to stage in it
    (FileNotFoundError); now it publishes, and the first removed nothing it did not make."""
    import threading
    import time

    caplog.set_level(logging.INFO, logger="tfhub.hub.staging")
    root = tmp_path / "hub"
    bad = tmp_path / "bad.md"
    bad.write_text(f"# Module {HANDLE}\nNo metadata: refused once the model is staged.\n")
    results: dict[str, object] = {}

    def run(name: str, doc: Path | None) -> None:
        try:
            results[name] = publish.publish(text_model, root, HANDLE, doc=doc)
        except BaseException as err:  # The test reads it below.
            results[name] = err

    failing = threading.Thread(target=run, args=("failing", bad))
    failing.start()
    folder, deadline = root / MODEL_DIR, time.monotonic() + 60
    while not (folder.is_dir() and [p for p in folder.glob(".1.publish-*")]):
        assert failing.is_alive() and time.monotonic() < deadline, results  # Not staging yet.
        time.sleep(0.005)
    waiting = threading.Thread(target=run, args=("waiting", None))
    waiting.start()
    failing.join(timeout=120)
    waiting.join(timeout=120)
    assert isinstance(results["failing"], errors.DocValidationError), results
    published = results["waiting"]
    assert isinstance(published, publish.Published), published
    assert published.archive.is_file() and published.doc.is_file()
    assert validator.validate_tree(root) == []
    assert not [p for p in _tree(root) if "/." in p]  # No staging folder left.
    assert "was removed by a failed publish; making it again" in caplog.text  # The race.


def test_a_folder_removed_again_and_again_is_one_publish_busy_error(tmp_path, monkeypatch):
    """Each time the lock was taken, a failed publish had removed the folder: after
    `_LOCK_ATTEMPTS` tries, one PublishBusyError (not a bare FileNotFoundError) and no
    folders left."""
    import contextlib

    from tfhub.hub import publish_locks

    @contextlib.contextmanager
    def always_removed(folder: Path, *, what: str, timeout: float = 1.0):
        shutil.rmtree(folder)  # As a failed publish that held the lock would have.
        raise FileNotFoundError(2, "removed while its publish lock was waited for", str(folder))
        yield True

    monkeypatch.setattr(publish_locks, "folder_lock", always_removed)
    with pytest.raises(errors.PublishBusyError, match="failed and removed it 20 times"):
        publish.publish(tmp_path / "model", tmp_path / "hub", HANDLE)
    assert _tree(tmp_path / "hub") == []


def test_a_folder_removed_while_its_lock_is_waited_for_is_reported(tmp_path):
    """The waiting publish locked the removed folder's inode; staging then failed in it."""
    import threading

    from tfhub.hub import publish_locks, staging

    folder = tmp_path / "acme/models/x"
    folder.mkdir(parents=True)
    outcome: list[BaseException | None] = []

    def wait_for_the_lock() -> None:
        try:
            with publish_locks.folder_lock(folder, what="publishing", timeout=30):
                outcome.append(None)
        except BaseException as err:  # The test reads it below.
            outcome.append(err)

    with publish_locks.folder_lock(folder, what="publishing"):
        waiter = threading.Thread(target=wait_for_the_lock)
        waiter.start()
        waiter.join(timeout=0.3)  # Waiting for the lock.
        staging.remove_made_folders(
            [tmp_path / "acme", tmp_path / "acme/models", folder], locked=True
        )
    waiter.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], FileNotFoundError), outcome
    assert not (tmp_path / "acme").exists()
    folder.mkdir(parents=True)  # Made again by someone else: not the folder that was waited for.
    (folder / "keep").write_text("")
    staging.remove_made_folders([tmp_path / "acme/models", folder], locked=False)
    assert (folder / "keep").exists()  # Not empty: kept, and its parents too.


def test_a_folder_that_cannot_be_flocked_falls_back_to_a_lock_outside_root(tmp_path, monkeypatch):
    """NFS clients refuse flock on a folder opened read-only (EBADF): publishing still works."""
    import errno

    from tfhub.hub import leftovers, publish_locks

    def refuse(fd: int, operation: int) -> None:
        raise OSError(errno.EBADF, "Bad file descriptor")

    monkeypatch.setattr(publish_locks.fcntl, "flock", refuse)
    folder = tmp_path / "hub/assets/docs/acme/models/x"
    folder.mkdir(parents=True)
    with publish_locks.folder_lock(folder, what="publishing") as own:
        assert not own  # Leftovers may belong to a publish on another host: kept.
    assert _tree(tmp_path / "hub") == ["assets/docs/acme/models/x"]  # No lock file in ROOT.
    assert leftovers.clean_tree(tmp_path / "hub/assets/docs") == []


@pytest.mark.parametrize(
    "handle",
    [
        "acme/../../../../../outside/1",
        "acme/.hidden/1",
        "acme/émb/1",
        "acme/日本語/1",
        "api/x/1",
        "static/x/1",
        "healthz/x/1",
    ],
)
def test_publish_refuses_handles_a_hub_cannot_hold(text_model, tmp_path, capsys, handle):
    """'..' parts wrote outside ROOT, '.x' ones where the server never looks, non-ASCII ones
    made URLs tensorflow_hub cannot load, publishers named as the server's own routes (api,
    static, healthz) had pages and archives nobody could reach."""
    root = tmp_path / "a/b/c/d/e/hub"
    assert main(["publish", str(text_model), str(root), "--handle", handle]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tfhub: invalid handle: The hub handle {handle!r} has the ")
    if handle.split("/")[0] in ("api", "static", "healthz"):
        assert "(reserved: api, healthz, static)" in err
    assert _tree(tmp_path) == []

"""Tests that kill mutants the other tests let live (session 43's hand mutation pass over
`generate`'s staging of a remote embedding folder, the names it takes for its own, `build`'s
check of Beam's shards, and image_store's feature batches): each test names the decision it
pins down.

ram:// (TensorFlow's in-memory file system) stands in for a remote folder where no server is
needed; the GCS stand-in (tests/_helpers/gcs_stand_in.py) where GCS's own listing matters.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers.gfile_files import fresh_ram_folder, read_file, write_file

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import embedding_records, file_names, files

EMBED = "embed_output_dir"
SHARD = "emb-00000-of-00001.tfrecords"
BEAM_TEMP = "beam-temp-emb-9d316e2cf0a811f1bd7102fc00000001"  # As Beam names it (a uuid1).
BEAM_FILE = "f159f15b-90f2-4846-8a30-2fbae8e3e574.emb.tfrecords"  # As Beam names a bundle's.


# --- file_names: the names generate takes for its own -----------------------------------------


def test_a_staging_folder_is_named_with_32_hex_digits_that_the_next_run_takes_for_its_own(
    tmp_path: Path,
) -> None:
    """A run killed before it removed its staging folder leaves it: the next run must take it
    for the tool's (and remove it), not refuse the folder as holding other files."""
    name = file_names.staging_name()
    assert re.fullmatch(r"tfhub-staging-[0-9a-f]{32}", name), name
    assert name != file_names.staging_name()
    (tmp_path / name).mkdir()
    (tmp_path / name / SHARD).write_bytes(b"staged by a killed run")
    assert files.other_entries(os.fspath(tmp_path), flag=EMBED) == []


def test_a_file_in_beams_temporary_folder_is_beams_only_if_its_whole_name_is(
    tmp_path: Path,
) -> None:
    (tmp_path / BEAM_TEMP).mkdir()
    (tmp_path / BEAM_TEMP / BEAM_FILE).write_bytes(b"beam's bundle")
    (tmp_path / BEAM_TEMP / f"{BEAM_FILE}.bak").write_bytes(b"mine")
    found = files.other_entries(os.fspath(tmp_path), flag=EMBED)
    assert found == [f"{BEAM_TEMP}/{BEAM_FILE}.bak"]


def test_only_emb_dash_record_files_are_the_embedding_folders_own(tmp_path: Path) -> None:
    """`emb-*.tfrecords`, as docs/tools.md says: a user's embeddings.tfrecords is not removed."""
    for name in (SHARD, "emb-notes.tfrecords", "embeddings.tfrecords", "emb.tfrecords"):
        (tmp_path / name).write_bytes(b"x")
    found = sorted(files.other_entries(os.fspath(tmp_path), flag=EMBED))
    assert found == ["emb.tfrecords", "embeddings.tfrecords"]


# --- embedding_records._check_shards -----------------------------------------------------------


def _names(folder: Path, names: list[str]) -> str:
    """Files of those names (their contents do not matter: the shards are checked first)."""
    for name in names:
        (folder / name).write_bytes(b"")
    return os.fspath(folder)


def test_a_missing_first_shard_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _names(tmp_path, ["emb-00001-of-00003.tfrecords", "emb-00002-of-00003.tfrecords"])
    with pytest.raises(errors.EmbeddingFilesError) as caught:
        embedding_records.embedding_files(folder)
    message = str(caught.value)
    assert "1 of its 3 shards emb-*-of-00003 are missing" in message, message
    assert "(emb-00000-of-00003.tfrecords)" in message, message


def test_shards_of_more_than_99999_are_checked_as_beam_names_them(tmp_path: Path) -> None:
    """Beam pads a shard's number to 5 digits at least (`-SSSSS-of-NNNNN`), more if needed."""
    folder = _names(tmp_path, ["emb-000000-of-100000.tfrecords"])
    with pytest.raises(errors.EmbeddingFilesError) as caught:
        embedding_records.embedding_files(folder)
    message = str(caught.value)
    assert "99999 of its 100000 shards emb-*-of-100000 are missing" in message, message
    assert "emb-00001-of-100000.tfrecords" in message, message


def test_a_shard_numbered_past_its_count_does_not_stand_in_for_a_missing_one(
    tmp_path: Path,
) -> None:
    names = ["emb-00000-of-00003.tfrecords", "emb-00002-of-00003.tfrecords"]
    folder = _names(tmp_path, [*names, "emb-00007-of-00003.tfrecords"])
    with pytest.raises(errors.EmbeddingFilesError, match=r"\(emb-00001-of-00003\.tfrecords\)"):
        embedding_records.embedding_files(folder)


# --- files.remote_output_folder (ram://) -------------------------------------------------------


@pytest.fixture
def folder() -> Iterator[str]:
    """A fresh ram:// embedding folder holding one old shard."""
    pytest.importorskip("tensorflow")
    with fresh_ram_folder("tfhub-probes43", "emb", {SHARD: b"old"}) as path:
        yield path


@pytest.mark.tf
def test_the_staging_folder_exists_before_anything_is_written_into_it(folder: str) -> None:
    """A runner may write into it as into a folder that exists (a file:// one must)."""
    import tensorflow as tf

    with files.output_folder(folder, flag=EMBED) as staged:
        assert tf.io.gfile.isdir(staged), staged
        assert tf.io.gfile.listdir(staged) == []
        write_file(f"{staged}/{SHARD}", b"new")
    assert tf.io.gfile.listdir(folder) == [SHARD]


@pytest.mark.tf
def test_only_the_tools_own_files_are_moved_up_from_the_staging_folder(folder: str) -> None:
    """A file of another name in the staging folder (a runner's marker) goes with the folder:
    moved up, the next run would refuse the folder as holding other files."""
    import tensorflow as tf

    with files.output_folder(folder, flag=EMBED) as staged:
        write_file(f"{staged}/{SHARD}", b"new")
        write_file(f"{staged}/_SUCCESS", b"")
    assert tf.io.gfile.listdir(folder) == [SHARD]
    assert read_file(f"{folder}/{SHARD}") == b"new"
    assert files.other_entries(folder, flag=EMBED) == []


@pytest.mark.tf
def test_a_staging_folder_that_cannot_be_removed_after_success_is_a_warning(
    folder: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The run succeeded (the new files are in place); the next run removes the folder."""
    import tensorflow as tf

    rmtree = tf.io.gfile.rmtree

    def refused(path: str) -> Any:
        if file_names.STAGING_PREFIX in path:
            raise tf.errors.PermissionDeniedError(None, None, "403 delete refused")
        return rmtree(path)

    with caplog.at_level(logging.WARNING), files.output_folder(folder, flag=EMBED) as staged:
        write_file(f"{staged}/{SHARD}", b"new")
        monkeypatch.setattr(tf.io.gfile, "rmtree", refused)
    monkeypatch.undo()
    assert f"Could not remove the staging folder {staged}" in caplog.text, caplog.text
    assert "403 delete refused" in caplog.text, caplog.text
    assert read_file(f"{folder}/{SHARD}") == b"new"
    assert sorted(tf.io.gfile.listdir(folder)) == sorted([SHARD, staged.rsplit("/", 1)[-1]])
    files.check_output_folder(folder, flag=EMBED)  # The next run takes it for its own.


@pytest.mark.tf
def test_a_failure_once_an_old_file_was_removed_says_where_the_new_files_are(
    folder: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The folder is changed: the warning must not say it is as it was."""
    import tensorflow as tf

    write_file(f"{folder}/emb-00001-of-00002.tfrecords", b"old 2")
    remove = tf.io.gfile.remove
    removed: list[str] = []

    def second_refused(path: str) -> Any:  # The second old file's removal is refused.
        if removed:
            raise tf.errors.PermissionDeniedError(None, None, "403 delete refused")
        removed.append(path)
        return remove(path)

    context = files.output_folder(folder, flag=EMBED)
    staged = context.__enter__()
    write_file(f"{staged}/{SHARD}", b"new")
    monkeypatch.setattr(tf.io.gfile, "remove", second_refused)
    with caplog.at_level(logging.WARNING), pytest.raises(errors.OutputNotWritableError):
        context.__exit__(None, None, None)
    monkeypatch.undo()
    assert len(removed) == 1 and not tf.io.gfile.exists(removed[0])
    warned = caplog.text
    assert f"The new files are in {staged}" in warned and "is as it was" not in warned, warned
    assert read_file(f"{staged}/{SHARD}") == b"new"


# --- storage listings --------------------------------------------------------------------------


@pytest.mark.tf
def test_listing_names_asks_no_entry_whether_it_is_a_folder(
    folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On ram:// and hdfs:// each such question is a request (the listing marks no folder)."""
    import tensorflow as tf

    from tfhub.tools.make_nearest_neighbour_index import storage

    tf.io.gfile.makedirs(f"{folder}/{BEAM_TEMP}")
    asked: list[str] = []
    isdir = tf.io.gfile.isdir

    def counted(path: str) -> bool:
        asked.append(path)
        return bool(isdir(path))

    monkeypatch.setattr(tf.io.gfile, "isdir", counted)
    assert sorted(storage.list_names(folder)) == sorted([BEAM_TEMP, SHARD])
    assert asked == [folder]
    asked.clear()
    assert sorted(storage.list_entries(folder)) == sorted([(BEAM_TEMP, True), (SHARD, False)])
    assert sorted(asked) == sorted([folder, f"{folder}/{BEAM_TEMP}", f"{folder}/{SHARD}"])


# A GCS listing names a sub-folder with a trailing slash ("beam-temp-.../"): the tool's names are
# without it, and the slash says it is a folder. Mutant N4 (session 42) kept the slash.
LISTING_SCENARIO = """
from tfhub.tools.make_nearest_neighbour_index import embedding_records, files, storage

def scenario(report, name, folder):
    report["names"] = sorted(storage.list_names(folder))
    report["entries"] = sorted(storage.list_entries(folder))
    report["others"] = files.other_entries(folder, flag="embed_output_dir")
    found = embedding_records.embedding_files(folder)
    report["tfrecords"] = [path.rsplit("/", 1)[-1] for path in found]
"""


@pytest.mark.tf
def test_a_gcs_sub_folder_is_listed_by_its_name_without_the_slash(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from tests._helpers.gcs_stand_in import WRITABLE, run_scenarios, serve_gcs

    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects.update(
            {
                f"n4/emb/{SHARD}": b"shard",
                f"n4/emb/{BEAM_TEMP}/{BEAM_FILE}": b"beam's bundle",
                "n4/emb/photos/cat.jpg": b"meow",
                f"n4/emb/{BEAM_TEMP}/notes.txt": b"mine",
            }
        )
        plan = [("n4", f"gs://{WRITABLE}/n4/emb")]
        found, stderr = run_scenarios(LISTING_SCENARIO, plan, bound=60.0, env=gcs.env())
    report = found["n4"]
    assert not report["hung"] and "type" not in report, (report, stderr[-2000:])
    assert report["names"] == sorted([BEAM_TEMP, SHARD, "photos"]), report
    entries = sorted([[BEAM_TEMP, True], [SHARD, False], ["photos", True]])
    assert report["entries"] == entries, report
    assert sorted(report["others"]) == [f"{BEAM_TEMP}/notes.txt", "photos"], report
    assert report["tfrecords"] == [SHARD], report

"""Review (session 42) of `generate`'s staging of a remote embedding folder, and of the tool's
bounded remote reads.

- Two runs into one folder: the first to finish removed the other's staging folder, and the
  other then found nothing staged, removed the first's new files as old ones and succeeded,
  leaving the folder empty.
- A failure before any old file was removed advised moving the staged files up, which mixes
  them with the old ones; and a listing that failed there was a DownloadError (a read's, exit
  4), not the output's OutputNotWritableError naming the flag.
- A read of a remote file after one that timed out waited behind it (the same question) and
  timed out too, without asking the server.

ram:// (TensorFlow's in-memory file system) stands in for gs:// where no server is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from tests._helpers.gcs_stand_in import TRICKLE_ONCE, WRITABLE, run_scenarios, serve_gcs
from tests._helpers.gfile_files import fresh_ram_folder, read_file, write_file

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import files

pytestmark = pytest.mark.tf

SHARD = "emb-00000-of-00001.tfrecords"


@pytest.fixture
def folder() -> Iterator[str]:
    """A fresh ram:// embedding folder holding one old shard."""
    pytest.importorskip("tensorflow")
    with fresh_ram_folder("tfhub-review42", "emb", {SHARD: b"old"}) as path:
        yield path


def test_the_second_of_two_runs_into_one_folder_fails_and_leaves_the_firsts_files(
    folder: str,
) -> None:
    import tensorflow as tf

    first = files.output_folder(folder, flag="embed_output_dir")
    second = files.output_folder(folder, flag="embed_output_dir")
    staged_first, staged_second = first.__enter__(), second.__enter__()
    write_file(f"{staged_first}/{SHARD}", b"new A")
    write_file(f"{staged_second}/{SHARD}", b"new B")
    first.__exit__(None, None, None)  # Removes the other run's staging folder too.
    with pytest.raises(errors.OutputNotWritableError) as caught:
        second.__exit__(None, None, None)
    message = str(caught.value)
    assert "gone from its staging folder" in message and "embed_output_dir" in message, message
    assert tf.io.gfile.listdir(folder) == [SHARD]
    assert read_file(f"{folder}/{SHARD}") == b"new A"


def test_a_failure_before_any_old_file_is_removed_says_the_folder_is_as_it_was(
    folder: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import tensorflow as tf

    write_file(f"{folder}/emb-00001-of-00003.tfrecords", b"old 2")
    context = files.output_folder(folder, flag="embed_output_dir")
    staged = context.__enter__()
    write_file(f"{staged}/{SHARD}", b"new")
    listdir = tf.io.gfile.listdir

    def refused(path: str) -> Any:  # The listing of the staging folder is refused (a 403).
        if "tfhub-staging-" in path:
            raise tf.errors.PermissionDeniedError(None, None, "403 listing refused")
        return listdir(path)

    monkeypatch.setattr(tf.io.gfile, "listdir", refused)
    with caplog.at_level(logging.WARNING), pytest.raises(errors.OutputNotWritableError) as caught:
        context.__exit__(None, None, None)
    monkeypatch.undo()
    assert not isinstance(caught.value, errors.DownloadError), type(caught.value).__mro__
    assert "403 listing refused" in str(caught.value) and "embed_output_dir" in str(caught.value)
    warned = caplog.text
    assert "is as it was" in warned and "move them into" not in warned, warned
    kept = sorted(name for name in tf.io.gfile.listdir(folder) if "staging" not in name)
    assert kept == [SHARD, "emb-00001-of-00003.tfrecords"]
    assert read_file(f"{folder}/{SHARD}") == b"old"


SCENARIO = """
from tfhub.tools.make_nearest_neighbour_index import storage

def scenario(report, name, path):
    try:
        storage.read_bytes(path)
    except Exception as err:
        report["first"] = type(err).__name__
    report["result"] = len(storage.read_bytes(path))
"""


def test_a_read_after_one_that_timed_out_asks_the_server_again(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The object's first read trickles (it times out, its call runs on); later ones are served.
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects[f"{TRICKLE_ONCE}/index/ann.json"] = b"x" * 100
        path = f"gs://{WRITABLE}/{TRICKLE_ONCE}/index/ann.json"
        env = gcs.short_env()
        found, _ = run_scenarios(SCENARIO, [("again", path)], bound=20.0, env=env)
    report = found["again"]
    assert not report["hung"] and "type" not in report, report
    assert report["first"] == "RetryTimeoutError" and report["result"] == 100, report

"""Probes (session 41): `build`'s remote (gs://) index folder and record files, bounded and clear.

`build --index_output_dir=gs://...` checks whether the folder exists, removes it, makes it
(each a call of TensorFlow's file system, which follows a GCS listing's nextPageToken for as
long as the server offers one and waits for an unanswered upload) and uploads the index's
files. The checks, removal and making now get TFHUB_HTTP_TIMEOUT plus
TFHUB_HTTP_RETRY_TIMEOUT, then a RetryTimeoutError (OutputTimeoutError for a removal or
making) naming the folder; a refused write (making the folder, or a file's upload) is an
OutputNotWritableError naming the path and the flag, not
TensorFlow's bare OpError. A child process (TensorFlow reads the stand-in's settings when it
first reads a gs:// path) runs each scenario in a thread, through the Python API and the
command line, and reports what it raised and how long it took.

`build` read gs:// record files through tf.data's TFRecordDataset, which reads a trickling
file for ever; remote record files are now copied to TMPDIR in bounded steps of 16 MiB first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    RECORDS_NAME,
    SHORT_TIMEOUTS,
    GcsStandIn,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python
from tests.tools import _nn_support as nn

pytestmark = pytest.mark.tf

BOUND_SECONDS = 15.0  # A scenario still running then has hung (the child moves on).
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
LIMIT = TIMEOUT + RETRY_TIMEOUT
SLACK = 4.0  # The seconds a scenario may take beyond LIMIT (TensorFlow's start, a build).

# Each (name, kind, embedding folder, index folder) row, in the child
# (`gcs_stand_in.run_scenarios`).
SCENARIO = """
from tfhub.tools.make_nearest_neighbour_index import cli, index_builder

def scenario(report, name, kind, embed, out):
    if kind == "build":
        config = index_builder.BuildConfig(embed, out, library="annoy")
        report["result"] = repr(index_builder.run(config))
    else:
        argv = ["build", f"--embed_output_dir={embed}", f"--index_output_dir={out}",
                "--index_library=annoy"]
        said = io.StringIO()
        with contextlib.redirect_stderr(said):
            report["rc"] = cli.main(argv)
        report["said"] = said.getvalue()
"""

# (name, kind, embedding folder (None: local records), index folder (None: local)); the rows
# that wait for a timeout (pages, silent, cli-pages, records) go two to each child.
PLAN = [
    ("pages", "build", None, "gs://pages-forever/x"),
    ("silent", "build", None, "gs://silent-writes/x"),
    ("refused", "build", None, "gs://refuses/x"),
    ("upload-refused", "build", None, "gs://dirs-only/x"),
    ("cli-pages", "cli", None, "gs://pages-forever/cli"),
    ("records", "build", "gs://records-trickle/emb", None),
    ("cli-refused", "cli", None, "gs://refuses/cli"),
    ("others", "build", None, "gs://holds-others/x"),
    ("cli-others", "cli", None, "gs://holds-others/cli"),
    ("late-failure", "build", "BAD_MATRIX", "gs://refuses/late"),
    ("list-refused", "build", None, "gs://list403/x"),
    ("cli-list-refused", "cli", None, "gs://list403/cli"),
    ("escaped-name", "cli", None, "gs://escname/x"),
    ("embed-list-refused", "build", "gs://list403/emb", None),
]


@pytest.fixture(scope="module")
def gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsStandIn]:
    """The stand-in for GCS (tests/_helpers/gcs_stand_in.py)."""
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def reports(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the child reported for each scenario, by name (its stderr, the stand-in's requests
    and the child's TMPDIR, where `build` stages a remote index): computed once per test run,
    by the first pytest worker that asks (`computed_once`)."""
    return computed_once(
        tmp_path_factory,
        __name__,
        lambda: _run_plan(request.getfixturevalue("gcs"), tmp_path_factory),
    )


def _run_plan(gcs: GcsStandIn, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs PLAN in the child (`run_scenarios`); `reports`' result."""
    folder = tmp_path_factory.mktemp("nn")
    embeds = os.fspath(nn.copy_upstream_embeds(folder / "embeds"))
    bad_matrix = nn.copy_upstream_embeds(folder / "bad-matrix")  # Read only at the end.
    np.save(bad_matrix / "random_projection.matrix.npy", np.zeros((3, 5), np.float32))
    chosen = {None: embeds, "BAD_MATRIX": os.fspath(bad_matrix)}
    plan = [
        (name, kind, chosen.get(embed, embed), out or os.fspath(folder / name))
        for name, kind, embed, out in PLAN
    ]
    staging = tmp_path_factory.mktemp("staging")
    env = gcs.short_env(TMPDIR=os.fspath(staging))
    # Two children (rows 0, 2, 4, ...; 1, 3, ...): a cli row redirects sys.stderr, so rows of
    # one child run one after the other; the children's timeouts overlap.
    found, stderr = run_scenarios(SCENARIO, plan, bound=BOUND_SECONDS, env=env, processes=2)
    return {
        "reports": found,
        "stderr": stderr,
        "requests": list(gcs.requests),
        "staging": os.fspath(staging),
    }


def _ended(reports: dict[str, Any], name: str) -> dict[str, Any]:
    """The scenario's report, checked to have ended within LIMIT (plus SLACK), in an error."""
    return ended(reports["reports"], name, reports["stderr"], within=LIMIT + SLACK)


def _timed_out(reports: dict[str, Any], name: str, path: str, *, write: bool = False) -> str:
    """The message of the scenario's RetryTimeoutError (for a `write`, OutputTimeoutError: not
    a failed download), which names `path` (checked)."""
    bases = (
        ("OutputTimeoutError", "OutputNotWritableError")
        if write
        else ("RetryTimeoutError", "DownloadError")
    )
    return timed_out(_ended(reports, name), path, bases=bases, settings=(TIMEOUT, RETRY_TIMEOUT))


def _refused(reports: dict[str, Any], name: str, path: str) -> str:
    """The message of the scenario's OutputNotWritableError for `path` (checked), raised from
    TensorFlow's PermissionDeniedError (the stand-in's 403)."""
    report = _ended(reports, name)
    assert report["type"] == "OutputNotWritableError", report
    assert report["module"] == "tfhub.errors" and "OSError" in report["bases"], report
    assert report["path"] == path, report
    assert report["cause"] == "PermissionDeniedError", report
    message = report["message"]
    assert f"Cannot write the index folder {path}: " in message, message
    assert "read-only stand-in" in message, message  # The server's answer, quoted.
    assert "index_output_dir=" in message and "\n" not in message, message
    return message


def test_a_gcs_index_folder_whose_listing_pages_forever_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    message = _timed_out(reports, "pages", "gs://pages-forever/x")
    assert "which names the folder holds" in message, message  # The check of its files, first.
    pages = [r for r in reports["requests"] if "/b/pages-forever/o?" in r and "pageToken" in r]
    assert len(pages) > 3, reports["requests"]  # It did page.


def test_a_gcs_index_folder_whose_making_is_never_answered_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    message = _timed_out(reports, "silent", "gs://silent-writes/x", write=True)
    assert "whether it made the folder" in message, message
    assert message.startswith("Cannot make gs://silent-writes/x: "), message  # Not "read".
    assert message.endswith("Received: index_output_dir='gs://silent-writes/x'"), message
    uploads = [r for r in reports["requests"] if r.startswith("POST ") and "/silent-writes/" in r]
    assert uploads, reports["requests"]  # The folder's marker was sent (and never answered).


def test_a_gcs_index_folder_the_server_refuses_to_make_is_an_output_error(
    reports: dict[str, Any],
) -> None:
    _refused(reports, "refused", "gs://refuses/x")


def test_a_refused_upload_of_an_index_file_is_an_output_error_naming_the_file(
    reports: dict[str, Any],
) -> None:
    first = min(["ann.index", "ann.index.json", "ann.index.mapping.json"])  # Sent first.
    message = _refused(reports, "upload-refused", "gs://dirs-only/x")  # The flag's value.
    assert f"gs://dirs-only/x: its file {first}: " in message, message
    sent = [r for r in reports["requests"] if r.startswith("POST ") and "/dirs-only/" in r]
    assert any("uploadType=media" in r for r in sent), sent  # The folder was made,
    assert any("uploadType=resumable" in r for r in sent), sent  # then the file refused.
    left = [name for name in os.listdir(reports["staging"]) if name.startswith("tfhub-")]
    assert not left  # The staged index was removed.


def test_the_command_line_says_a_timeout_on_one_line_exit_4(reports: dict[str, Any]) -> None:
    report = _ended(reports, "cli-pages")
    assert report["rc"] == 4, report  # A download's failure, as docs/tools.md says.
    assert "Traceback" not in report["said"], report["said"]
    (line,) = [line for line in report["said"].splitlines() if "gs://pages-forever/cli" in line]
    assert line.startswith("tfhub: ") and "TFHUB_HTTP_RETRY_TIMEOUT" in line, line


def test_the_command_line_says_a_refused_folder_on_one_line(reports: dict[str, Any]) -> None:
    report = _ended(reports, "cli-refused")
    assert report["rc"] not in (0, 4), report
    assert "Traceback" not in report["said"], report["said"]
    (line,) = [line for line in report["said"].splitlines() if "gs://refuses/cli" in line]
    assert line.startswith("tfhub: error: Cannot write the index folder gs://refuses/cli: "), line
    assert line.endswith("index_output_dir='gs://refuses/cli'"), line


def test_build_from_gcs_record_files_that_trickle_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # Read by tf.data's TFRecordDataset, such a file held `build` for ever.
    message = _timed_out(reports, "records", f"gs://records-trickle/emb/{RECORDS_NAME}")
    assert "from byte 0" in message, message
    reads = [r for r in reports["requests"] if r.startswith("GET storage.") and "/records-" in r]
    assert reads, reports["requests"]  # The file's read started (and trickled on).
    left = [name for name in os.listdir(reports["staging"]) if name.startswith("tfhub-copy-")]
    assert not left  # The partial copy was removed.


# Remote record files read through local copies (ram://, TensorFlow's in-memory file system).


def _ram_records(tmp_path: Path, records: list[tuple[bytes, list[float]]]) -> str:
    """A ram:// embedding folder (unique to the test) holding `records` in two files."""
    tf = pytest.importorskip("tensorflow")
    folder = f"ram://tfhub-writes41/{tmp_path.name}/emb"
    tf.io.gfile.makedirs(folder)
    half = len(records) // 2
    nn.write_records(f"{folder}/emb-00000-of-00002.tfrecords", records[:half])
    nn.write_records(f"{folder}/emb-00001-of-00002.tfrecords", records[half:])
    return folder


def test_remote_record_files_are_read_whole_in_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfhub.tools.make_nearest_neighbour_index import embedding_records, storage

    records = [(f"item {i}".encode(), [float(i), 1.0, -2.5]) for i in range(30)]
    folder = _ram_records(tmp_path, records)
    monkeypatch.setattr(storage, "READ_STEP", 7)  # Many steps per file.
    monkeypatch.setenv("TMPDIR", os.fspath(tmp_path))  # Where the copies go (and leave).
    monkeypatch.setattr("tempfile.tempdir", None)
    items, vectors = embedding_records.read_embeddings(folder, batch=4)
    assert items == [item.decode() for item, _ in records]
    assert vectors.tolist() == [vector for _, vector in records]
    assert not [name for name in os.listdir(tmp_path) if name.startswith("tfhub-copy-")]


def test_a_bad_record_of_a_remote_file_is_named_by_its_remote_path(tmp_path: Path) -> None:
    from tfhub import errors
    from tfhub.tools.make_nearest_neighbour_index import embedding_records

    records = [(f"item {i}".encode(), [float(i), 1.0]) for i in range(10)]
    records[7] = (b"item 7", [float("nan"), 1.0])  # Record 3 of the second file.
    folder = _ram_records(tmp_path, records)
    with pytest.raises(errors.EmbeddingFilesError) as caught:
        embedding_records.read_embeddings(folder, batch=4)
    assert caught.value.path == f"{folder}/emb-00001-of-00002.tfrecords"  # Not the copy's.
    assert caught.value.record == 3
    assert "record 3 (counting from 1) of emb-00001-of-00002.tfrecords" in str(caught.value)


def test_local_index_folders_are_written_directly(tmp_path: Path) -> None:
    # No thread, no deadline module for local folders (only gs:// needs them), no copies.
    embeds = nn.copy_upstream_embeds(tmp_path / "embeds")
    code = """
        import os, sys
        from tfhub.tools.make_nearest_neighbour_index import index_builder
        config = index_builder.BuildConfig(sys.argv[1], sys.argv[2], library="annoy")
        info = index_builder.run(config)
        assert info["items"] == 1000, info
        assert "tfhub._http_deadline" not in sys.modules
        assert not [name for name in os.listdir(sys.argv[3]) if name.startswith("tfhub-")]
        """
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = child_env(TMPDIR=os.fspath(tmp))
    # A process of its own (its sys.modules is checked), forked from the warm server, which
    # imported TensorFlow and none of tfhub.
    args = (os.fspath(embeds), os.fspath(tmp_path / "index"), os.fspath(tmp))
    run_warm_python(code, *args, env=env)


def test_a_gcs_output_folder_holding_other_files_is_refused_before_anything_is_removed(
    reports: dict[str, Any],
) -> None:
    """A remote index folder is emptied whole (as upstream did), so one that holds files the
    tool does not write is refused first, as a local one is: upstream, and tfhub until session
    41, deleted `gs://bucket/x/notes.txt` when told to write an index there."""
    for name, path in (("others", "gs://holds-others/x"), ("cli-others", "gs://holds-others/cli")):
        report = _ended(reports, name)
        said = report.get("message") or report["said"]
        assert f"{path} holds other files (notes.txt)" in said, report
        assert "Choose a new or empty folder" in said, report
        if name == "others":
            assert report["type"] == "OutputNotWritableError", report
        else:
            assert report["rc"] not in (0, 4) and "Traceback" not in said, report
    writes = [r for r in reports["requests"] if not r.startswith("GET ") and "holds-others" in r]
    assert not writes, writes  # Nothing removed, nothing made.
    assert any("/b/holds-others/o?" in r for r in reports["requests"])  # It was listed.


def test_a_build_failing_before_its_upload_leaves_the_remote_folder_untouched(
    reports: dict[str, Any],
) -> None:
    """`build` emptied a gs:// index folder before building: a failure after that (here the
    embeddings' projection matrix, read last, of the wrong size) left the old index deleted.
    The folder is now emptied and made only once the index is built, just before the upload."""
    report = _ended(reports, "late-failure")
    assert report["type"] == "EmbeddingFilesError", report["message"]
    assert "projection matrix" in report["message"], report
    touched = [r for r in reports["requests"] if "/refuses/late" in r or "late%2F" in r]
    assert not [r for r in touched if not r.startswith("GET ")], touched  # No write, no delete.


def test_a_refused_listing_of_a_gcs_output_folder_is_an_error_before_anything_is_removed(
    reports: dict[str, Any],
) -> None:
    """TensorFlow's isdir() answers False for a listing it is refused (403) or that fails
    (503), so the check of the folder's files listed nothing and passed: the folder's files
    were then removed (review41b). A refused listing is now a DownloadError naming the answer,
    from the check, before the index is built; so for --embed_output_dir, which said "No
    *.tfrecords files ... run generate first"."""
    for name, path in (
        ("list-refused", "gs://list403/x"),
        ("embed-list-refused", "gs://list403/emb"),
    ):
        report = _ended(reports, name)
        assert "DownloadError" in report["bases"], report
        assert path in report["message"] and "listing refused" in report["message"], report
    said = _ended(reports, "cli-list-refused")["said"]
    assert "gs://list403/cli" in said and "listing refused" in said, said
    writes = [r for r in reports["requests"] if not r.startswith("GET ") and "list403" in r]
    assert not writes, writes


def test_a_gcs_file_name_with_terminal_escapes_is_shown_escaped(reports: dict[str, Any]) -> None:
    """Whoever can write to the bucket names its files: the refusal printed the name's ESC and
    BEL bytes raw, which retitle and clear a terminal (review41b)."""
    said = _ended(reports, "escaped-name")["said"]
    assert "holds other files (a\\x1B]0;owned\\x07\\x1B[2Jb)" in said, said
    assert "\x1b" not in said and "\x07" not in said, said

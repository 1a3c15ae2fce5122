"""Probes (session 42): `generate` into a gs:// --embed_output_dir keeps the old embeddings
until the new ones are complete, and takes a `beam-temp-*` entry for Beam's only if it is.

`generate` emptied a remote embedding folder before Beam wrote into it, so a failed pipeline
left neither the old embeddings nor new ones. It now stages the run in a
`tfhub-staging-<32 hex>` sub-folder (one that a remote runner can write), and only once the
pipeline succeeded removes the folder's old files and moves the staged ones up; a failure
removes the staging folder and leaves the old files as they were.

Each scenario runs `embedding_generator.run` with a real Beam pipeline (the FnApiRunner) in a
child process whose TensorFlow talks to the GCS stand-in's "writable" bucket
(tests/_helpers/gcs_stand_in.py); Beam reaches gs:// through TensorFlow's file system there
(`BEAM_GS_FILESYSTEM`). The bucket's objects are set up and inspected here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    BEAM_GS_FILESYSTEM,
    REFUSE_COPY,
    WRITABLE,
    GcsStandIn,
    run_scenarios,
    serve_gcs,
)
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_nearest_neighbour_index import embedding_generator as generator
from tfhub.tools.make_nearest_neighbour_index import file_names

pytestmark = pytest.mark.tf

BOUND_SECONDS = 90.0  # A scenario still running then has hung (the child moves on).
ITEMS = nn.lines(12)
# Fixed names (test ids are made of them: pytest-xdist's workers must collect the same ones).
BEAM_TEMP = "beam-temp-emb-9d316e2cf0a811f1bd7102fc00000001"  # As Beam names it (a uuid1).
BEAM_FILE = "f159f15b-90f2-4846-8a30-2fbae8e3e574.emb.tfrecords"  # As Beam names a bundle's.
STAGING = "tfhub-staging-efff3043bd2e4d6090fb4d0d336b6d10"  # A staging folder a killed run left.
OLD_SHARDS = {f"emb-0000{i}-of-00003.tfrecords": b"old shard %d" % i for i in range(3)}
OLD_MATRIX = {"random_projection.matrix.npy": b"old npy", "random_projection.matrix": b"old"}

SCENARIO = (
    BEAM_GS_FILESYSTEM
    + """
from tfhub.tools.make_nearest_neighbour_index import embedding_generator

_create = TensorFlowGcsFileSystem.create

def create(self, path, *args, **kwargs):  # Ctrl-C while Beam writes into an "interrupted" folder.
    if "/interrupted/" in path:
        raise KeyboardInterrupt
    return _create(self, path, *args, **kwargs)

TensorFlowGcsFileSystem.create = create
_delete = TensorFlowGcsFileSystem.delete

def delete(self, paths):  # Beam's temporary folder left, as a runner may leave it.
    _delete(self, [path for path in paths if "/beam-leaves-temp/" not in path])

TensorFlowGcsFileSystem.delete = delete

def scenario(report, name, data, module, folder, projected):
    config = embedding_generator.GenerateConfig(
        data, module, folder, projected_dim=projected, upstream_format=bool(projected), seed=1
    )
    report["result"] = embedding_generator.run(config)
"""
)

# name -> (input ("good" or "latin1"), projected_dim, the folder's objects before the run)
PLAN: dict[str, tuple[str, int | None, dict[str, bytes]]] = {
    "failed": ("latin1", None, {**OLD_SHARDS, **OLD_MATRIX}),
    "interrupted": ("good", 4, {**OLD_SHARDS, **OLD_MATRIX}),
    "replaced": ("good", None, {**OLD_SHARDS, **OLD_MATRIX}),
    "projected": ("good", 4, {}),
    "leftovers": (
        "good",
        None,
        {
            "emb-00000-of-00001.tfrecords": b"old",
            f"{BEAM_TEMP}/{BEAM_FILE}": b"beam's bundle",
            f"{STAGING}/emb-00000-of-00001.tfrecords": b"staged by a killed run",
            f"{STAGING}/{BEAM_TEMP}/{BEAM_FILE}": b"beam's bundle in staging",
        },
    ),
    "beam-leaves-temp": ("good", None, dict(OLD_SHARDS)),
    REFUSE_COPY: ("good", None, dict(OLD_SHARDS)),  # The moves up are refused.
    "user-folder": ("good", None, {**OLD_SHARDS, "beam-temp-photos/cat.jpg": b"meow"}),
    "user-file-in-beam-temp": ("good", None, {**OLD_SHARDS, f"{BEAM_TEMP}/notes.txt": b"mine"}),
}


def _folder(name: str) -> str:
    return f"gs://{WRITABLE}/{name}"


def _objects(reports: dict[str, Any], name: str) -> dict[str, bytes]:
    """The objects below the scenario's folder after the runs, by path below it, with the
    markers of folders in it ("tfhub-staging-.../": an empty staging folder left is one); not
    its own marker."""
    prefix = f"{name}/"
    return {
        key[len(prefix) :]: bytes.fromhex(value)
        for key, value in reports["objects"].items()
        if key.startswith(prefix) and key != prefix
    }


@pytest.fixture(scope="module")
def gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsStandIn]:
    """The stand-in for GCS (tests/_helpers/gcs_stand_in.py)."""
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def reports(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the child reported for each scenario of PLAN, by name, its stderr, and the
    stand-in's objects (hex) and requests after the runs: computed once per test run, by the
    first pytest worker that asks (`computed_once`)."""
    return computed_once(
        tmp_path_factory,
        __name__,
        lambda: _run_plan(
            request.getfixturevalue("gcs"), request.getfixturevalue("text_module"), tmp_path_factory
        ),
    )


def _run_plan(
    gcs: GcsStandIn, text_module: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Runs PLAN in the child (`run_scenarios`); `reports`' result."""
    folder = tmp_path_factory.mktemp("lines")
    data = {
        "good": nn.write_lines(folder / "lines.txt", ITEMS),
        "latin1": os.fspath(folder / "latin1.txt"),
    }
    (folder / "latin1.txt").write_bytes("caf\xe9 au lait\nthe cat\n".encode("latin-1"))
    plan = []
    for name, (lines, projected, before) in PLAN.items():
        gcs.objects.update({f"{name}/{path}": value for path, value in before.items()})
        plan.append((name, data[lines], text_module, _folder(name), projected))
    found, stderr = run_scenarios(SCENARIO, plan, bound=BOUND_SECONDS, env=gcs.env())
    objects = {key: value.hex() for key, value in gcs.objects.items()}
    return {"reports": found, "stderr": stderr, "objects": objects, "requests": list(gcs.requests)}


def _report(reports: dict[str, Any], name: str) -> dict[str, Any]:
    report = reports["reports"][name]
    assert not report["hung"], report
    return report


def _read_records(records: bytes, tmp_path: Path) -> tuple[list[str], Any]:
    (tmp_path / "emb-00000-of-00001.tfrecords").write_bytes(records)
    return nn.read_records(os.fspath(tmp_path))


def test_a_failed_pipeline_leaves_the_old_remote_embeddings_as_they_were(
    reports: dict[str, Any],
) -> None:
    report = _report(reports, "failed")
    assert report.get("type") == "PipelineError", report
    assert "is not UTF-8 text" in report["message"], report
    assert _objects(reports, "failed") == {**OLD_SHARDS, **OLD_MATRIX}  # No staging folder left.


def test_an_interrupted_pipeline_leaves_the_old_remote_embeddings_as_they_were(
    reports: dict[str, Any],
) -> None:
    """Ctrl-C while Beam writes, after the new projection matrix was staged."""
    report = _report(reports, "interrupted")
    assert report.get("type") == "KeyboardInterrupt", report
    assert _objects(reports, "interrupted") == {**OLD_SHARDS, **OLD_MATRIX}


def test_a_successful_run_leaves_exactly_the_new_files_and_no_old_shard(
    reports: dict[str, Any], tmp_path: Path
) -> None:
    report = _report(reports, "replaced")
    assert report.get("result") == nn.DIM, report
    found = _objects(reports, "replaced")
    assert sorted(found) == ["emb-00000-of-00001.tfrecords", "embedding_module.json"], sorted(found)
    items, vectors = _read_records(found["emb-00000-of-00001.tfrecords"], tmp_path)
    assert sorted(items) == sorted(ITEMS) and vectors.shape == (len(ITEMS), nn.DIM)


def test_beam_writes_in_a_staging_folder_inside_the_remote_folder(reports: dict[str, Any]) -> None:
    """A remote runner must write Beam's output itself: the staging folder is remote too, and
    the folder's own files only ever arrive by a copy on the server, once Beam is done."""
    _report(reports, "replaced")
    uploads = [
        line for line in reports["requests"] if "uploadType=" in line and "name=replaced%2F" in line
    ]
    names = [line.split("name=replaced%2F", 1)[1].split("&")[0].split(" ")[0] for line in uploads]
    emb_uploads = [name for name in names if name.endswith(".tfrecords")]
    assert emb_uploads, uploads
    assert all(name.startswith(file_names.STAGING_PREFIX) for name in emb_uploads), uploads
    copies = [
        line for line in reports["requests"] if "/rewriteTo/b/writable/o/replaced%2Femb-" in line
    ]
    assert len(copies) == 1 and "%2Ftfhub-staging-" in copies[0], copies


def test_a_projection_matrix_is_written_into_a_remote_folder(reports: dict[str, Any]) -> None:
    """The matrix was saved with NumPy to the gs:// path as if it were a local one."""
    report = _report(reports, "projected")
    assert report.get("result") == 4, report
    assert sorted(_objects(reports, "projected")) == [
        "emb-00000-of-00001.tfrecords",
        "embedding_module.json",
        "random_projection.matrix",
        "random_projection.matrix.npy",
    ]
    assert _objects(reports, "projected")["random_projection.matrix.npy"].startswith(b"\x93NUMPY")


def test_a_beam_temporary_folder_left_in_the_staging_folder_is_not_moved_up(
    reports: dict[str, Any],
) -> None:
    report = _report(reports, "beam-leaves-temp")
    assert report.get("result") == nn.DIM, report
    assert sorted(_objects(reports, "beam-leaves-temp")) == [
        "emb-00000-of-00001.tfrecords",
        "embedding_module.json",
    ]


def test_a_refused_move_up_names_the_file_and_leaves_the_new_files_in_staging(
    reports: dict[str, Any], tmp_path: Path
) -> None:
    """What docs/tools.md says a failure between the removal and the last move leaves: none
    of the old files, and the new ones complete in the staging folder, named in a warning."""
    report = _report(reports, REFUSE_COPY)
    assert report.get("type") == "OutputNotWritableError", report
    folder = _folder(REFUSE_COPY)
    assert report["path"] == folder, report
    message = report["message"]
    assert f"Cannot write the embedding folder {folder}: its file emb-00000-of-00001" in message
    assert "copy refused" in message and "embed_output_dir=" in message, message
    found = _objects(reports, REFUSE_COPY)
    staged = [path for path in found if path.endswith(".tfrecords")]
    assert len(staged) == 1 and staged[0].startswith(file_names.STAGING_PREFIX), sorted(found)
    assert f"The new files are in {folder}/{staged[0].split('/')[0]}" in reports["stderr"]
    items, _ = _read_records(found[staged[0]], tmp_path)
    assert sorted(items) == sorted(ITEMS)


def test_leftovers_of_beam_and_of_a_killed_run_are_taken_and_removed(
    reports: dict[str, Any],
) -> None:
    report = _report(reports, "leftovers")
    assert report.get("result") == nn.DIM, report
    found = _objects(reports, "leftovers")
    assert sorted(found) == ["emb-00000-of-00001.tfrecords", "embedding_module.json"], sorted(found)
    assert found["emb-00000-of-00001.tfrecords"] not in (b"old", b"staged by a killed run")


@pytest.mark.parametrize(
    ("name", "other"),
    [("user-folder", "beam-temp-photos"), ("user-file-in-beam-temp", f"{BEAM_TEMP}/notes.txt")],
)
def test_a_remote_beam_temp_folder_that_is_not_beams_is_refused(
    reports: dict[str, Any], name: str, other: str
) -> None:
    report = _report(reports, name)
    assert report.get("type") == "OutputNotWritableError", report
    assert f"holds other files ({other})" in report["message"], report
    assert _objects(reports, name) == PLAN[name][2]


@pytest.mark.parametrize(
    ("inside", "other"),
    [
        ("beam-temp-photos/cat.jpg", "beam-temp-photos"),
        (f"{BEAM_TEMP}/notes.txt", f"{BEAM_TEMP}/notes.txt"),
        (f"{BEAM_TEMP}/{BEAM_FILE}/deeper.txt", f"{BEAM_TEMP}/{BEAM_FILE}"),  # A folder.
        (f"{STAGING}/photos/cat.jpg", f"{STAGING}/photos"),
        (f"tfhub-staging-1234/{BEAM_FILE}", "tfhub-staging-1234"),
        (f"{BEAM_TEMP}/photos.emb.tfrecords", f"{BEAM_TEMP}/photos.emb.tfrecords"),
        (f"{STAGING}/{STAGING}/emb-00000-of-00001.tfrecords", f"{STAGING}/{STAGING}"),
    ],
)
def test_a_local_beam_temp_folder_that_is_not_beams_is_refused(
    text_module: str, tmp_path: Path, inside: str, other: str
) -> None:
    out = tmp_path / "out"
    (out / inside).parent.mkdir(parents=True)
    (out / inside).write_bytes(b"mine")
    data = nn.write_lines(tmp_path / "lines.txt", ITEMS)
    with pytest.raises(errors.OutputNotWritableError, match="holds other files") as caught:
        generator.run(generator.GenerateConfig(data, text_module, os.fspath(out)))
    assert f"({other})" in str(caught.value)
    assert (out / inside).read_bytes() == b"mine"


def test_a_local_leftover_of_beam_is_taken_and_removed(text_module: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / BEAM_TEMP).mkdir(parents=True)
    (out / BEAM_TEMP / BEAM_FILE).write_bytes(b"beam's bundle")
    (out / "emb-00001-of-00002.tfrecords").write_bytes(b"old")
    data = nn.write_lines(tmp_path / "lines.txt", ITEMS)
    generator.run(generator.GenerateConfig(data, text_module, os.fspath(out)))
    assert sorted(os.listdir(out)) == ["emb-00000-of-00001.tfrecords", "embedding_module.json"]


def test_a_beam_temp_folder_of_a_file_system_that_marks_no_folder_is_looked_into() -> None:
    """TensorFlow's listing marks a folder with a slash on GCS only (not ram://, hdfs://)."""
    import tensorflow as tf

    from tfhub.tools.make_nearest_neighbour_index import files

    folder = f"ram://tfhub-probes42/{uuid.uuid4().hex}/emb"
    tf.io.gfile.makedirs(f"{folder}/{BEAM_TEMP}")
    for name in (f"{BEAM_TEMP}/{BEAM_FILE}", "emb-00000-of-00001.tfrecords"):
        with tf.io.gfile.GFile(f"{folder}/{name}", "wb") as handle:
            handle.write(b"x")
    files.check_output_folder(folder, flag="embed_output_dir")  # Beam's: taken.
    with tf.io.gfile.GFile(f"{folder}/{BEAM_TEMP}/notes.txt", "wb") as handle:
        handle.write(b"mine")
    with pytest.raises(errors.OutputNotWritableError, match="holds other files") as caught:
        files.check_output_folder(folder, flag="embed_output_dir")
    assert f"({BEAM_TEMP}/notes.txt)" in str(caught.value)

"""Probes (session 44): a TF1 module's export to gs:// (`hub.Module.export`, the exporter, its
checkpoint look-ups) ends in time, and leaves nothing half-written under the final name.

Every tf.io.gfile call of an export waited up to an hour per request on a GCS server that
trickles or pages on, then retried. A module exported to gs:// is now written into a local
folder (TensorFlow's Saver writes there), then uploaded in bounded requests into a hidden folder
beside the target and moved into place, its tfhub_module.pb last; the exporter's look-ups,
rename and garbage collection are bounded too (`gfile_io`, TFHUB_HTTP_TIMEOUT plus
TFHUB_HTTP_RETRY_TIMEOUT). A child process talks to the stand-in for GCS
(tests/_helpers/gcs_stand_in.py), one scenario per row.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    LISTING_PAGES,
    MARKER_APPEARS,
    MARKER_PAGES,
    OTHER_MARKER,
    RECURSIVE_PAGES,
    REFUSE_COPY,
    REFUSE_UPLOADS,
    REFUSED_VARIABLES_MOVES,
    ROWS_AT_ONCE,
    SHORT_TIMEOUTS,
    STALLED_LISTING,
    STALLED_VARIABLES_MOVES,
    TRICKLE_UPLOADS,
    WRITABLE,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)
from tests._helpers.mounts import tmpfs
from tests._helpers.tf1_export_child import export_helpers
from tests._helpers.upstream_records import UPSTREAM_DIR, record

BOUND_SECONDS = 20.0  # How long a scenario may run before the child reports it hung.
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
WITHIN = TIMEOUT + RETRY_TIMEOUT + 6  # What a timed-out scenario may take in all.
MODULE = "tf1_text_vocab"  # Upstream's TF1 Hub module with a vocabulary asset (tokens.txt).
BUCKET = f"gs://{WRITABLE}"
UPLOAD = ".tfhub-upload-"  # The hidden folder an upload goes to first.
OLD_EXPORTS = ("1000000001", "1000000002")  # Timestamped exports already in an export base.

# Each (name, target, sentences) row, in the child (`gcs_stand_in.run_scenarios`).
SCENARIO = f"""
import os, tempfile, types
import numpy as np
import tfhub as hub

{export_helpers(str(UPSTREAM_DIR / MODULE))}

def run_module(handle, sentences):
    with tf.Graph().as_default():
        module = hub.Module(handle)
        outputs = module({{"sentences": np.array(sentences, dtype=object)}}, as_dict=True)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.tables_initializer())  # Reads the vocabulary.
            return session.run(outputs)["default"].tolist()

def scenario(report, name, target, sentences):
    if name == "export-then-load":
        export_module(target)
        report["result"] = [run_module(target, sentences), run_module(LOCAL_MODULE, sentences)]
    elif name.startswith("export-"):
        export_module(target)
        report["result"] = "exported"
    elif name.startswith("exporter-"):
        exporter = hub.LatestModuleExporter("tf_hub", serving_input_fn, exports_to_keep=1)
        also = {REFUSE_COPY!r} if name == "exporter-second-refused" else None
        made = estimator(tempfile.mkdtemp(), also)
        report["result"] = os.fsdecode(exporter.export(made, target))
    elif name == "checkpoint-folder-pages":
        exporter = hub.LatestModuleExporter("tf_hub", serving_input_fn)
        exporter.export(estimator(tempfile.mkdtemp()), tempfile.mkdtemp(), target)
        report["result"] = "exported"
    elif name == "spec-checkpoint-pages":  # A gs:// checkpoint prefix for ModuleSpec.export.
        hub.create_module_spec(linear).export(tempfile.mkdtemp() + "/m", checkpoint_path=target)
        report["result"] = "exported"
    else:  # checkpoint-latest-pages: the latest checkpoint of a gs:// model_dir.
        exporter = hub.LatestModuleExporter("tf_hub", serving_input_fn)
        exporter.export(estimator(target), tempfile.mkdtemp())
        report["result"] = "exported"
"""

SCENARIOS = {
    "export-then-load": f"{BUCKET}/exports/vocab",
    "export-uploads-trickle": f"{BUCKET}/{TRICKLE_UPLOADS}/vocab",
    "export-uploads-refused": f"{BUCKET}/{REFUSE_UPLOADS}/vocab",
    "export-moves-refused": f"{BUCKET}/{REFUSE_COPY}",
    "exporter-uploads-trickle": f"{BUCKET}/{TRICKLE_UPLOADS}/base",
    "export-marker-pages": f"{BUCKET}/{MARKER_PAGES}/vocab",
    "export-marker-appears": f"{BUCKET}/{MARKER_APPEARS}/vocab",
    "export-marker-appears-beside": f"{BUCKET}/{MARKER_APPEARS}/other",
    "exporter-marker-appears": f"{BUCKET}/{MARKER_APPEARS}/base",
    "exporter-second-refused": f"{BUCKET}/second-refused",
    "exporter-variables-moves-stall": f"{BUCKET}/{STALLED_VARIABLES_MOVES}",
    "exporter-variables-moves-refused": f"{BUCKET}/{REFUSED_VARIABLES_MOVES}",
    "exporter-base-pages": f"{BUCKET}/{LISTING_PAGES}/variables",
    "exporter-keeps-newest": f"{BUCKET}/exports-base",
    "exporter-listing-stalls": f"{BUCKET}/{STALLED_LISTING}",
    "checkpoint-folder-pages": f"{BUCKET}/{LISTING_PAGES}/run/variables",
    "checkpoint-latest-pages": f"{BUCKET}/{RECURSIVE_PAGES}/run/variables",
    "spec-checkpoint-pages": f"{BUCKET}/{RECURSIVE_PAGES}/spec/variables/model.ckpt-1",
}


def _old_exports(base: str) -> dict[str, bytes]:
    """Two older timestamped exports (one module each) in the export base `base` (a folder of
    the working bucket)."""
    return {
        f"{base}/{stamp}/linear/{name}": data
        for stamp in OLD_EXPORTS
        for name, data in (("tfhub_module.pb", b"\x08\x03"), ("saved_model.pb", b"old"))
    }


# The files of another export B in MARKER_APPEARS/other, whose marker lands there just after
# the check of the export of "export-marker-appears-beside" (A).
OTHER_FILES = (
    "saved_model.pb",
    "variables/variables.index",
    "variables/variables.data-00000-of-00001",
    "assets/tokens.txt",
)


def _objects() -> dict[str, bytes]:
    """The working bucket's objects before the scenarios."""
    checkpoint_file = b'model_checkpoint_path: "model.ckpt-1"\n'
    return {
        **_old_exports("exports-base"),
        **_old_exports(STALLED_LISTING),
        f"{RECURSIVE_PAGES}/run/variables/checkpoint": checkpoint_file,
        **{f"{MARKER_APPEARS}/other/{name}": b"B's " + name.encode() for name in OTHER_FILES},
    }


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the child reported for each scenario, and the bucket's objects and the stand-in's
    requests afterwards: computed once per test run, by the first pytest worker that asks
    (`computed_once`)."""
    found = computed_once(tmp_path_factory, __name__, lambda: _run_plan(tmp_path_factory))
    objects = {name: bytes.fromhex(data) for name, data in found["objects"].items()}
    return {**found, "objects": objects}


def _run_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs SCENARIOS in the child (`run_scenarios`) against a stand-in; `reports`' result,
    the objects' bytes in hex."""
    run = next(run for run in record(MODULE)["runs"] if run["api"] == "hub.Module")
    sentences = run["inputs"]["sentences"]["value"]
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects.update(_objects())
        plan = [(name, target, sentences) for name, target in SCENARIOS.items()]
        cache = Path(tmp_path_factory.mktemp("cache"))
        env = gcs.short_env(TFHUB_CACHE_DIR=str(cache))
        found, stderr = run_scenarios(
            SCENARIO, plan, bound=BOUND_SECONDS, env=env, at_once=ROWS_AT_ONCE
        )
        return {
            "reports": found,
            "stderr": stderr,
            "objects": {name: data.hex() for name, data in gcs.objects.items()},
            "requests": list(gcs.requests),
        }


def _writes_into(reports: dict[str, Any], folder: str) -> list[tuple[str, str]]:
    """The stand-in's writes of objects below `folder`, in order: ("upload", name) or
    ("move", name) (a copy onto it, rewriteTo)."""
    writes = []
    for request in reports["requests"]:
        url = urllib.parse.urlsplit("https://" + request.split(" ", 1)[1])
        if request.startswith("GET") or request.startswith("DELETE"):
            continue
        if "/rewriteTo/" in url.path:
            name = urllib.parse.unquote(url.path.split("/rewriteTo/b/")[1].split("/o/", 1)[1])
            writes.append(("move", name))
        elif "name" in urllib.parse.parse_qs(url.query):
            writes.append(("upload", urllib.parse.parse_qs(url.query)["name"][0]))
    return [(kind, name) for kind, name in writes if name.startswith(f"{folder}/")]


def _names(reports: dict[str, Any], folder: str) -> list[str]:
    """The names of the bucket's objects below `folder` (relative to it), after the child."""
    return sorted(
        name.removeprefix(f"{folder}/") for name in reports["objects"] if name.startswith(folder)
    )


def _hidden(reports: dict[str, Any], folder: str) -> list[str]:
    """The names of the bucket's objects in hidden upload folders whose names hold `folder`."""
    return [name for name in reports["objects"] if folder in name and UPLOAD in name]


def _succeeded(reports: dict[str, Any], name: str) -> Any:
    report = reports["reports"][name]
    assert not report["hung"] and "type" not in report, report
    return report["result"]


def _timed_out(reports: dict[str, Any], name: str, path: str) -> str:
    report = ended(reports["reports"], name, reports["stderr"], within=WITHIN)
    return timed_out(
        report, path, bases=("RetryTimeoutError", "DownloadError"), settings=SHORT_TIMEOUTS
    )


@pytest.mark.tf
def test_module_exported_to_gcs_loads_back_from_there_with_its_vocabulary(
    reports: dict[str, Any],
) -> None:
    from_gcs, local = _succeeded(reports, "export-then-load")
    assert from_gcs == local
    names = _names(reports, "exports/vocab")
    for name in ("tfhub_module.pb", "saved_model.pb", "assets/tokens.txt"):
        assert name in names, names
    assert any(name.startswith("variables/variables.data-") for name in names), names
    # The hidden folder the upload went to first is empty (moved into place).
    assert not _hidden(reports, "exports/")
    # Nothing was uploaded under the final name: each file was moved there once uploaded
    # beside it, tfhub_module.pb last (before, TensorFlow's Saver wrote there directly).
    writes = _writes_into(reports, "exports/vocab")
    assert writes and {kind for kind, _ in writes} == {"move"}, writes
    assert writes[-1] == ("move", "exports/vocab/tfhub_module.pb"), writes


@pytest.mark.tf
def test_module_export_whose_uploads_trickle_ends_in_a_timeout_and_leaves_no_export(
    reports: dict[str, Any],
) -> None:
    # Its first upload (a file of the module) was answered a byte every 0.2 s, forever.
    message = _timed_out(reports, "export-uploads-trickle", f"{BUCKET}/{TRICKLE_UPLOADS}/")
    assert "whether it wrote the copy" in message, message
    assert _names(reports, f"{TRICKLE_UPLOADS}/vocab") == []  # Nothing under the final name.
    # No clean-up request after the timeout: the warning names the hidden folder left.
    assert f"stays in {BUCKET}/{TRICKLE_UPLOADS}/.tfhub-upload-" in reports["stderr"]


@pytest.mark.tf
def test_module_export_whose_uploads_are_refused_raises_an_export_write_error_quoting_gcs(
    reports: dict[str, Any],
) -> None:
    report = reports["reports"]["export-uploads-refused"]
    # A gs:// export's error is also the TensorFlow error upstream raised (session 57).
    assert not report["hung"] and report["type"] == "ExportPermissionDeniedError", report
    assert "ExportWriteError" in report["bases"], report
    assert "OSError" in report["bases"] and "ExportError" in report["bases"], report
    target = SCENARIOS["export-uploads-refused"]
    assert report["path"] == target, report
    assert "upload refused" in report["message"], report  # The server's words.
    assert report["cause"] == "PermissionDeniedError", report
    assert _names(reports, f"{REFUSE_UPLOADS}/vocab") == []


@pytest.mark.tf
def test_module_export_whose_moves_into_place_are_refused_removes_what_it_moved(
    reports: dict[str, Any],
) -> None:
    # The stand-in refuses a copy (so a move) into the folder itself, not into its assets/:
    # assets/tokens.txt was moved into place, then saved_model.pb's move was refused.
    report = reports["reports"]["export-moves-refused"]
    assert not report["hung"] and report["type"] == "ExportPermissionDeniedError", report
    assert "ExportWriteError" in report["bases"], report
    assert "copy refused" in report["message"], report
    assert ("move", f"{REFUSE_COPY}/assets/tokens.txt") in _writes_into(reports, REFUSE_COPY)
    assert _names(reports, REFUSE_COPY) == []  # Removed again: no half export under its name.
    assert not _hidden(reports, REFUSE_COPY)


@pytest.mark.tf
def test_exporter_whose_uploads_trickle_ends_in_a_timeout_naming_the_export_folder_left(
    reports: dict[str, Any],
) -> None:
    base = SCENARIOS["exporter-uploads-trickle"]
    _timed_out(reports, "exporter-uploads-trickle", f"{base}/")
    assert _names(reports, f"{TRICKLE_UPLOADS}/base") == []  # No timestamped export.
    # No more requests after the timeout: the warning says what stays behind (on gs://, the
    # module is uploaded straight into <base>/<seconds>/<name>, with no temp- folder).
    left = re.search(rf"stays in {re.escape(base)}/\d{{10}} \(its requests", reports["stderr"])
    assert left, reports["stderr"]


@pytest.mark.tf
def test_module_export_whose_marker_check_pages_on_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # Whether the folder holds a module already: a missing tfhub_module.pb is a listing.
    marker = f"{SCENARIOS['export-marker-pages']}/tfhub_module.pb"
    message = _timed_out(reports, "export-marker-pages", marker)
    assert "whether it exists" in message, message


@pytest.mark.tf
def test_module_export_beside_another_that_wrote_its_marker_meanwhile_leaves_that_module(
    reports: dict[str, Any],
) -> None:
    # Another export's tfhub_module.pb appeared after the check that the folder holds none:
    # the last move (the marker, never overwriting) is refused; the files moved before it
    # stay (they may have replaced the other export's), only the hidden copies are removed.
    report = reports["reports"]["export-marker-appears"]
    assert not report["hung"] and report["type"] == "ModuleExistsError", report
    assert "AlreadyExistsError" in report["bases"] and "ExportError" in report["bases"], report
    assert "tfhub_module.pb" in _names(reports, f"{MARKER_APPEARS}/vocab")
    assert reports["objects"][f"{MARKER_APPEARS}/vocab/tfhub_module.pb"] == OTHER_MARKER
    assert not _hidden(reports, f"{MARKER_APPEARS}/")


@pytest.mark.tf
def test_module_export_beside_another_that_wrote_its_marker_meanwhile_removes_none_of_its_files(
    reports: dict[str, Any],
) -> None:
    # Another export B wrote its files, and its marker just after this export's check: this
    # export's moves replaced B's files, then its marker's move was refused. It removed them
    # (B was left a marker without files); now none is removed, as upstream (writing in
    # place) overwrote and never deleted.
    report = reports["reports"]["export-marker-appears-beside"]
    assert not report["hung"] and report["type"] == "ModuleExistsError", report
    names = _names(reports, f"{MARKER_APPEARS}/other")
    for name in (*OTHER_FILES, "tfhub_module.pb"):
        assert name in names, names
    assert reports["objects"][f"{MARKER_APPEARS}/other/tfhub_module.pb"] == OTHER_MARKER


@pytest.mark.tf
def test_exporter_whose_timestamped_folder_check_pages_on_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # Whether `<base>/<seconds>` is free: a missing folder is a listing, which pages on here.
    base = SCENARIOS["exporter-base-pages"]
    message = _timed_out(reports, "exporter-base-pages", f"{base}/")
    assert "whether it exists" in message, message
    assert _names(reports, f"{LISTING_PAGES}/variables") == []


@pytest.mark.tf
def test_exporter_to_gcs_writes_a_timestamped_module_and_removes_older_exports(
    reports: dict[str, Any],
) -> None:
    export_dir = _succeeded(reports, "exporter-keeps-newest")
    stamp = export_dir.removeprefix(f"{SCENARIOS['exporter-keeps-newest']}/")
    assert len(stamp) == 10 and stamp.isdigit(), export_dir
    names = _names(reports, "exports-base")
    assert f"{stamp}/linear/tfhub_module.pb" in names, names
    assert f"{stamp}/linear/saved_model.pb" in names, names
    # exports_to_keep=1: the older ones are gone, and so is the temp- folder.
    assert all(name.startswith(f"{stamp}/") for name in names), names
    # Each file was uploaded into the hidden folder beside the module's, none in place, and
    # moved straight into <seconds>/linear, its marker last: no temp- folder renamed file by
    # file (TensorFlow's folder rename on GCS moved the marker before the variables).
    writes = _writes_into(reports, "exports-base")
    uploads = [name for kind, name in writes if kind == "upload"]
    assert uploads and all(f"/{UPLOAD}" in name for name in uploads), uploads
    assert not [name for _, name in writes if name.startswith("exports-base/temp-")], writes
    moves = [name for kind, name in writes if kind == "move"]
    assert moves[-1] == f"exports-base/{stamp}/linear/tfhub_module.pb", moves


@pytest.mark.tf
def test_exporter_whose_garbage_collection_listing_stalls_ends_in_a_timeout_keeping_exports(
    reports: dict[str, Any],
) -> None:
    base = SCENARIOS["exporter-listing-stalls"]
    message = _timed_out(reports, "exporter-listing-stalls", base)
    assert "what it holds" in message, message  # The listing of the export base.
    names = _names(reports, STALLED_LISTING)
    for old in _old_exports(STALLED_LISTING):  # None removed by the failed collection.
        assert old.removeprefix(f"{STALLED_LISTING}/") in names, names
    new = [name for name in names if not name.startswith(OLD_EXPORTS)]
    assert any(name.endswith("/linear/tfhub_module.pb") for name in new), names
    assert not [name for name in new if name.startswith("temp-")], names


@pytest.mark.tf
def test_exporter_whose_checkpoint_folder_listing_pages_on_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # checkpoint_path names a gs:// folder: asking whether it is one lists it.
    path = SCENARIOS["checkpoint-folder-pages"]
    message = _timed_out(reports, "checkpoint-folder-pages", path)
    assert "whether it is a folder" in message, message


@pytest.mark.tf
def test_exporter_whose_model_dir_checkpoint_lookup_pages_on_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # model_dir's `checkpoint` file names model.ckpt-1, whose files' lookup pages on.
    path = SCENARIOS["checkpoint-latest-pages"]
    message = _timed_out(reports, "checkpoint-latest-pages", path)
    assert "which checkpoint is its latest" in message, message


def test_spec_export_from_a_gcs_checkpoint_whose_lookup_pages_on_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    # Whether the prefix is a checkpoint: TensorFlow's lookup of its files lists the bucket
    # recursively, page after page (tf.train.load_checkpoint held the GIL there, unbounded).
    path = SCENARIOS["spec-checkpoint-pages"]
    message = _timed_out(reports, "spec-checkpoint-pages", path)
    assert "which files its checkpoint has" in message, message


@pytest.mark.tf
def test_exporter_whose_variables_move_stalls_ends_in_a_timeout_leaving_no_marker(
    reports: dict[str, Any],
) -> None:
    # The move of a checkpoint file into <base>/<seconds>/linear/variables/ trickles. The
    # rename of temp-<seconds> moved saved_model.pb and tfhub_module.pb there first: a half
    # module that loads as one. Now the module's marker is moved last.
    base = SCENARIOS["exporter-variables-moves-stall"]
    _timed_out(reports, "exporter-variables-moves-stall", f"{base}/")
    names = _names(reports, STALLED_VARIABLES_MOVES)
    assert not [name for name in names if name.endswith("/linear/tfhub_module.pb")], names
    assert not [name for name in names if name.startswith("temp-")], names
    # The warnings name the export folder, and the files already moved into the module's.
    assert re.search(rf"stays in {re.escape(base)}/\d{{10}} \(its", reports["stderr"])
    moved = re.search(
        rf"files it moved already stay in {re.escape(base)}/\d{{10}}/linear without",
        reports["stderr"],
    )
    assert moved, reports["stderr"]


@pytest.mark.tf
def test_exporter_whose_variables_move_is_refused_removes_what_it_wrote(
    reports: dict[str, Any],
) -> None:
    # The rename of temp-<seconds> left <seconds>/linear with saved_model.pb and its marker.
    report = reports["reports"]["exporter-variables-moves-refused"]
    assert not report["hung"] and report["type"] == "ExportPermissionDeniedError", report
    assert "ExportWriteError" in report["bases"], report
    assert report["path"] == SCENARIOS["exporter-variables-moves-refused"], report
    assert "copy refused" in report["message"], report
    assert _names(reports, REFUSED_VARIABLES_MOVES) == []


@pytest.mark.tf
def test_exporter_whose_module_marker_appears_meanwhile_keeps_that_module(
    reports: dict[str, Any],
) -> None:
    # Another export's tfhub_module.pb appeared in <base>/<seconds>/linear after the check:
    # that module folder is not this export's to remove (its marker stays).
    report = reports["reports"]["exporter-marker-appears"]
    assert not report["hung"] and report["type"] == "ModuleExistsError", report
    markers = [
        name
        for name in _names(reports, f"{MARKER_APPEARS}/base")
        if name.endswith("/linear/tfhub_module.pb")
    ]
    assert len(markers) == 1, markers
    assert reports["objects"][f"{MARKER_APPEARS}/base/{markers[0]}"] == OTHER_MARKER


@pytest.mark.tf
def test_exporter_whose_second_module_is_refused_removes_the_first_module_too(
    reports: dict[str, Any],
) -> None:
    # The second module's moves into <seconds>/refuse-copy-into are refused (403) after the
    # first, <seconds>/linear, was in place with its marker: both are removed, as the temp-
    # folder with both was.
    report = reports["reports"]["exporter-second-refused"]
    assert not report["hung"] and report["type"] == "ExportPermissionDeniedError", report
    assert "ExportWriteError" in report["bases"], report
    assert "copy refused" in report["message"], report
    moves = [name for kind, name in _writes_into(reports, "second-refused") if kind == "move"]
    assert any(name.endswith("/linear/tfhub_module.pb") for name in moves), moves
    assert _names(reports, "second-refused") == []


# A full TMPDIR (a tmpfs of `size`) while the 22 KB module is written there (8k; the
# exporter's 20k holds its checkpoint), or while TensorFlow's GCS client copies a file into it
# again to upload it (28k): (scenario, size, what the message says besides TMPDIR). The
# row where TensorFlow's client writes its copy comes first: no other TMPDIR was seen before.
TMPDIR_FULL = {
    "export-upload-copy": ("export-tmpdir-full", "28k", "GCS client could not write its copy"),
    "export-local-copy": ("export-tmpdir-full", "8k", "where it is written before its upload"),
    "exporter-local-copy": ("exporter-tmpdir-full", "20k", "where it is written before its"),
}


# Each TMPDIR_FULL row in one child (a fresh one each cost a TensorFlow import more), one row
# at a time, each with TMPDIR set to its own tmpfs before it runs (tfhub reads TMPDIR at call
# time, TensorFlow's GCS client when it makes its copy) and the scenario's name as its field.
TMPDIR_SCENARIO = (
    SCENARIO.replace("def scenario(report, name,", "def _scenario(report, name,")
    + """
import tempfile

def scenario(report, row, name, target, tmpdir):
    os.environ["TMPDIR"] = tmpdir
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again.
    _scenario(report, name, target, [])
"""
)


@pytest.fixture(scope="module")
def tmpdir_full_reports(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, tuple[dict[str, Any], Path]], dict[str, bytes]]]:
    """Each TMPDIR_FULL row's report and TMPDIR (a tmpfs of its size), and the bucket's objects
    after them all."""
    with contextlib.ExitStack() as stack:
        gcs = stack.enter_context(serve_gcs(tmp_path_factory.mktemp("gcs-tls")))
        mounts = {
            row: stack.enter_context(tmpfs(tmp_path_factory.mktemp("tmpdir"), f"size={size}"))
            for row, (_, size, _) in TMPDIR_FULL.items()
        }
        cache = tmp_path_factory.mktemp("cache")
        env = gcs.short_env(TFHUB_CACHE_DIR=str(cache))
        plan = [
            (row, TMPDIR_FULL[row][0], f"{BUCKET}/full/{row}", str(mounts[row]))
            for row in TMPDIR_FULL
        ]
        found, _ = run_scenarios(TMPDIR_SCENARIO, plan, bound=BOUND_SECONDS, env=env)
        yield {row: (found[row], mounts[row]) for row in TMPDIR_FULL}, dict(gcs.objects)


@pytest.mark.tf
@pytest.mark.parametrize("row", TMPDIR_FULL)
def test_export_to_gcs_with_a_full_tmpdir_says_to_free_space_in_tmpdir(
    tmpdir_full_reports: tuple[dict[str, tuple[dict[str, Any], Path]], dict[str, bytes]], row: str
) -> None:
    # It said "Free space on its disk" (read as the gs:// folder's) for the module's local
    # copy, and "Choose a folder you can write, or fix its permissions" for TensorFlow's.
    _, _, says = TMPDIR_FULL[row]
    target = f"{BUCKET}/full/{row}"
    reports, objects = tmpdir_full_reports
    report, mount = reports[row]
    assert not report["hung"] and report["type"] == "ExportTmpdirFullError", report
    assert "ExportWriteError" in report["bases"], report
    assert report["path"] == target, report
    assert says in report["message"], report
    assert "(TMPDIR)" in report["message"], report
    assert f"Free space in TMPDIR ({mount}), or set TMPDIR to a folder" in report["message"]
    assert "Free space on its disk" not in report["message"], report
    # Nothing is left in the bucket's folder of the three rows' targets (each had its own).
    assert not [name for name in objects if name.startswith("full/")], objects

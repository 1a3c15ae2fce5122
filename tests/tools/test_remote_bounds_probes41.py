"""Probes (session 41): the nearest-neighbour tool's reads of gs:// folders end in time.

`build` lists its --embed_output_dir and `query` reads the index's files through TensorFlow's
file system, which follows a GCS listing's nextPageToken for as long as the server offers one
and reads a trickling object for as long as bytes arrive. Each such read now gets
TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (as a gs:// handle's check does), then a
RetryTimeoutError naming the path. A child process (TensorFlow reads the stand-in's settings
when it first reads a gs:// path) runs each scenario in a thread, through the Python API and
the command line, and reports what it raised and how long it took.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    SHORT_TIMEOUTS,
    GcsStandIn,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)
from tests._helpers.python_process import run_python

pytestmark = pytest.mark.tf

BOUND_SECONDS = 15.0  # A scenario still running then has hung (the child moves on).
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
LIMIT = TIMEOUT + RETRY_TIMEOUT
SLACK = 4.0  # The seconds a scenario may take beyond LIMIT (TensorFlow's start, a module load).

# Each (name, kind, where, out, module) row, in the child (`gcs_stand_in.run_scenarios`).
SCENARIO = """
from tfhub.tools.make_nearest_neighbour_index import cli, index_builder, similarity_finder

def scenario(report, name, kind, where, out, module):
    if kind == "build":
        config = index_builder.BuildConfig(where, out, library="annoy")
        report["result"] = repr(index_builder.run(config))
    elif kind == "query":
        found = similarity_finder.SimilarityFinder(module, index_dir=where)
        report["result"] = repr(found.find_matches("a cat"))
    else:
        said = io.StringIO()
        with contextlib.redirect_stderr(said):
            report["rc"] = cli.main(kind.split("-", 1)[1:] + where.split())
        report["said"] = said.getvalue()
"""


@pytest.fixture(scope="module")
def gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsStandIn]:
    """The stand-in for GCS (tests/_helpers/gcs_stand_in.py)."""
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def reports(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the child reported for each scenario, by name (and its stderr): computed once per
    test run, by the first pytest worker that asks (`computed_once`)."""
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
    """Runs the plan in the child (`run_scenarios`); `reports`' result."""
    out = tmp_path_factory.mktemp("nn-out")
    plan = [
        ("build", "build", "gs://pages-forever/emb", str(out / "api")),
        ("query", "query", "gs://stalls/index", ""),
        (
            "cli-build",
            "cli-build",
            f"--embed_output_dir=gs://pages-forever/emb-cli --index_output_dir={out / 'cli'} "
            "--index_library=annoy",
            "",
        ),
        (
            "cli-query",
            "cli-query",
            f"--module_url={text_module} --index_output_dir=gs://stalls/index-cli --query=cat",
            "",
        ),
    ]
    env = gcs.short_env()
    rows = [(*row, text_module) for row in plan]
    # Two children (build and cli-build; query and cli-query): a cli row redirects sys.stderr,
    # so rows of one child run one after the other; the children's timeouts overlap.
    found, stderr = run_scenarios(SCENARIO, rows, bound=BOUND_SECONDS, env=env, processes=2)
    return {"reports": found, "stderr": stderr, "requests": list(gcs.requests)}


def _ended(reports: dict[str, Any], name: str) -> dict[str, Any]:
    """The scenario's report, checked to have ended within LIMIT (plus SLACK), in an error."""
    return ended(reports["reports"], name, reports["stderr"], within=LIMIT + SLACK)


def _timed_out(reports: dict[str, Any], name: str, path: str) -> str:
    """The message of the scenario's RetryTimeoutError, which names `path` (checked)."""
    bases = ("RetryTimeoutError", "DownloadError")
    return timed_out(_ended(reports, name), path, bases=bases, settings=(TIMEOUT, RETRY_TIMEOUT))


def test_build_from_a_gcs_folder_whose_listing_pages_forever_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    _timed_out(reports, "build", "gs://pages-forever/emb")
    pages = [r for r in reports["requests"] if "/b/pages-forever/o?" in r and "pageToken" in r]
    assert len(pages) > 3, reports["requests"]  # It did page.


def test_query_of_a_gcs_index_whose_read_never_ends_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    message = _timed_out(reports, "query", "gs://stalls/index/")
    assert "did not say" in message, message
    reads = [r for r in reports["requests"] if r.startswith("GET storage.") and "/stalls/" in r]
    assert reads, reports["requests"]  # The object's read started (and trickled on).


@pytest.mark.parametrize(
    ("name", "path"),
    [("cli-build", "gs://pages-forever/emb-cli"), ("cli-query", "gs://stalls/index-cli/")],
)
def test_the_command_line_says_the_timeout_on_one_line(
    reports: dict[str, Any], name: str, path: str
) -> None:
    report = _ended(reports, name)
    assert report["rc"] == 4, report  # A download's failure, as docs/tools.md says.
    said = report["said"]
    assert path in said and "TFHUB_HTTP_RETRY_TIMEOUT" in said, said
    assert "Traceback" not in said, said


# The steps of a remote read, and local paths (read directly), in this process.


def test_a_remote_file_bigger_than_a_step_is_read_whole_in_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tf = pytest.importorskip("tensorflow")
    from tfhub.tools.make_nearest_neighbour_index import storage

    assert storage.READ_STEP == 16 << 20  # What docs/tools.md and docs/resolving.md say.
    data = bytes(range(256)) * 3 + b"end"  # 771 bytes: 110 steps of 7, the last of 1.
    path = "ram://tfhub-probes41/steps/ann.index"
    with tf.io.gfile.GFile(path, "wb") as out:
        out.write(data)
    monkeypatch.setattr(storage, "READ_STEP", 7)
    read: list[bytes] = []
    thread = threading.Thread(target=lambda: read.append(storage.read_bytes(path)), daemon=True)
    thread.start()
    thread.join(20)  # A step that does not move on reads for ever.
    assert not thread.is_alive(), "the read did not end"
    assert read == [data]


def test_local_paths_are_read_directly(tmp_path: Path) -> None:
    # No thread, no deadline module, no TensorFlow for a local path (only gs:// needs them).
    (tmp_path / "emb").mkdir()
    (tmp_path / "emb" / "a.tfrecords").write_bytes(b"records")
    code = """
        import sys, threading
        from tfhub.tools.make_nearest_neighbour_index import storage
        folder = sys.argv[1]
        assert storage.exists(folder + "/emb/a.tfrecords")
        assert storage.list_names(folder + "/emb") == ["a.tfrecords"]
        assert storage.read_bytes(folder + "/emb/a.tfrecords") == b"records"
        assert threading.active_count() == 1, threading.enumerate()
        loaded = [name for name in ("tensorflow", "tfhub._http_deadline") if name in sys.modules]
        assert not loaded, loaded
        """
    run_python(code, str(tmp_path))

"""Probes (session 42): `tfhub mirror` of a gs:// model folder against a hostile GCS.

The folder was copied with tf.io.gfile's walk, stat and copy: an object that trickles bytes
held the mirror for hours (TensorFlow allows a read an hour, then retries), and a failing or
refusing server let TensorFlow's bare OpError out. It is now listed and read through
`resolvers.gcs` (each call bounded by TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT, its
failures tfhub's errors). A child process talks to the stand-in for GCS
(tests/_helpers/gcs_stand_in.py), one scenario per row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    RECORDS_NAME,
    ROWS_AT_ONCE,
    SHORT_TIMEOUTS,
    WRITABLE,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)

BOUND_SECONDS = 20.0  # How long a scenario may run before the child reports it hung.
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
WITHIN = TIMEOUT + RETRY_TIMEOUT + 4  # What a timed-out scenario may take in all.

# Each (name, source, hub root) row, in the child (`gcs_stand_in.run_scenarios`).
SCENARIO = """
from tfhub.hub import mirror

def scenario(report, name, source, root):
    report["result"] = repr(mirror.mirror(source, root, as_handle="acme/m/1"))
"""

SCENARIOS = {
    "trickles": "gs://records-trickle/model",
    "not-a-model": "gs://holds-others/model",
    "escapes-the-copy": f"gs://{WRITABLE}/dotdot/model",
}
# GCS allows any object name: TensorFlow's walk of dotdot/model follows the "folders" `..`.
ESCAPING_NAME = "dotdot/model/../../escaped/PWNED.txt"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the child reported for each scenario, with the hub folders it used: computed once
    per test run, by the first pytest worker that asks (`computed_once`)."""
    return computed_once(tmp_path_factory, __name__, lambda: _run_plan(tmp_path_factory))


def _run_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs SCENARIOS in the child (`run_scenarios`) against a stand-in; `reports`' result."""
    root = tmp_path_factory.mktemp("hubs")
    tmpdir = tmp_path_factory.mktemp("outside") / "tmp"  # The copy's escape lands in outside/.
    tmpdir.mkdir()
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects.update({"dotdot/model/saved_model.pb": b"\x08\x01", ESCAPING_NAME: b"owned"})
        plan = [(name, source, f"{root}/{name}") for name, source in SCENARIOS.items()]
        env = gcs.short_env(TMPDIR=str(tmpdir))
        found, stderr = run_scenarios(
            SCENARIO, plan, bound=BOUND_SECONDS, env=env, at_once=ROWS_AT_ONCE
        )
        return {"reports": found, "stderr": stderr, "root": str(root), "tmpdir": str(tmpdir)}


def _hub_files(reports: dict[str, Any], name: str) -> list[str]:
    """The files a scenario left in its hub folder."""
    hub = Path(reports["root"], name)
    return sorted(str(p.relative_to(hub)) for p in hub.rglob("*") if p.is_file())


@pytest.mark.tf
def test_mirroring_a_gcs_folder_whose_file_trickles_ends_in_a_timeout_error(
    reports: dict[str, Any],
) -> None:
    report = ended(reports["reports"], "trickles", reports["stderr"], within=WITHIN)
    message = timed_out(
        report,
        f"gs://records-trickle/model/{RECORDS_NAME}",
        bases=("RetryTimeoutError", "DownloadError"),
        settings=(TIMEOUT, RETRY_TIMEOUT),
    )
    assert "from byte 0" in message, message
    assert _hub_files(reports, "trickles") == []


@pytest.mark.tf
def test_a_gcs_folder_that_is_no_model_is_refused_naming_it_not_the_local_copy(
    reports: dict[str, Any],
) -> None:
    # Its listing names files the stand-in's metadata does not know (TensorFlow's stat raised
    # its bare NotFoundError); read, they are no model. The copy is gone once the error is read.
    report = ended(reports["reports"], "not-a-model", reports["stderr"], within=WITHIN)
    assert report["type"] == "NotAModelError" and report["module"] == "tfhub.errors", report
    assert report["path"] == "gs://holds-others/model", report
    assert "gs://holds-others/model holds no saved_model.pb" in report["message"], report
    assert "tfhub-mirror-" not in report["message"], report
    assert _hub_files(reports, "not-a-model") == []


# A child whose files may not pass 64 KiB (RLIMIT_FSIZE: a full TMPDIR, as the copy sees it)
# mirrors a ram:// folder (TensorFlow's in-memory file system, read as gs:// is) holding more.
_TMPDIR_FULL_CHILD = """
import json, resource, signal, sys
import tensorflow as tf
from tfhub.hub import mirror

source = "ram://tfhub-mirror-probes42/model"
with tf.io.gfile.GFile(source + "/saved_model.pb", "wb") as out:
    out.write(b"\\0" * (256 << 10))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # A write past the limit fails with EFBIG.
resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    mirror.mirror(source, sys.argv[1], as_handle="acme/m/1")
except BaseException as err:
    print(json.dumps({"type": type(err).__name__, "bases": [c.__name__ for c in type(err).__mro__],
                      "message": str(err), "path": getattr(err, "path", None)}))
"""


@pytest.mark.tf
def test_a_tmpdir_that_does_not_take_the_copy_is_a_publish_write_error_naming_it(
    tmp_path: Path,
) -> None:
    import json
    import os

    from tests._helpers.python_process import child_env
    from tests._helpers.warm_python import run_warm_python

    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = child_env(TMPDIR=str(tmpdir))  # A process of its own: the limit is its alone.
    done = run_warm_python(_TMPDIR_FULL_CHILD, str(tmp_path / "hub"), env=env, timeout=180)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-3000:]
    report = json.loads(lines[-1])
    assert report["type"] == "PublishWriteError", report
    assert {"TFHubError", "OSError"} <= set(report["bases"]), report
    message = report["message"]
    assert "ram://tfhub-mirror-probes42/model" in message and "TMPDIR" in message, message
    assert report["path"].startswith(str(tmpdir)), report
    assert os.listdir(tmpdir) == []  # The copy was removed.
    assert not (tmp_path / "hub").exists()


@pytest.mark.tf
def test_an_object_whose_name_leaves_the_folder_is_refused_and_never_written_outside(
    reports: dict[str, Any],
) -> None:
    # The copy's folder is TMPDIR/tfhub-mirror-*: `../../escaped/PWNED.txt` below the model
    # folder was written to TMPDIR/../escaped/PWNED.txt.
    report = ended(reports["reports"], "escapes-the-copy", reports["stderr"], within=WITHIN)
    assert report["type"] == "NotAModelError", report
    assert report["path"] == f"gs://{WRITABLE}/{ESCAPING_NAME}", report
    assert "outside the folder" in report["message"], report
    outside = Path(reports["tmpdir"]).parent
    assert sorted(p.name for p in outside.rglob("*")) == ["tmp"], list(outside.rglob("*"))
    assert _hub_files(reports, "escapes-the-copy") == []

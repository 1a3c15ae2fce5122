"""A TF1 module's export to gs:// whose request ends with any TensorFlow error is also that
TensorFlow class (session 57, fix57l): 0.10.0 let every such error through, so `except
tf.errors.OpError` must keep catching it. fix57c did a 403, a 404 and a full TMPDIR; ABORTED
(TensorFlow's GCS client after its retries of a 5xx), FAILED_PRECONDITION (a 412),
INVALID_ARGUMENT (a 400), ... stayed a plain ExportWriteError. Three end to end against the
suite's stand-in for GCS (tests/_helpers/gcs_stand_in.py), every code by a table in-process.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._helpers import gcs_stand_in
from tests._helpers.gcs_stand_in import WRITABLE, run_scenarios, serve_gcs
from tests.test_gcs_export_errors_fix57c import SCENARIO

BOUND_SECONDS = 20.0  # How long a scenario may run before the child reports it hung.
BUCKET = f"gs://{WRITABLE}"
# A folder of WRITABLE whose files' uploads are answered this status (folder -> status, body).
ANSWERS = {
    "answer-503-57l": (503, "backend unavailable"),  # Retried once (`env`), then ABORTED.
    "answer-412-57l": (412, "precondition failed"),
    "answer-400-57l": (400, "bad request"),
}
# (name, target, TMPDIR size or "") as SCENARIO takes them; the TensorFlow class each meets.
ROWS = (
    ("export-503", f"{BUCKET}/answer-503-57l/vocab", "", "AbortedError"),
    ("export-412", f"{BUCKET}/answer-412-57l/vocab", "", "FailedPreconditionError"),
    ("exporter-400", f"{BUCKET}/answer-400-57l/base", "", "InvalidArgumentError"),
)


class _Answering(gcs_stand_in._Gcs):
    """The stand-in, whose WRITABLE folders of ANSWERS answer a file's upload their status
    (its resumable session is opened; its PUT, and the status TensorFlow asks after a
    failed one, are answered the status; the others answer as the stand-in's do)."""

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        name = urllib.parse.parse_qs(url.query).get("name", [""])[0]
        folders = name.split("/")[:-1]
        found = [ANSWERS[folder] for folder in folders if folder in ANSWERS]
        length = int(self.headers.get("Content-Length") or 0)
        # A simple upload's POST of a file, a resumable upload's PUT (of it, or of its status).
        upload = self.command == "PUT" or (self.command == "POST" and length > 0)
        if found and upload and "rewriteTo" not in url.path:
            self.requests.append(f"{self.command} {self.headers.get('Host', '')}{self.path}")
            self.rfile.read(length)
            status, message = found[0]
            body = {"error": {"code": status, "message": message}}
            self.answer(status, json.dumps(body).encode())
            return
        super().do_POST()

    do_PUT = do_DELETE = do_PATCH = do_POST


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[gcs_stand_in.GcsStandIn]:
    """`serve_gcs` with `_Answering` as its handler (it builds its handler class from the
    module's `_Gcs` when it starts)."""
    original = gcs_stand_in._Gcs
    gcs_stand_in._Gcs = _Answering  # type: ignore[misc]
    try:
        served = serve_gcs(folder)
        gcs = served.__enter__()
    finally:
        gcs_stand_in._Gcs = original  # type: ignore[misc]
    try:
        yield gcs
    finally:
        served.__exit__(None, None, None)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each row's report, and the working bucket's object names after."""
    with _serve(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        plan = [(name, target, size) for name, target, size, _ in ROWS]
        env = gcs.short_env(TFHUB_CACHE_DIR=str(tmp_path_factory.mktemp("cache")))
        found, stderr = run_scenarios(SCENARIO, plan, bound=BOUND_SECONDS, env=env)
        return {"reports": found, "stderr": stderr, "names": sorted(gcs.objects)}


@pytest.mark.tf
@pytest.mark.parametrize(("name", "target", "tf_class"), [(r[0], r[1], r[3]) for r in ROWS])
def test_export_to_gcs_refused_with_another_code_is_also_that_tensorflow_error(
    reports: dict[str, Any], name: str, target: str, tf_class: str
) -> None:
    # It was a plain ExportWriteError: `except tf.errors.OpError` (0.10.0's) missed it.
    report = reports["reports"][name]
    assert not report["hung"] and "result" not in report, report
    assert report["path"] == target and report["module"] == "tfhub.errors", report
    for base in ("ExportWriteError", "ExportError", "OSError", "OpError", tf_class):
        assert base in report["bases"], report
    assert tf_class in report["tf_class"], report
    folder = target.split("/")[3]
    assert ANSWERS[folder][1] in report["message"], report  # The server's words, quoted.
    assert not [n for n in reports["names"] if n.startswith(f"{folder}/vocab/")], reports


# Every code, in-process: the table of `_as_upstream_class` (native_spec.py).


def _op_error_classes() -> list[str]:
    tf = pytest.importorskip("tensorflow", reason="the classes subclass TensorFlow's errors")
    names = [
        name
        for name in dir(tf.errors)
        if isinstance(getattr(tf.errors, name), type)
        and issubclass(getattr(tf.errors, name), tf.errors.OpError)
        and getattr(tf.errors, name) is not tf.errors.OpError
    ]
    return sorted(names)


@pytest.mark.tf
def test_every_tensorflow_error_code_of_a_gcs_export_gives_an_export_error_of_its_class() -> None:
    tf = pytest.importorskip("tensorflow", reason="the classes subclass TensorFlow's errors")
    from tfhub import errors
    from tfhub.tf1.native_spec import _as_upstream_class

    names = _op_error_classes()
    assert len(names) >= 16, names  # CANCELLED ... UNAUTHENTICATED: every code but OK.
    for name in names:
        if name == "AlreadyExistsError":  # Another export's marker: ModuleExistsError.
            continue
        tf_class = getattr(tf.errors, name)
        found = errors.ExportWriteError(
            "Cannot write the export to gs://b/m: refused.", path="gs://b/m", problem="refused"
        )
        made = _as_upstream_class(found, tf_class(None, None, "refused"))
        assert isinstance(made, errors.ExportWriteError) and isinstance(made, tf_class), name
        assert isinstance(made, OSError) and made.error_code == tf_class(None, None, "").error_code
        assert (str(made), made.path, made.problem) == (str(found), "gs://b/m", "refused")
        again = pickle.loads(pickle.dumps(made))
        assert type(again) is type(made) and vars(again) == vars(made), name
        assert type(made).__module__ == "tfhub.errors" and type(made).__doc__, name
        assert getattr(errors, type(made).__name__) is type(made), name

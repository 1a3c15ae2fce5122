"""Probes (session 43): a TF1 Hub module, `tfhub inspect` and the damage diagnosis on gs:// end
in time.

TensorFlow's exists(), isdir(), listdir() and checkpoint lookup of a gs:// path list its prefix,
following the next page for as long as the server offers one: `hub.Module("gs://...")` hung in
the check of its assets and of its checkpoint's sizes, `tfhub inspect gs://...` in its asset and
checkpoint checks, the damage diagnosis in its checkpoint check, and a module's export from a
gs:// checkpoint in the check that it is one. Each of those calls is now bounded by
TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (`gfile_io`). A child process talks to the
stand-in for GCS (tests/_helpers/gcs_stand_in.py), one scenario per row; the stand-in's working
bucket holds upstream's TF1 text module with a vocabulary, whole and in a LISTING_PAGES folder
(where its `variables/`, `assets/` and `saved_model.pb` listings page on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    DELIMITED_PAGES,
    LISTING_PAGES,
    RECURSIVE_PAGES,
    ROWS_AT_ONCE,
    SHORT_TIMEOUTS,
    SLOW_DATA_STAT,
    WRITABLE,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)
from tests._helpers.upstream_records import UPSTREAM_DIR, assert_matches_record, record

BOUND_SECONDS = 15.0  # How long a scenario may run before the child reports it hung.
TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
WITHIN = TIMEOUT + RETRY_TIMEOUT + 4  # What a timed-out scenario may take in all.
MODULE = "tf1_text_vocab"  # Upstream's TF1 Hub module with a vocabulary asset (tokens.txt).
GOOD = f"gs://{WRITABLE}/tf1/{MODULE}"  # The whole module, whose listings end.
PAGED = f"gs://{WRITABLE}/{LISTING_PAGES}"  # Its copies whose listings page on.
DELIMITED = f"gs://{WRITABLE}/{DELIMITED_PAGES}"  # Its copies whose listdir pages on.
RECURSIVE = f"gs://{WRITABLE}/{RECURSIVE_PAGES}"  # Its copies whose glob and isdir page on.
SLOW_STAT = f"gs://{WRITABLE}/{SLOW_DATA_STAT}"  # Its copy whose data file's size never comes.

# Each (name, handle, sentences) row, in the child (`gcs_stand_in.run_scenarios`).
SCENARIO = f"""
import tempfile
import numpy as np
import tfhub as hub
from tfhub import model_damage, model_info

def scenario(report, name, handle, sentences):
    if name.startswith("module-"):
        with tf.Graph().as_default():
            module = hub.Module(handle)
            inputs = {{"sentences": np.array(sentences, dtype=object)}}
            outputs = module(inputs, signature="default", as_dict=True)
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                session.run(tf.compat.v1.tables_initializer())  # Reads the vocabulary.
                report["result"] = session.run(outputs)["default"].tolist()
    elif name.startswith("load-"):
        signature = hub.load(handle).signatures["default"]
        report["result"] = signature(sentences=tf.constant(sentences))["default"].numpy().tolist()
    elif name.startswith("inspect-"):
        described = model_info.describe(handle)  # What `tfhub inspect` prints.
        report["result"] = [described["format"], described["variables"]]
    elif name.startswith("diagnose-"):
        report["result"] = repr(model_damage.diagnose(handle))
    else:  # export-: a module exported from the checkpoint `handle`.
        spec = hub.load_module_spec("{GOOD}")
        spec.export(tempfile.mkdtemp(), checkpoint_path=handle)
        report["result"] = "exported"
"""

SCENARIOS = {
    "module-good": GOOD,
    "load-good": GOOD,
    "inspect-good": GOOD,
    "diagnose-good": GOOD,
    "module-asset-pages": f"{PAGED}/no-vocab",
    "module-none-pages": f"{PAGED}/no-model",
    "inspect-asset-pages": f"{PAGED}/no-vocab",
    "inspect-index-pages": f"{PAGED}/no-index",
    "diagnose-index-pages": f"{PAGED}/no-index",
    "export-checkpoint-pages": f"{PAGED}/whole/variables/variables",
    "diagnose-checkpoint-pages": f"{PAGED}/whole",
    "module-listdir-pages": f"{DELIMITED}/whole",
    "diagnose-listdir-pages": f"{DELIMITED}/no-index",
    "diagnose-lookup-pages": f"{RECURSIVE}/whole",
    # Last: TensorFlow's checkpoint reader holds Python's lock (GIL) while its lookup pages
    # on, so without the bounded lookup first the child stops there, reporting no more rows.
    "module-checkpoint-pages": f"{PAGED}/whole",
    "inspect-checkpoint-pages": f"{PAGED}/whole",
    "module-data-size-stalls": f"{SLOW_STAT}/whole",
}


def _module_objects(folder: str, *, leave_out: tuple[str, ...] = ()) -> dict[str, bytes]:
    """The stand-in's objects of upstream's module under `folder`, but those in `leave_out`."""
    source = UPSTREAM_DIR / MODULE
    return {
        f"{folder}/{path.relative_to(source).as_posix()}": path.read_bytes()
        for path in sorted(source.rglob("*"))
        if path.is_file() and path.relative_to(source).as_posix() not in leave_out
    }


def _objects() -> dict[str, bytes]:
    """The working bucket's objects that the scenarios read."""
    return {
        **_module_objects(f"tf1/{MODULE}"),
        **_module_objects(f"{LISTING_PAGES}/whole"),
        **_module_objects(f"{LISTING_PAGES}/no-vocab", leave_out=("assets/tokens.txt",)),
        **_module_objects(f"{LISTING_PAGES}/no-index", leave_out=("variables/variables.index",)),
        f"{LISTING_PAGES}/no-model/README.md": b"Not a model.\n",
        **_module_objects(f"{DELIMITED_PAGES}/whole"),
        **_module_objects(f"{DELIMITED_PAGES}/no-index", leave_out=("variables/variables.index",)),
        **_module_objects(f"{RECURSIVE_PAGES}/whole"),
        **_module_objects(f"{SLOW_DATA_STAT}/whole"),
    }


def _run(api: str) -> dict[str, Any]:
    return next(run for run in record(MODULE)["runs"] if run["api"] == api)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the child reported for each scenario: computed once per test run, by the first
    pytest worker that asks (`computed_once`)."""
    return computed_once(tmp_path_factory, __name__, lambda: _run_plan(tmp_path_factory))


def _run_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs SCENARIOS in the child (`run_scenarios`) against a stand-in; `reports`' result."""
    sentences = _run("hub.Module")["inputs"]["sentences"]["value"]
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects.update(_objects())
        plan = [(name, handle, sentences) for name, handle in SCENARIOS.items()]
        cache = Path(tmp_path_factory.mktemp("cache"))
        env = gcs.short_env(TFHUB_CACHE_DIR=str(cache))
        found, stderr = run_scenarios(
            SCENARIO, plan, bound=BOUND_SECONDS, env=env, at_once=ROWS_AT_ONCE
        )
        return {"reports": found, "stderr": stderr}


def _timed_out(reports: dict[str, Any], name: str, path: str) -> str:
    report = ended(reports["reports"], name, reports["stderr"], within=WITHIN)
    return timed_out(
        report, path, bases=("RetryTimeoutError", "DownloadError"), settings=SHORT_TIMEOUTS
    )


def _succeeded(reports: dict[str, Any], name: str) -> Any:
    report = reports["reports"][name]
    assert not report["hung"] and "type" not in report, report
    return report["result"]


@pytest.mark.tf
@pytest.mark.parametrize(
    ("name", "api"),
    [
        pytest.param("module-good", "hub.Module", id="module-good"),  # Vocabulary, checkpoint.
        pytest.param("load-good", "hub.load", id="load-good"),  # Its default signature.
    ],
)
def test_a_gcs_tf1_module_runs_as_upstream_recorded(
    reports: dict[str, Any], name: str, api: str
) -> None:
    got = _succeeded(reports, name)
    assert_matches_record(got, _run(api)["outputs"]["default"])


@pytest.mark.tf
def test_inspect_of_a_gcs_tf1_module_lists_its_format_and_variables(
    reports: dict[str, Any],
) -> None:
    model_format, variables = _succeeded(reports, "inspect-good")
    assert model_format == "TF1 Hub format"
    assert variables["count"] >= 1 and variables["bytes"] > 0, variables


@pytest.mark.tf
def test_diagnose_of_a_whole_gcs_tf1_module_finds_nothing_damaged(
    reports: dict[str, Any],
) -> None:
    assert _succeeded(reports, "diagnose-good") == "None"


# Each (scenario, the path its timeout error names, a phrase of that message or None) row: a
# phrase tells which check timed out (not a later one's).
TIMEOUTS = [
    # Its sizes' check (`checkpoint.data_shortfall`) asked TensorFlow for the checkpoint's
    # reader, which lists variables/ for the index, then listed variables/: both hung.
    (
        "module-checkpoint-pages",
        f"{PAGED}/whole/variables/variables",
        "which files its checkpoint has",
    ),
    # `saved_model_lib.load` asked whether each asset exists: a missing one is listed.
    ("module-asset-pages", f"{PAGED}/no-vocab/assets/tokens.txt", "whether it exists"),
    # Saying what the folder is (not a TF1 module) asked whether saved_model.pb exists.
    ("module-none-pages", f"{PAGED}/no-model/saved_model.pb", None),
    ("inspect-asset-pages", f"{PAGED}/no-vocab/assets/tokens.txt", None),
    ("inspect-index-pages", f"{PAGED}/no-index/variables/variables.index", None),
    ("diagnose-index-pages", f"{PAGED}/no-index/variables/variables.index", None),
    # It lists variables/ for the data files beside the index.
    ("diagnose-checkpoint-pages", f"{PAGED}/whole/variables", "what it holds"),
    # `checkpoint.unreadable` asked whether the prefix is a folder (ram:// calls prefixes so).
    (
        "export-checkpoint-pages",
        f"{PAGED}/whole/variables/variables",
        "whether it is a folder",
    ),
    # `model_info` checks the checkpoint's files are there (`missing_checkpoint_file`, since
    # rf52e-F2) by listing variables/, before TensorFlow's reader would list it too.
    ("inspect-checkpoint-pages", f"{PAGED}/whole/variables", "what it holds"),
    # The sizes' check lists variables/ for the data files, after the reader's lookup ended.
    ("module-listdir-pages", f"{DELIMITED}/whole/variables", "what it holds"),
    (
        "module-data-size-stalls",
        f"{SLOW_STAT}/whole/variables/variables.data-00000-of-00001",
        "its size",
    ),
    # No index: whether the model has variables, a listing of variables/ (after its isdir).
    ("diagnose-listdir-pages", f"{DELIMITED}/no-index/variables", "what it holds"),
    # Its check of every tensor makes the reader; that reader's lookup pages on.
    (
        "diagnose-lookup-pages",
        f"{RECURSIVE}/whole/variables/variables",
        "which files its checkpoint has",
    ),
]


@pytest.mark.tf
@pytest.mark.parametrize(
    ("name", "path", "phrase"), [pytest.param(*row, id=row[0]) for row in TIMEOUTS]
)
def test_a_gcs_tf1_call_whose_listing_or_stat_never_ends_ends_in_a_timeout_error(
    reports: dict[str, Any], name: str, path: str, phrase: str | None
) -> None:
    message = _timed_out(reports, name, path)
    if phrase is not None:
        assert phrase in message, message

"""Probes (session 42): module_search's `--module_list` read from gs:// ends in time.

It was read with one tf.io.gfile read, which an object that trickles bytes held for hours
(TensorFlow allows a read an hour, then retries). It is now read through `resolvers.gcs`, each
read call bounded by TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT. A child process talks to
the stand-in for GCS (tests/_helpers/gcs_stand_in.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.gcs_stand_in import (
    REFUSE_READ,
    SHORT_TIMEOUTS,
    WRITABLE,
    ended,
    run_scenarios,
    serve_gcs,
    timed_out,
)

TIMEOUT, RETRY_TIMEOUT = SHORT_TIMEOUTS  # The child's (`GcsStandIn.short_env`).
WITHIN = TIMEOUT + RETRY_TIMEOUT + 4  # What a scenario may take in all.

SCENARIO = """
from tfhub.tools.module_search.module_list import read_module_list

def scenario(report, name, path):
    report["result"] = read_module_list(path)
"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the child reported for each module list: computed once per test run, by the first
    pytest worker that asks (`computed_once`)."""
    return computed_once(tmp_path_factory, __name__, lambda: _run_plan(tmp_path_factory))


def _run_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the plan in the child (`run_scenarios`) against a stand-in; `reports`' result."""
    with serve_gcs(tmp_path_factory.mktemp("gcs-tls")) as gcs:
        gcs.objects.update(
            {
                "lists/modules.txt": b"# candidates\nhttps://hub.example/a/1\n\n/models/b\n",
                f"{REFUSE_READ}/modules.txt": b"https://hub.example/a/1\n",
            }
        )
        plan = [
            ("trickles", "gs://stalls/modules.txt"),
            ("refused", f"gs://{WRITABLE}/{REFUSE_READ}/modules.txt"),
            ("read", f"gs://{WRITABLE}/lists/modules.txt"),
        ]
        env = gcs.short_env()
        found, stderr = run_scenarios(SCENARIO, plan, bound=20.0, env=env)
    return {"reports": found, "stderr": stderr}


@pytest.mark.tf
def test_a_module_list_that_trickles_ends_in_a_timeout_error(reports: dict[str, Any]) -> None:
    report = ended(reports["reports"], "trickles", reports["stderr"], within=WITHIN)
    timed_out(
        report,
        "gs://stalls/modules.txt",
        bases=("RetryTimeoutError", "DownloadError"),
        settings=(TIMEOUT, RETRY_TIMEOUT),
    )


@pytest.mark.tf
def test_a_refused_module_list_is_a_flag_error_quoting_the_server(reports: dict[str, Any]) -> None:
    report = ended(reports["reports"], "refused", reports["stderr"], within=WITHIN)
    assert report["type"] == "ToolFlagError", report
    message = report["message"]
    assert message.startswith(f"Cannot read the module list gs://{WRITABLE}/{REFUSE_READ}/"), (
        message
    )
    assert "403" in message and "read refused" in message, message


@pytest.mark.tf
def test_a_module_list_read_in_bounded_calls_gives_its_handles(reports: dict[str, Any]) -> None:
    report = reports["reports"]["read"]
    assert not report["hung"] and "type" not in report, report
    assert report["result"] == ["https://hub.example/a/1", "/models/b"], report

"""An archive is told from its name as upstream told it: only an http(s) URL has a query and a
fragment to leave out; a gs:// object name or a local file name holding '#' or '?' is read as
written (TensorFlow reads `gs://b/v#1.tar.gz` as the object `v#1.tar.gz`), so such a gs://
archive is downloaded and extracted, not returned as a folder (rf51c-F3)."""

from __future__ import annotations

import json
import os

import pytest
from tests._helpers.gcs_stand_in import ARCHIVE, WRITABLE, serve_gcs
from tests._helpers.warm_python import run_warm_python

from tfhub import handles
from tfhub.resolvers.gcs import GcsCompressedResolver


@pytest.mark.parametrize(
    "path",
    ["gs://b/models/v#1.tar.gz", "gs://b/models/v?1.tgz", "/data/run#2/m.tar", "run?3.tar.gz"],
)
def test_a_name_holding_a_hash_or_question_mark_is_an_archive_as_upstream_read_it(path):
    assert path.endswith((".tar", ".tar.gz", ".tgz"))  # upstream's _is_tarfile
    assert handles.is_archive_path(path)


def test_a_gs_object_named_with_a_hash_goes_to_the_gs_archive_resolver():
    assert GcsCompressedResolver().is_supported("gs://b/models/v#1.tar.gz")
    assert not GcsCompressedResolver().is_supported("gs://b/models/v#1")


def test_http_urls_still_leave_out_their_query_and_fragment():
    assert handles.is_archive_path("https://h/m.tar.gz?v=1#top")
    assert not handles.is_archive_path("https://h/m?file=m.tar.gz")
    assert not handles.is_archive_path("HTTPS://h/m#m.tar.gz")


RESOLVE = """
import json, os, sys
import tfhub as hub
path = hub.resolve(sys.argv[1])
files = sorted(os.listdir(path)) if os.path.isdir(path) else None
print(json.dumps({"path": path, "files": files}))
"""


@pytest.mark.tf
def test_a_gs_archive_named_with_a_hash_is_extracted_into_the_cache(tmp_path, isolated_cache):
    with serve_gcs(tmp_path) as gcs:
        gcs.objects["models/v#1.tar.gz"] = ARCHIVE
        env = gcs.short_env(TFHUB_CACHE_DIR=os.fspath(isolated_cache))
        # A process of its own (TensorFlow's GCS client reads the stand-in's settings), forked
        # from the warm server: TensorFlow imported once per pytest worker.
        gs = f"gs://{WRITABLE}/models/v#1.tar.gz"
        done = run_warm_python(RESOLVE, gs, env=env, timeout=120)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["path"].startswith(os.fspath(isolated_cache)), seen
    assert seen["files"] == ["assets", "saved_model.pb"]

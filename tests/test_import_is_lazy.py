"""`import tfhub` and resolving a cached handle never import TensorFlow (nor requests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CODE = """
import json, sys
import tfhub as hub
paths = [hub.resolve(handle) for handle in sys.argv[1:]]
print(json.dumps({"paths": paths, "modules": sorted(m for m in sys.modules
      if m.split(".")[0] in ("tensorflow", "keras", "tf_keras", "requests", "tqdm"))}))
"""


def test_resolving_cached_handles_does_not_import_tensorflow(upstream_copy):
    record = json.loads((upstream_copy / "cache_0.15.json").read_text())
    handles = [entry["handle"] for entry in record["entries"]]
    env = dict(os.environ, TFHUB_CACHE_DIR=str(upstream_copy / "cache_0.15"), PYTHONPATH=REPO_ROOT)
    local = str(upstream_copy / "tf1_multi_sig")
    result = subprocess.run(
        [sys.executable, "-c", _CODE, *handles, local],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(result.stdout)
    assert out["modules"] == []  # Not tensorflow, keras, requests or tqdm.
    assert out["paths"] == [
        str(upstream_copy / "cache_0.15" / e["folder"]) for e in record["entries"]
    ] + [local]


def test_resolving_a_cached_kaggle_handle_does_not_import_tensorflow(
    upstream_copy, tmp_path, monkeypatch
):
    from tfhub.cli.resolve import import_archive

    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache_dir))
    short = "https://www.kaggle.com/models/o/m/tensorFlow2/v/1"
    long_ = "https://www.kaggle.com/models/o/m/frameworks/TensorFlow2/variations/v/versions/1"
    path = import_archive(str(upstream_copy / "tf2_saved_model.tar.gz"), short)  # tfhub's entry.
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", _CODE, short, long_],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(result.stdout)
    assert out["modules"] == []  # Not tensorflow, keras, requests or tqdm.
    assert out["paths"] == [path, path]

"""Session 47 split four large modules (constants, download, cache.remote, cli.cache) along their
seams. What the split must keep: every module of it, old and new, imports without TensorFlow
(the gfile cache imports it only when a check or a copy runs), and `tfhub cache rm` reaches
its new module only when run (`cache list` imports no other module of tfhub.cli)."""

from __future__ import annotations

import json

import pytest
from tests._helpers.python_process import child_env, run_python

_SPLIT_MODULES = (
    "tfhub.constants",
    "tfhub.settings_reading",
    "tfhub.download",
    "tfhub.archive_fetch",
    "tfhub.cache.remote",
    "tfhub.cache.remote_check",
    "tfhub.cli.cache",
    "tfhub.cli.cache_rm",
)

_IMPORT_CODE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules
      if m.split(".")[0] in ("tensorflow", "keras", "tf_keras"))))
"""


@pytest.mark.parametrize("module", _SPLIT_MODULES)
def test_each_module_of_the_split_imports_without_tensorflow(module):
    heavy = json.loads(run_python(_IMPORT_CODE, module, env=child_env(), timeout=60).stdout)
    assert heavy == []


_RM_CODE = """
import json, sys
from tfhub.cli.main import main
code = main(["cache", "rm", "--all"])
print(json.dumps({"code": code, "rm": "tfhub.cli.cache_rm" in sys.modules}))
"""


def test_cache_rm_runs_its_own_module(tmp_path):
    out = run_python(_RM_CODE, env=child_env(TFHUB_CACHE_DIR=str(tmp_path)), timeout=60)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"code": 0, "rm": True}

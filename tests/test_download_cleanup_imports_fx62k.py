"""The download's cleanup needs no lazy import (fx62k, finding 8).

At the limit of open files (EMFILE) a lazy import fails too, and its error would replace the
download's own; download.py kept a private copy of `cache.deleting.unlink_quietly` for that one
reason. It now imports `tfhub.cache.deleting` at its top (and uses `unlink_quietly`), so the
module is loaded with download.py. tests/test_open_files_limit_fx62h.py checks the cleanup at
a real limit of open files.
"""

from __future__ import annotations

import json

from tests._helpers.python_process import child_env, run_python

_CODE = """
import json, sys
import tfhub.download
print(json.dumps(sorted(m for m in sys.modules if m.startswith("tfhub.cache"))))
"""


def test_importing_the_download_loads_its_cleanups_module() -> None:
    loaded = json.loads(run_python(_CODE, env=child_env(), timeout=60).stdout)
    assert "tfhub.cache.deleting" in loaded


def test_the_download_has_no_copy_of_unlink_quietly() -> None:
    from tfhub import download
    from tfhub.cache import deleting

    assert download.deleting.unlink_quietly is deleting.unlink_quietly
    assert not hasattr(download, "_unlink_lock_file")

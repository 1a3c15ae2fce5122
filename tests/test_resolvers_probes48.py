"""Resolver defects a review (review48b) found: offline mode and the status advice under
TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED, a 303 to an http(s) mirror, upstream's
`registry._clear(); config._run()` test idiom, the misspelt-variable advice, and the compat
cache helpers; each against real local servers and folders."""

from __future__ import annotations

import json

import pytest
from tests._helpers.http_server import see_other
from tests._helpers.python_process import child_env, run_python

import tfhub as hub
from tfhub import errors, uncompressed_module_resolver

# --- TFHUB_OFFLINE under UNCOMPRESSED -----------------------------------------------------------


@pytest.mark.parametrize("resolver_kind", ["tfhub", "compat"])
def test_offline_uncompressed_raises_before_any_request(
    server, isolated_cache, monkeypatch, resolver_kind
) -> None:
    """TFHUB_OFFLINE=1 ("uses the cache only") with UNCOMPRESSED asked the hub, then GCS; now
    OfflineModeError, as the compressed format raises, and the server sees no request."""
    server.state.behaviours.append(see_other("/m/1", "gs://bucket/m/1"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    handle = server.url("/m/1").replace("http://", "http://user:s3cret@")
    resolve = {
        "tfhub": hub.resolve,
        "compat": uncompressed_module_resolver.HttpUncompressedFileResolver(),
    }[resolver_kind]
    with pytest.raises(errors.OfflineModeError, match="UNCOMPRESSED") as info:
        resolve(handle)
    assert isinstance(info.value, FileNotFoundError)
    assert "s3cret" not in str(info.value) and "unset TFHUB_OFFLINE" in str(info.value)
    assert server.state.requests == []


# --- registry._clear(); config._run() -----------------------------------------------------------

_CLEAR_RUN_CODE = """
import json, sys, tempfile
import tfhub as hub
from tfhub import config, registry

def state():
    return [[type(impl).__name__ for impl in reg.implementations]
            for reg in (registry.resolver, registry.loader)]

fresh = state()
registry._clear()
cleared = state()
config._run()
restored = state()
config._run()  # Nothing registered twice.
folder = tempfile.mkdtemp()
print(json.dumps({"fresh": fresh, "cleared": cleared, "restored": restored, "again": state(),
                  "resolved": hub.resolve(folder) == folder,
                  "tensorflow": "tensorflow" in sys.modules}))
"""


def test_clear_then_config_run_restores_what_a_fresh_import_registers() -> None:
    """Upstream's test idiom: `registry._clear()` empties both registries, and `config._run()`
    registers the built-in resolvers and the TF1 loader again (it was a no-op once installed,
    and `_clear` was missing), without importing TensorFlow."""
    out = json.loads(run_python(_CLEAR_RUN_CODE, env=child_env(), timeout=60).stdout)
    assert out["fresh"] == [
        [
            "PathResolver",
            "HttpUncompressedResolver",
            "GcsCompressedResolver",
            "HttpCompressedResolver",
        ],
        ["Loader"],
    ]
    assert out["cleared"] == [[], []]
    assert out["restored"] == out["again"] == out["fresh"]
    assert out["resolved"] is True and out["tensorflow"] is False

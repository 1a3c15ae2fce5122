"""A local model behind a folder this user may not search raises ModelAccessError: a
PermissionError (what the trouble is: `except PermissionError` catches it), still a
ModelNotFoundError and FileNotFoundError (what tfhub and upstream's IOError said before, so
those clauses keep catching it). Run as the user nobody (root reaches every folder), through
setpriv, as tests/test_resolving_unreachable_path_probes51.py."""

from __future__ import annotations

import json
import os
import pickle

from tests._helpers.cache_users import python_as_nobody
from tests._helpers.python_process import child_env

from tfhub import errors

_RESOLVE_AS_NOBODY = """
    import json, pickle, sys
    import tfhub as hub
    from tfhub import errors
    try:
        hub.resolve(sys.argv[1])
    except PermissionError as err:
        print(json.dumps({
            "caught_as": "PermissionError",
            "type": type(err).__module__ + "." + type(err).__qualname__,
            "not_found": isinstance(err, errors.ModelNotFoundError),
            "file_not_found": isinstance(err, FileNotFoundError),
            "message": str(err),
            "path": err.path,
            "pickled": str(pickle.loads(pickle.dumps(err))) == str(err),
        }))
    except OSError as err:
        print(json.dumps({"caught_as": "OSError", "type": type(err).__qualname__}))
"""


def _resolve_as_nobody(shared_dir, handle: str) -> dict[str, object]:
    env = child_env(HOME=str(shared_dir), TFHUB_CACHE_DIR=str(shared_dir / "cache"))
    done = python_as_nobody(_RESOLVE_AS_NOBODY, handle, env=env)
    assert done.returncode == 0 and done.stdout, done.stderr
    return json.loads(done.stdout)


def test_a_model_behind_a_closed_folder_is_a_permission_error_and_still_not_found(shared_dir):
    model = shared_dir / "private" / "model"
    model.mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"\x08\x01")
    os.chmod(shared_dir / "private", 0o700)
    seen = _resolve_as_nobody(shared_dir, str(model))
    assert seen["caught_as"] == "PermissionError", seen
    assert seen["type"] == "tfhub.errors.ModelAccessError"
    assert seen["not_found"] and seen["file_not_found"]  # Old clauses still catch it.
    assert "permission denied by the folder" in str(seen["message"])
    assert seen["path"] == str(model) and seen["pickled"]


def test_a_missing_path_is_not_a_permission_error(shared_dir):
    seen = _resolve_as_nobody(shared_dir, str(shared_dir / "no-such-model"))
    assert seen == {"caught_as": "OSError", "type": "ModelNotFoundError"}


def test_the_class_is_both_and_exported():
    assert issubclass(errors.ModelAccessError, errors.ModelNotFoundError)
    assert issubclass(errors.ModelAccessError, PermissionError)
    assert issubclass(errors.ModelAccessError, FileNotFoundError)
    assert "ModelAccessError" in errors.__all__
    err = errors.ModelAccessError("/m cannot be reached", path="/m")
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.path) == (errors.ModelAccessError, str(err), "/m")

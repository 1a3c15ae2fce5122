"""A local model folder that the user may not reach (a folder on its path denies search
permission: a colleague's home, a group's /data/models) is not said not to exist, which sends the
user to check a path that is right (rf51c-F2). It raises ModelAccessError: a PermissionError (what
the trouble is: `except PermissionError` catches it), still a ModelNotFoundError and
FileNotFoundError (what tfhub and upstream's IOError said before, so those clauses keep catching
it). Run as the user nobody (root reaches every folder), through setpriv."""

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
    except OSError as err:
        print(json.dumps({
            "type": type(err).__module__ + "." + type(err).__qualname__,
            "permission_error": isinstance(err, PermissionError),
            "not_found": isinstance(err, errors.ModelNotFoundError),
            "file_not_found": isinstance(err, FileNotFoundError),
            "io_error": isinstance(err, IOError),
            "message": str(err),
            "path": getattr(err, "path", None),
            "pickled": str(pickle.loads(pickle.dumps(err))) == str(err),
        }))
"""


def _resolve_as_nobody(shared_dir, handle: str) -> dict[str, object]:
    env = child_env(HOME=str(shared_dir), TFHUB_CACHE_DIR=str(shared_dir / "cache"))
    done = python_as_nobody(_RESOLVE_AS_NOBODY, handle, env=env)
    assert done.returncode == 0 and done.stdout, done.stderr
    return json.loads(done.stdout)


def _private_model(shared_dir):
    """`<shared>/private/model/saved_model.pb`, `private` root's and closed to others."""
    model = shared_dir / "private" / "model"
    model.mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"\x08\x01")
    os.chmod(shared_dir / "private", 0o700)
    return model


def test_a_model_behind_a_folder_this_user_may_not_search_says_so(shared_dir):
    model = _private_model(shared_dir)
    seen = _resolve_as_nobody(shared_dir, str(model))
    message = str(seen["message"])
    assert "does not exist" not in message, message
    assert str(model) in message and "permission" in message
    assert f"folder {shared_dir / 'private'} " in message  # The folder that refuses it.
    assert "Ask its owner for access" in message  # What to do.
    assert seen["io_error"] and seen["path"] == str(model)  # Upstream's IOError, still.


def test_a_file_url_behind_such_a_folder_says_so_too(shared_dir):
    model = _private_model(shared_dir)
    seen = _resolve_as_nobody(shared_dir, f"file://{model}")
    assert "does not exist" not in str(seen["message"]) and "permission" in str(seen["message"])


def test_a_path_that_is_missing_in_a_folder_this_user_may_search_still_does_not_exist(
    shared_dir,
):
    seen = _resolve_as_nobody(shared_dir, str(shared_dir / "no-such-model"))
    assert str(seen["message"]) == f"{shared_dir / 'no-such-model'} does not exist."


def test_a_model_behind_a_closed_folder_is_a_permission_error_and_still_not_found(shared_dir):
    model = _private_model(shared_dir)
    seen = _resolve_as_nobody(shared_dir, str(model))
    assert seen["permission_error"], seen
    assert seen["type"] == "tfhub.errors.ModelAccessError"
    assert seen["not_found"] and seen["file_not_found"]  # Old clauses still catch it.
    assert "permission denied by the folder" in str(seen["message"])
    assert seen["path"] == str(model) and seen["pickled"]


def test_a_missing_path_is_not_a_permission_error(shared_dir):
    seen = _resolve_as_nobody(shared_dir, str(shared_dir / "no-such-model"))
    assert not seen["permission_error"], seen
    assert seen["type"] == "tfhub.errors.ModelNotFoundError"


def test_the_class_is_both_and_exported():
    assert issubclass(errors.ModelAccessError, errors.ModelNotFoundError)
    assert issubclass(errors.ModelAccessError, PermissionError)
    assert issubclass(errors.ModelAccessError, FileNotFoundError)
    assert "ModelAccessError" in errors.__all__
    err = errors.ModelAccessError("/m cannot be reached", path="/m")
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.path) == (errors.ModelAccessError, str(err), "/m")

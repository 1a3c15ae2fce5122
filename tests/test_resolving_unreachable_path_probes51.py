"""A local model folder that the user may not reach (a folder on its path denies search
permission: a colleague's home, a group's /data/models) is not said not to exist, which sends the
user to check a path that is right (rf51c-F2). Run as the user nobody (root reaches every
folder), through setpriv."""

from __future__ import annotations

import json
import os

from tests._helpers.cache_users import python_as_nobody
from tests._helpers.python_process import child_env

_RESOLVE_AS_NOBODY = """
    import json, sys
    import tfhub as hub
    from tfhub import errors
    try:
        hub.resolve(sys.argv[1])
    except errors.ModelNotFoundError as err:
        print(json.dumps({"message": str(err), "path": err.path,
                          "io_error": isinstance(err, IOError)}))
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

"""A cache folder of another user's that this user may not write is said to be that, not
"read-only" (rf55c-F4).

Two people on one machine without TFHUB_CACHE_DIR share the default `<tempdir>/tfhub_modules`:
the first made it (755 under umask 022), and the second's download of a model it lacks was
told "The cache folder ... is read-only", which it is not (its owner writes it), naming
nobody. The error now says whose it is and what to do; a read-only mount still says so.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests._helpers.cache_users import run_as_user


def _import_as_nobody(archive: str, root: str) -> str:
    """`import_archive` into `root` as the user nobody; what it raised, as "Type: text"."""

    def attempt() -> str:
        os.environ["TFHUB_CACHE_DIR"] = root
        from tfhub.cache.importing import import_archive

        try:
            import_archive(archive, "https://h.example/m/1")
        except Exception as err:  # Any: the test reads it.
            return f"{type(err).__name__}: {err} | {[c.__name__ for c in type(err).__mro__]}"
        return "no error"

    return run_as_user(attempt).result()


def test_another_users_cache_folder_is_named_as_such(shared_dir: Path, tmp_path: Path) -> None:
    from tests._helpers.archives import make_tar_gz

    archive = os.fspath(make_tar_gz(shared_dir / "m.tar.gz"))
    os.chmod(archive, 0o644)
    root = os.path.join(shared_dir, "tfhub_modules")
    os.mkdir(root, 0o755)  # root's, as a first user's default cache under umask 022.
    said = _import_as_nobody(archive, root)
    assert said.startswith("CacheError: "), said
    assert "read-only" not in said, said
    assert f"The cache folder {root} belongs to another user (root, uid 0)" in said, said
    assert "may not write" in said and "TFHUB_CACHE_DIR" in said, said
    assert os.listdir(root) == []

"""rf53f-F1: `tfhub cache verify` and `cache list` took a damaged entry for one being installed
whenever tensorflow_hub's `<entry>.lock` of another host lay beside it (a download killed in
another container of a shared cache volume: a new host name each time, so never stale), and said
BUSY with exit 0 for ever, while `tfhub cache prune` called the same entry damaged and removed
it. tensorflow_hub never downloads into an entry folder that holds anything (resolver.py,
`atomic_download`: it returns such a folder as it is and deletes only an empty one), so its lock
beside a folder with content is no install of that folder."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from tests._helpers.upstream_records import UPSTREAM_DIR

from tfhub.cli.main import main

ENTRY = "a928bbb7a7443296bc0a05442b6573fcacc7547b"  # tf2_saved_model, left by tensorflow_hub
DEAD_CONTAINER_LOCK = f"c0ffee12345.4242.{'0123456789abcdef' * 2}"  # "host.pid.uid"


def _upstream_cache(target: Path) -> Path:
    """A writable copy of the cache tensorflow_hub 0.15 wrote (tests/data/upstream)."""
    shutil.copytree(UPSTREAM_DIR / "cache_0.15", target)
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return target


def _lock_of_another_host(cache_dir: Path) -> None:
    (cache_dir / f"{ENTRY}.lock").write_text(DEAD_CONTAINER_LOCK)


def test_verify_says_damaged_beside_another_hosts_tensorflow_hub_lock(isolated_cache, capsys):
    cache_dir = _upstream_cache(isolated_cache)
    for shard in glob.glob(str(cache_dir / ENTRY / "variables" / "variables.data-*")):
        os.remove(shard)
    _lock_of_another_host(cache_dir)
    assert main(["cache", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"{ENTRY}\tDAMAGED: variables/variables.data-* is missing\t" in out, out
    assert main(["cache", "list"]) == 0
    assert "[damaged: variables/variables.data-* is missing]" in capsys.readouterr().out
    assert main(["cache", "prune", "--dry-run"]) == 0  # What verify says, prune does.
    assert f"would remove {cache_dir / ENTRY} (damaged entry: " in capsys.readouterr().out


def test_an_entry_a_temp_cleaner_emptied_of_files_is_damaged_beside_such_a_lock(
    isolated_cache, capsys
):
    """OS temp cleaners delete files and leave folders: tensorflow_hub serves such a folder
    (ListDirectory lists `variables`), so no download of it runs whatever its lock says."""
    cache_dir = _upstream_cache(isolated_cache)
    for path in glob.glob(str(cache_dir / ENTRY / "**"), recursive=True):
        if os.path.isfile(path):
            os.remove(path)
    _lock_of_another_host(cache_dir)
    assert main(["cache", "verify"]) == 1
    assert f"{ENTRY}\tDAMAGED: " in capsys.readouterr().out


def test_an_empty_entry_folder_beside_a_live_lock_stays_busy(isolated_cache, capsys):
    """The one folder tensorflow_hub downloads over: an empty one, which it deletes first. Its
    download of it may be under way on the other host: BUSY (exit 0), as before."""
    cache_dir = _upstream_cache(isolated_cache)
    shutil.rmtree(cache_dir / ENTRY)
    (cache_dir / ENTRY).mkdir()
    assert main(["cache", "list"]) == 0
    assert "[damaged: the folder holds no file]" in capsys.readouterr().out
    _lock_of_another_host(cache_dir)
    assert main(["cache", "list"]) == 0
    assert "damaged" not in capsys.readouterr().out  # Incomplete, not damaged.
    assert main(["cache", "verify"]) == 0
    assert f"{ENTRY}\tBUSY: another process is installing or removing it" in (
        capsys.readouterr().out
    )

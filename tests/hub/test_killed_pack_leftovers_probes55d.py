"""rf55d-F2: a `tfhub serve` killed (SIGKILL, the OOM killer, a container stopped after its
grace period) while it packed a folder version left its half-written archive in --cache-dir
(`..<fingerprint>.<id>.tar.gz.<id>.part`, as large as the model) for ever: the next pack of the
same folder wrote a temporary of another name, and one of a changed folder another fingerprint.
Each pack now removes the packs' temporaries that no live pack holds (`utils.live_files`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests._helpers.hub_server import write_model_doc, write_model_folder

from tfhub.hub import archives

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _killed_while_packing(folder: Path, cache: Path) -> None:
    """Packs `folder` into `cache` in a child killed (SIGKILL) once its temporary exists."""
    code = (
        "import sys; from pathlib import Path; from tfhub.hub import pack_archive, archives\n"
        "real = pack_archive.write_archive\n"
        "def slow(out, *a, **k):\n"
        "    out.write(b'half an archive'); out.flush(); import time; time.sleep(600)\n"
        "pack_archive.write_archive = slow\n"
        "archives.packed_archive(Path(sys.argv[1]), cache_dir=sys.argv[2])\n"
    )
    env = dict(os.environ, PYTHONPATH=SRC)
    child = subprocess.Popen([sys.executable, "-c", code, str(folder), str(cache)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not any(name.endswith(".part") for name in _names(cache)):
            assert child.poll() is None and time.monotonic() < deadline, "no temporary made"
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait()


def _names(cache: Path) -> list[str]:
    return sorted(os.listdir(cache)) if cache.is_dir() else []


def test_a_pack_removes_the_temporaries_of_killed_packs(tmp_path):
    cache = tmp_path / "cache"
    one = write_model_folder(write_model_doc(tmp_path / "hub", "acme/emb/1"))
    two = write_model_folder(
        write_model_doc(tmp_path / "hub", "acme/emb/2"),
        {"saved_model.pb": b"\x12\x00", "v.txt": b"2"},
    )
    _killed_while_packing(one, cache)
    assert [name for name in _names(cache) if name.endswith(".part")]
    # A live pack's temporary (its writer holds it) stays.
    live = cache / f"..{uuid.uuid4().hex}.{uuid.uuid4().hex}.tar.gz.{uuid.uuid4().hex}.part"
    with open(live, "wb") as held:
        from tfhub.utils import live_files

        live_files.hold(held.fileno())
        assert archives.packed_archive(two, cache_dir=str(cache)) is not None  # Another folder.
        parts = [name for name in _names(cache) if name.endswith(".part")]
        assert parts == [live.name], _names(cache)

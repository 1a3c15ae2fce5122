"""`tfhub serve --stop-timeout` keeps its promise (session 62, review fx62e).

uvicorn stopped the server only once a pack of a folder version running at the stop had ended
(its thread cannot be interrupted, and Python waits for it at exit): a large folder held a
stopped server for minutes, until Kubernetes killed it (exit 137). Such a pack is now
abandoned: the server exits 0 on time, and the pack's temporary file stays (the next pack
removes it), never an archive under its final name. `--stop-timeout` takes fractions of a
second, and refuses more than a day (granian's Process.join raised OverflowError at the
stop, not at the start, from ~2,147,484 s).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub
from tests._helpers.hub_server import (
    serve_hub,
    write_model_doc,
    write_model_folder,
    write_publisher,
)

pytest.importorskip("granian")  # The default server: `require` comes before the checks.
pytest.importorskip("uvicorn")

# The pack of a folder version, made to start writing its temporary file (as the real one
# does: `pack_output.part_path`) and then take a minute, far beyond the stop timeout; loaded
# as a sitecustomize module in every process of the server.
LONG_PACK = (
    "import time\n"
    "from tfhub.hub import pack, pack_output\n"
    "def _long(folder, output, *args, **kwargs):\n"
    "    with open(pack_output.part_path(output), 'wb') as part:\n"
    "        part.write(b'half an archive')\n"
    "        part.flush()\n"
    "        time.sleep(60)\n"
    "pack.pack = _long\n"
)


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hub")
    write_publisher(root, "acme", "Acme")
    write_model_folder(write_model_doc(root, "acme/folder/1", asset="1"))
    return root


def _long_pack_prelude(site: Path) -> str:
    """The prelude of a server whose processes all pack with LONG_PACK: uvicorn's workers are
    spawned (they do not run the prelude), but import the sitecustomize of their PYTHONPATH."""
    site.mkdir()
    (site / "sitecustomize.py").write_text(LONG_PACK)
    return (
        f"import os, sys; os.environ['PYTHONPATH'] += os.pathsep + {str(site)!r}\n"
        f"sys.path.append({str(site)!r}); import sitecustomize\n"
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_stop_during_a_long_pack_ends_uvicorn_within_the_stop_timeout(
    hub_root: Path, tmp_path: Path, workers: str
) -> None:
    """One server waited for the pack (failed here before the fix). With 2 workers each
    already ended on time (uvicorn raises the stop signal again in a worker once its server
    returned, whose default action ends it): kept as a guard of the same promise."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    prelude = _long_pack_prelude(tmp_path / "site")
    options = ("--server", "uvicorn", "--workers", workers, "--rescan", "0")
    options += ("--stop-timeout", "0.5", "--cache-dir", str(cache))
    with serve_hub(hub_root, tmp_path / "serve.log", *options, prelude=prelude) as hub:
        with socket.create_connection(("127.0.0.1", hub.port), timeout=30) as client:
            client.sendall(
                b"GET /acme/folder/1?tf-hub-format=compressed HTTP/1.1\r\nHost: hub.test\r\n\r\n"
            )
            deadline = time.monotonic() + 20
            while not any(cache.glob("*.part")):  # The pack is running.
                assert time.monotonic() < deadline, hub.access_log()
                time.sleep(0.05)
            status, waited = hub.stop_with_sigterm(timeout=30)
            assert client.recv(4096) == b""  # Cut before any answer.
    assert status == 0, hub.access_log()
    assert waited < 15, (waited, hub.access_log())  # Not the pack's minute.
    assert "Traceback" not in hub.access_log()
    # Cancelled once the cut closed its connection (fx62g), not by uvicorn 2 s later.
    assert "timeout graceful shutdown exceeded" not in hub.access_log()
    assert not list(cache.glob("*.tar.gz")), list(cache.iterdir())  # No archive: only a .part.
    assert len(list(cache.glob("*.part"))) == 1
    # The next pack (here a real one, in this process) removes the .part the stop left.
    from tfhub.hub.archives import packed_archive
    from tfhub.hub.cache_dir import check_cache_dir

    check_cache_dir(str(cache), team=True)
    folder = hub_root / "assets" / "docs" / "acme" / "models" / "folder" / "1"
    archive = packed_archive(folder, cache_dir=str(cache), root=hub_root)
    assert archive is not None
    assert archive.is_file() and not list(cache.glob("*.part")), list(cache.iterdir())


@pytest.mark.parametrize("given", ["86401", "1e9", "inf", "nan"])
def test_a_stop_timeout_above_a_day_is_refused_at_start(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, given: str
) -> None:
    """granian's supervisor raised OverflowError (exit 1) at the stop for ~2,147,484 s or more.
    Refused before a server starts; `--port 0` would stop it later if it were taken."""
    code, out, err = run_tfhub(
        capsys, "serve", str(tmp_path), "--port", "0", "--stop-timeout", given
    )
    assert (code, out) == (2, ""), err
    assert err == (
        "tfhub: invalid value: --stop-timeout must be a number of seconds from 0 to 86400 (a "
        f"day; 0: a stop cuts the downloads in flight at once). Received: {float(given):g}\n"
    )


def test_a_fractional_stop_timeout_is_taken(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """argparse said only "invalid int value: '1.5'"; the value now passes its check (the
    port's is the one that stops this command)."""
    code, out, err = run_tfhub(
        capsys, "serve", str(tmp_path), "--port", "0", "--stop-timeout", "1.5"
    )
    assert (code, out) == (2, ""), err
    assert "--port" in err and "stop-timeout" not in err, err

"""Serving leftovers (session 47), through real `tfhub serve` processes where a server answers:

* a folder version whose model folder cannot be packed as found (a FIFO in it, a symlink out
  of it) answered 500: it is a 404 naming the version, with one warning naming the file; a
  file the server cannot read stays a 500 (a server fault);
* a `--cache-dir` below a folder a stranger may rename it in is refused;
* the catalog's scan read a doc before checking that it lies inside ROOT: a doc symlinked to a
  file outside ROOT was read (its first line quoted in the log), one swapped for a FIFO hung the
  scan for ever;
* the API gave `doc_markdown: null` for a doc it could not read without a word (gone), or with
  a warning per request (refused).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from tests._helpers.cache_users import NOBODY, run_as_user
from tests._helpers.hub_server import (
    SRC,
    HubProcess,
    _stop,
    _wait_healthy,
    free_port,
    serve_hub,
    write_model_doc,
    write_model_folder,
    write_publisher,
)

from tfhub import errors
from tfhub.hub import cache_dir
from tfhub.hub.catalog import Catalog

SECRET = "root:SECRET47:0:0:the first line of a file outside ROOT"
needs_root = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0,
    reason="needs root: chown to another user, or a server without DAC override (setpriv)",
)


def _lines_with(server: HubProcess, start: int, text: str, count: int) -> list[str]:
    """The log lines holding `text` from the log's length `start` on, waiting (at most 5 s)
    until there are `count`: a worker's line reaches the file a moment after its answer."""
    deadline = time.monotonic() + 5
    while True:
        lines = [x for x in server.access_log()[start:].splitlines() if text in x]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def _get(server: HubProcess, handle: str) -> requests.Response:
    return requests.get(server.url(f"{handle}?tf-hub-format=compressed"), timeout=15)


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hub47")
    outside = tmp_path_factory.mktemp("outside47")
    (outside / "secret.txt").write_text(SECRET + "\n")
    write_publisher(root, "acme", "Acme")
    write_model_folder(write_model_doc(root, "acme/good/1"))
    os.mkfifo(write_model_folder(write_model_doc(root, "acme/piped/1")) / "variables" / "pipe")
    linked = write_model_folder(write_model_doc(root, "acme/linked/1"))
    (linked / "variables" / "leak.txt").symlink_to(outside / "secret.txt")
    for handle in ("acme/gone/1", "acme/swapped/1"):
        write_model_doc(root, handle, body=f"The doc of {handle}.")
    leak = root / "assets" / "docs" / "acme" / "models" / "leak" / "1.md"
    leak.parent.mkdir(parents=True)
    leak.symlink_to(outside / "secret.txt")  # A doc symlinked to a file outside ROOT.
    return {"root": root, "outside": outside, "cache": tmp_path_factory.mktemp("cache47")}


@pytest.fixture(scope="module")
def server(places: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    log = tmp_path_factory.mktemp("log47") / "serve.log"
    options = ["--rescan", "0", "--workers", "1", "--cache-dir", str(places["cache"])]
    with serve_hub(places["root"], log, *options) as running:
        yield running


# --- 1. A model folder that cannot be packed as found: 404 and one warning --------------------


def test_a_fifo_in_a_model_folder_is_a_404_naming_the_version_warned_once(server):
    start = len(server.access_log())
    for _ in range(2):
        answer = _get(server, "acme/piped/1")
        assert answer.status_code == 404, (answer.status_code, answer.text)
        assert answer.text.startswith("404 Not Found: acme/piped/1 has no servable model files")
    assert _get(server, "acme/linked/1").status_code == 404  # Its warning comes after.
    lines = _lines_with(server, start, "Refused to pack", 2)
    piped = [line for line in lines if "acme/piped/1" in line]
    assert len(piped) == 1, lines  # Once per path, not once per download.
    assert "models/piped/1 (acme/piped/1 answered 404)" in piped[0]
    assert "not a regular file: variables/pipe" in piped[0]
    assert _get(server, "acme/good/1").status_code == 200  # The server answers on.


def test_a_symlink_out_of_a_model_folder_is_a_404_and_nothing_of_its_target_is_sent(server):
    answer = _get(server, "acme/linked/1")
    assert answer.status_code == 404
    assert b"SECRET47" not in answer.content
    assert "not a regular file: variables/leak.txt" in server.access_log()
    assert "500 Internal Server Error" not in server.access_log()


# --- 3. A doc is opened inside ROOT before it is read -----------------------------------------


def test_a_doc_symlinked_out_of_root_is_never_read(server):
    for path in ("api/models", "api/models/acme/leak", "acme/leak/1", "acme", "api/publishers"):
        assert "SECRET47" not in requests.get(server.url(path), timeout=15).text, path
    assert requests.get(server.url("api/models/acme/leak"), timeout=15).status_code == 404
    assert "SECRET47" not in server.access_log()  # The scan quoted its first line.
    assert "Refused to send " in server.access_log()
    assert "leak/1.md" in server.access_log()


def _scan_in_time(root: Path, fifo: Path) -> Catalog:
    """`Catalog.scan(root)`, failing the test if it does not end within 10 s (a reader blocked
    on `fifo` is then let go: the FIFO opened for writing and closed gives it an end of file)."""
    done = threading.Event()
    result: list[Catalog] = []

    def scan() -> None:
        result.append(Catalog.scan(root))
        done.set()

    threading.Thread(target=scan, daemon=True).start()
    if not done.wait(10):
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        done.wait(10)
        pytest.fail("the scan hung on a doc swapped for a FIFO")
    return result[0]


def test_a_doc_swapped_for_a_fifo_does_not_hang_the_scan(tmp_path, caplog):
    write_publisher(tmp_path, "acme", "Acme")
    write_model_doc(tmp_path, "acme/fine/1")
    fifo = write_model_doc(tmp_path, "acme/piped/1")
    fifo.unlink()
    os.mkfifo(fifo)
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        catalog = _scan_in_time(tmp_path, fifo)
    assert set(catalog.models) == {"acme/fine"}
    assert f"Refused to send {fifo}: it is not a regular file" in caplog.text


def test_a_doc_symlinked_to_a_fifo_outside_root_is_not_opened(tmp_path, caplog):
    root, outside = tmp_path / "hub", tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "pipe.md")
    write_model_doc(root, "acme/fine/1")
    doc = write_model_doc(root, "acme/piped/1")
    doc.unlink()
    doc.symlink_to(outside / "pipe.md")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        catalog = _scan_in_time(root, outside / "pipe.md")
    assert set(catalog.models) == {"acme/fine"}
    assert f"Refused to send {doc}: its real path" in caplog.text


# --- 4. A doc the API cannot read: doc_markdown null, one warning -----------------------------


def _doc_markdown(server: HubProcess, model: str) -> str | None:
    answer = requests.get(server.url(f"api/models/{model}"), timeout=15)
    assert answer.status_code == 200, answer.text
    return answer.json()["versions"][0]["doc_markdown"]


def test_a_doc_removed_since_the_scan_is_warned_about_once(server, places):
    doc = places["root"] / "assets" / "docs" / "acme" / "models" / "gone" / "1.md"
    assert "The doc of acme/gone/1." in (_doc_markdown(server, "acme/gone") or "")
    doc.unlink()
    start = len(server.access_log())
    assert [_doc_markdown(server, "acme/gone") for _ in range(3)] == [None] * 3
    lines = _lines_with(server, start, "Left out the doc", 1)
    assert len(lines) == 1, lines
    assert f"Left out the doc {doc} from the API: it is gone" in lines[0]


def test_a_doc_swapped_for_a_symlink_out_of_root_is_warned_about_once(server, places):
    doc = places["root"] / "assets" / "docs" / "acme" / "models" / "swapped" / "1.md"
    assert _doc_markdown(server, "acme/swapped") is not None
    doc.unlink()
    doc.symlink_to(places["outside"] / "secret.txt")
    start = len(server.access_log())
    for _ in range(3):
        assert _doc_markdown(server, "acme/swapped") is None
    assert _doc_markdown(server, "acme/gone") is None  # A line after the last one's, if any.
    lines = _lines_with(server, start, f"Refused to send {doc}", 1)
    assert len(lines) == 1, lines
    assert "(doc_markdown null)" in lines[0]
    assert "SECRET47" not in server.access_log()


# --- 1 and 4, by a server that may not read a file (no DAC override: root as a plain user) ---


@contextmanager
def _serve_without_dac_override(root: Path, log: Path, *options: str) -> Iterator[HubProcess]:
    """`tfhub serve ROOT` run by root without the capabilities that let root read any file
    (`setpriv --bounding-set`): a file of mode 000 is then one the server may not read."""
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop the server's DAC override")
    port = free_port()
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    env = dict(os.environ, PYTHONPATH=SRC)
    env.pop("TFHUB_SERVE_SETTINGS", None)
    argv = [sys.executable, "-c", code, "serve", str(root), "--port", str(port), *options]
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            [*drop, *argv], env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = HubProcess(proc, port, log, root)
    try:
        _wait_healthy(server, 60)
        yield server
    finally:
        _stop(proc)


@needs_root
def test_a_file_the_server_cannot_read_is_a_500_and_an_unreadable_doc_a_warning(tmp_path):
    """A regular file inside ROOT the server may not read is a server fault (500, the error
    logged); a doc it may not read since the scan gives doc_markdown null, warned once."""
    root = tmp_path / "hub"
    folder = write_model_folder(write_model_doc(root, "acme/locked/1"))
    doc = write_model_doc(root, "acme/closed/1")
    options = ["--rescan", "0", "--workers", "1", "--cache-dir", str(tmp_path / "cache")]
    with _serve_without_dac_override(root, tmp_path / "serve.log", *options) as server:
        (folder / "variables" / "variables.index").chmod(0)
        doc.chmod(0)
        answer = _get(server, "acme/locked/1")
        assert answer.status_code == 500, (answer.status_code, answer.text)
        assert "the folder of acme/locked/1 cannot be packed" in answer.text
        assert [_doc_markdown(server, "acme/closed") for _ in range(2)] == [None, None]
        assert _doc_markdown(server, "acme/locked") is not None  # Its line after the others.
        errors_logged = _lines_with(server, 0, "Cannot pack acme/locked/1", 1)
        assert len(errors_logged) == 1 and "Permission denied" in errors_logged[0]
        lines = _lines_with(server, 0, "Left out the doc", 1)
        assert len(lines) == 1, lines
        assert f"Left out the doc {doc} from the API: it cannot be read (Permission" in lines[0]
        assert "Refused to pack" not in server.access_log()


# --- 2. The parents of the cache folder -------------------------------------------------------


def _folder(path: Path, *, uid: int = 0, gid: int | None = None, mode: int = 0o755) -> Path:
    path.mkdir()
    os.chown(path, uid, os.getgid() if gid is None else gid)
    os.chmod(path, mode)
    return path


@needs_root
@pytest.mark.parametrize("make", [True, False], ids=["made", "missing-in-a-program"])
def test_a_cache_folder_in_a_folder_of_another_user_is_refused(tmp_path, make):
    parent = _folder(tmp_path / "theirs", uid=NOBODY)
    with pytest.raises(errors.ServeConfigError) as raised:
        cache_dir.check_cache_dir(str(parent / "cache"), make=make)
    message = str(raised.value)
    assert f"the folder {parent} above it is owned by " in message
    assert "uid 65534" in message and "could rename the folders below it" in message
    assert raised.value.option == "--cache-dir"
    assert not (parent / "cache").exists()  # Nothing made in their folder.


@needs_root
def test_a_cache_folder_below_a_folder_of_another_user_higher_up_is_refused(tmp_path):
    above = _folder(tmp_path / "theirs", uid=NOBODY)
    mine = _folder(above / "mine")
    with pytest.raises(errors.ServeConfigError, match=f"the folder {above} above it is owned"):
        cache_dir.check_cache_dir(str(mine / "cache"))


@needs_root
@pytest.mark.parametrize(
    ("mode", "group", "why"),
    [
        (0o777, None, "is writable by every user (o+w) without the sticky bit"),
        (0o775, NOBODY, f"is writable by the group {NOBODY} (g+w), not one of this user's"),
    ],
    ids=["o+w", "g+w-not-ours"],
)
def test_a_cache_folder_in_a_folder_strangers_may_write_is_refused(tmp_path, mode, group, why):
    if group is not None and group in (os.getgid(), *os.getgroups()):
        pytest.skip(f"this process is in the group {group}")
    parent = _folder(tmp_path / "shared", gid=group, mode=mode)
    with pytest.raises(errors.ServeConfigError) as raised:
        cache_dir.check_cache_dir(str(parent / "cache"))
    assert f"the folder {parent} above it {why}" in str(raised.value)


@needs_root
@pytest.mark.parametrize(
    ("mode", "group"),
    [(0o1777, None), (0o2775, None), (0o1775, NOBODY)],
    ids=["sticky", "team", "sticky-g+w"],
)
def test_a_cache_folder_in_a_safe_folder_is_taken(tmp_path, mode, group):
    """/tmp (root's, 1777), a team folder of ours (group-writable, our group), and a sticky
    folder anyone may write: no stranger may rename the cache folder there."""
    parent = _folder(tmp_path / "safe", gid=group, mode=mode)
    real = cache_dir.check_cache_dir(str(parent / "cache"))
    assert real == str(parent / "cache") and os.path.isdir(real)


def test_a_cache_folder_made_with_its_parents_below_a_folder_of_ours_is_taken(tmp_path):
    made = cache_dir.check_cache_dir(str(tmp_path / "a" / "b" / "cache"))
    assert os.path.isdir(made)


def test_the_scan_reads_a_doc_of_at_most_max_doc_bytes(tmp_path, monkeypatch, caplog):
    """A doc larger than `settled.MAX_DOC_BYTES` (a file of gigabytes swapped in) is not read
    whole by the scan: it is skipped with a warning naming it."""
    from tfhub.hub import settled

    write_model_doc(tmp_path, "acme/fine/1")
    big = write_model_doc(tmp_path, "acme/big/1", body="x" * 1000)
    monkeypatch.setattr(settled, "MAX_DOC_BYTES", big.stat().st_size - 1)
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        catalog = Catalog.scan(tmp_path)
    assert set(catalog.models) == {"acme/fine"}
    assert "Skipping a doc (not served): assets/docs/acme/models/big/1.md is larger than" in (
        caplog.text
    )


def _bytes_read() -> int:
    """The bytes this process has read so far (Linux's /proc/self/io `rchar`)."""
    with open("/proc/self/io") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("rchar:"))


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="reads /proc/self/io (Linux)")
def test_the_scan_reads_no_more_than_the_bound_of_a_large_doc(tmp_path, monkeypatch):
    """The bound is on the read, not on what is kept: of a doc of 8 MiB, with a bound of 100
    bytes, the scan reads about 100 bytes (a read of the whole file was 8 MiB)."""
    from tfhub.hub import settled

    big = write_model_doc(tmp_path, "acme/big/1")
    with big.open("a") as doc:
        doc.write("x" * (8 << 20))
    monkeypatch.setattr(settled, "MAX_DOC_BYTES", 100)
    before = _bytes_read()
    assert Catalog.scan(tmp_path).models == {}
    assert _bytes_read() - before < 1 << 20


@needs_root
def test_a_user_takes_a_cache_folder_below_roots_folders(tmp_path):
    """For a user who is not root, a parent owned by root (and not writable by others) is
    fine: only another user who is not root is a stranger."""
    shared = Path(tempfile.mkdtemp(prefix="hub47-", dir="/tmp"))
    try:
        os.chmod(shared, 0o711)  # root's; nobody may pass through.
        theirs = _folder(shared / "nobody", uid=NOBODY, gid=NOBODY, mode=0o700)
        wanted = str(theirs / "cache")
        assert run_as_user(cache_dir.check_cache_dir, wanted).result() == wanted
        other = _folder(shared / "other", uid=NOBODY + 1, mode=0o755)
        kind, said = run_as_user(cache_dir.check_cache_dir, str(other / "x" / "cache"))
        assert kind == "raised", said
        expected = f"ServeConfigError: Cannot pack folder versions into {other}/x/cache: the"
        assert said.startswith(expected), said
        assert f"{other} above it is owned by uid {NOBODY + 1}" in said
    finally:
        shutil.rmtree(shared)

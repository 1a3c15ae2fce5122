"""Session 46 (review46's H1, H2, M1, M5): what the hub reads at request time stays inside ROOT.

* M1: `confinement.open_inside` opens the file from a descriptor of the real ROOT, one name at a
  time with `O_NOFOLLOW`, so a folder above the file swapped for a symlink out of ROOT after its
  real path was taken is refused with or without /proc;
* H1: a folder version's model folder (or a folder above it) swapped for a symlink out of ROOT
  after the scan is not packed and sent (404 and one warning);
* H2: the API reads a doc through the same confined open, and measures a folder only inside ROOT;
* M5: the cache of packed archives must be this user's folder, writable by no one else.

The servers are real `tfhub serve` processes (`--rescan 0`: the catalog keeps what it scanned,
so the swap after the start is what the catalog would have accepted only before it)."""

from __future__ import annotations

import io
import logging
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pytest
import requests
from tests._helpers.archives import make_tar_gz
from tests._helpers.hub_server import (
    SRC,
    free_port,
    serve_hub,
    write_model_doc,
    write_model_folder,
    write_publisher,
)

from tfhub import errors
from tfhub.hub import api, archives, cache_dir, confinement

SECRET = b"DB_PASSWORD=hunter2 from outside the hub"
NOBODY = 65534


def _docs(root: Path) -> Path:
    return root / "assets" / "docs"


# --- M1: the walk from the real ROOT, with or without /proc ----------------------------------


def _swap_during_open(monkeypatch, folder: Path, target: Path) -> None:
    """The first `os.open` after this (open_inside's, once its realpath() ran) first replaces
    `folder` by a symlink to `target`: the race made deterministic."""
    real_open = os.open

    def swapping_open(*args, **kwargs):
        monkeypatch.setattr(os, "open", real_open)
        shutil.rmtree(folder)
        folder.symlink_to(target, target_is_directory=True)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(os, "open", swapping_open)


@pytest.mark.parametrize("proc", ["with-proc", "without-proc"])
def test_a_folder_swapped_between_realpath_and_open_is_refused(tmp_path, monkeypatch, caplog, proc):
    """review46 M1: without /proc, the old check stat()ed the real path again after the open,
    through the same swapped symlink, so the inodes matched and the outside file was sent."""
    if proc == "without-proc":
        monkeypatch.setattr(confinement, "_PROC_FD", str(tmp_path / "no-proc"))
    root, outside = tmp_path / "hub", tmp_path / "outside" / "m"
    (root / "m").mkdir(parents=True)
    (root / "m" / "1.tar.gz").write_bytes(b"inside")
    outside.mkdir(parents=True)
    (outside / "1.tar.gz").write_bytes(SECRET)
    _swap_during_open(monkeypatch, root / "m", outside)
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.confinement"):
        fd = confinement.open_inside(root / "m" / "1.tar.gz", root)
    if fd is not None:
        try:
            sent = os.pread(fd, 100, 0)
        finally:
            os.close(fd)
        pytest.fail(f"sent {sent!r}")
    assert (root / "m").is_symlink()  # The swap happened.
    assert f"Refused to send {root / 'm' / '1.tar.gz'}: it became a symlink, or a folder" in (
        caplog.text
    )


@pytest.mark.parametrize("proc", ["with-proc", "without-proc"])
def test_symlinks_that_stay_inside_root_are_opened(tmp_path, monkeypatch, proc):
    """Links are followed once, by realpath: ROOT itself a symlink, a model folder that is a
    symlink to another folder inside ROOT, a file that is a symlink to one inside ROOT."""
    if proc == "without-proc":
        monkeypatch.setattr(confinement, "_PROC_FD", str(tmp_path / "no-proc"))
    real_root = tmp_path / "real-hub"
    (real_root / "a" / "b").mkdir(parents=True)
    (real_root / "a" / "b" / "1.tar.gz").write_bytes(b"inside")
    root = tmp_path / "hub"
    root.symlink_to(real_root, target_is_directory=True)
    (real_root / "alias").symlink_to(real_root / "a", target_is_directory=True)
    (real_root / "file.tar.gz").symlink_to(real_root / "a" / "b" / "1.tar.gz")
    for path in (
        root / "a" / "b" / "1.tar.gz",
        root / "alias" / "b" / "1.tar.gz",
        root / "file.tar.gz",
        real_root / "alias" / "b" / "1.tar.gz",
    ):
        fd = confinement.open_inside(path, root)
        assert fd is not None, path
        try:
            assert os.pread(fd, 100, 0) == b"inside"
        finally:
            os.close(fd)


def test_a_file_in_place_of_a_folder_above_is_refused_and_no_descriptor_leaks(tmp_path, caplog):
    """A folder above the file replaced by a file (ENOTDIR) is refused; a name gone is None;
    every descriptor the walk opened is closed either way."""
    root = tmp_path / "hub"
    (root / "m").mkdir(parents=True)
    (root / "m" / "1.tar.gz").write_bytes(b"inside")
    before = len(os.listdir("/proc/self/fd"))
    real_open = os.open

    def replacing_open(*args, **kwargs):
        os.open = real_open
        shutil.rmtree(root / "m")
        (root / "m").write_bytes(b"a file now")
        return real_open(*args, **kwargs)

    os.open = replacing_open
    try:
        with caplog.at_level(logging.WARNING, logger="tfhub.hub.confinement"):
            assert confinement.open_inside(root / "m" / "1.tar.gz", root) is None
    finally:
        os.open = real_open
    assert "a folder above it is no longer a folder (a file put in its place)" in caplog.text
    assert confinement.open_inside(root / "gone" / "1.tar.gz", root) is None
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_real_path_outside_root_is_refused_before_any_open(tmp_path, caplog):
    (tmp_path / "hub").mkdir()
    (tmp_path / "secret.tar.gz").write_bytes(SECRET)
    (tmp_path / "hub" / "1.tar.gz").symlink_to(tmp_path / "secret.tar.gz")
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.confinement"):
        assert confinement.open_inside(tmp_path / "hub" / "1.tar.gz", tmp_path / "hub") is None
    assert f"its real path {tmp_path / 'secret.tar.gz'} is outside {tmp_path / 'hub'}" in (
        caplog.text
    )


# --- H1 and H2 on a real server --------------------------------------------------------------


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """ROOT (reached through a symlink), a folder outside it holding secrets, and the cache of
    packed folder versions (reached through a symlink)."""
    base = tmp_path_factory.mktemp("conf46")
    real_root, outside = base / "real-hub", base / "outside"
    outside.mkdir()
    (outside / "secret.md").write_bytes(SECRET)
    write_publisher(real_root, "acme", "Acme")
    for handle in ("acme/fold/1", "acme/above/1", "acme/inner/1", "acme/sized/1"):
        write_model_folder(write_model_doc(real_root, handle))
    make_tar_gz(write_model_doc(real_root, "acme/doc/1").with_name("1.tar.gz"))
    root = base / "hub"
    root.symlink_to(real_root, target_is_directory=True)
    (base / "real-cache").mkdir(mode=0o700)
    cache = base / "cache"
    cache.symlink_to(base / "real-cache", target_is_directory=True)
    return {"root": root, "real_root": real_root, "outside": outside, "cache": cache}


@pytest.fixture(scope="module")
def server(places: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    log = tmp_path_factory.mktemp("log46c") / "serve.log"
    options = ["--rescan", "0", "--workers", "1", "--cache-dir", str(places["cache"])]
    with serve_hub(places["root"], log, *options) as running:
        yield running


def _get(server, handle: str) -> requests.Response:
    return requests.get(server.url(f"{handle}?tf-hub-format=compressed"), timeout=30)


def _api(server, path: str) -> dict:
    answer = requests.get(server.url(f"api/{path}"), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _refusals(server, start: int, count: int) -> list[str]:
    """The "Refused to send" lines logged from the log's length `start` on (waiting a moment
    for `count` of them: the worker's line reaches the file a moment after the answer)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [x for x in server.access_log()[start:].splitlines() if "Refused to send" in x]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def _outside_copy(folder: Path, outside: Path, name: str, *, secret_in: str = ".") -> Path:
    """A copy of a folder outside ROOT, with a secret file added (in its folder `secret_in`)."""
    copy = outside / name
    shutil.copytree(folder, copy)
    (copy / secret_in / "assets").mkdir(exist_ok=True)
    (copy / secret_in / "assets" / "secret.txt").write_bytes(SECRET)
    return copy


def _swap(folder: Path, target: Path) -> None:
    shutil.rmtree(folder)
    folder.symlink_to(target, target_is_directory=True)


@pytest.mark.parametrize("swapped", ["version-folder", "model-folder"])
def test_a_folder_version_swapped_for_a_symlink_out_of_root_is_not_packed(server, places, swapped):
    """review46 H1: the outside folder was packed and sent (200, its secret in the tarball)."""
    handle = "acme/fold/1" if swapped == "version-folder" else "acme/above/1"
    version_folder = _docs(places["real_root"]) / handle.replace("/", "/models/", 1)
    assert _get(server, handle).status_code == 200  # Packed once: the cache is in use.
    copy = _outside_copy(version_folder.parent, places["outside"], swapped, secret_in="1")
    named = version_folder if swapped == "version-folder" else version_folder.parent
    _swap(named, copy / "1" if swapped == "version-folder" else copy)
    start = len(server.access_log())
    answer = _get(server, handle)
    assert answer.status_code == 404, answer.status_code
    assert answer.text == f"404 Not Found: {handle} has no model files in this hub.\n"
    assert SECRET not in answer.content
    lines = _refusals(server, start, 1)
    assert len(lines) == 1, lines
    assert "is outside" in lines[0] and "(answered 404)" in lines[0]


def test_a_folder_version_swapped_for_a_symlink_inside_root_is_still_packed(server, places):
    """A model folder replaced by a symlink to a copy of it elsewhere inside ROOT is packed from
    there (ROOT and the cache are themselves reached through symlinks here)."""
    folder = _docs(places["real_root"]) / "acme" / "models" / "inner" / "1"
    first = _get(server, "acme/inner/1")
    assert first.status_code == 200
    copy = places["real_root"] / "elsewhere" / "1"
    shutil.copytree(folder, copy, copy_function=shutil.copy2)
    _swap(folder, copy)
    again = _get(server, "acme/inner/1")
    assert again.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(again.content)) as tar:
        assert "saved_model.pb" in tar.getnames()
    assert again.content == first.content  # The same files (copy2 keeps the mtimes).


def test_the_api_reads_a_doc_swapped_for_a_symlink_out_of_root_as_no_doc(server, places):
    """review46 H2: /api/models/<handle> and /api/publishers/<name> returned the outside
    file's text as doc_markdown."""
    docs = _docs(places["real_root"])
    model_doc = docs / "acme" / "models" / "doc" / "1.md"
    assert "A small model." in _api(server, "models/acme/doc")["versions"][0]["doc_markdown"]
    assert _api(server, "publishers/acme")["doc_markdown"].startswith("# Publisher acme")
    start = len(server.access_log())
    for doc in (model_doc, docs / "acme" / "acme.md"):
        doc.unlink()
        doc.symlink_to(places["outside"] / "secret.md")
    model = requests.get(server.url("api/models/acme/doc"), timeout=30)
    publisher = requests.get(server.url("api/publishers/acme"), timeout=30)
    assert model.status_code == publisher.status_code == 200
    assert b"hunter2" not in model.content and b"hunter2" not in publisher.content
    assert model.json()["versions"][0]["doc_markdown"] is None
    assert publisher.json()["doc_markdown"] is None
    lines = _refusals(server, start, 2)
    assert len(lines) == 2 and all("is outside" in line for line in lines), lines


def test_the_api_gives_no_size_for_a_folder_swapped_for_a_symlink_out_of_root(server, places):
    """review46 H2: folder_size() measured the outside folder the symlink led to."""
    folder = _docs(places["real_root"]) / "acme" / "models" / "sized" / "1"
    size = _api(server, "models/acme/sized")["versions"][0]["size_bytes"]
    assert size == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    copy = _outside_copy(folder, places["outside"], "sized")
    (copy / "assets" / "big.bin").write_bytes(b"\0" * 12345)
    _swap(folder, copy)
    start = len(server.access_log())
    assert _api(server, "models/acme/sized")["versions"][0]["size_bytes"] is None
    lines = _refusals(server, start, 1)
    assert len(lines) == 1 and "(its size left out)" in lines[0], lines


def test_the_api_reads_a_doc_of_at_most_max_doc_bytes(tmp_path, monkeypatch, caplog):
    """The API reads a doc at request time bounded (a file of gigabytes swapped in since the
    scan is not read whole): a larger one gives no doc_markdown, with a warning."""
    write_publisher(tmp_path, "acme", "Acme")
    doc = write_model_doc(tmp_path, "acme/emb/1")
    from tfhub.hub.catalog import Catalog

    version = Catalog.scan(tmp_path).models["acme/emb"].versions[1]
    size = doc.stat().st_size
    monkeypatch.setattr(api, "MAX_DOC_BYTES", size)
    assert api.doc_text(version, root=tmp_path) == doc.read_text()
    monkeypatch.setattr(api, "MAX_DOC_BYTES", size - 1)
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.api"):
        assert api.doc_text(version, root=tmp_path) is None
    assert f"Left out the doc {doc} from the API: it is larger than" in caplog.text


def test_a_model_folder_swapped_after_the_fingerprint_is_not_packed(tmp_path, monkeypatch, caplog):
    """The folder's real path is checked again right before it is packed (under the lock): a
    model folder swapped for a symlink out of ROOT while the fingerprint was taken is refused,
    and nothing is written into the cache."""
    root, cache = tmp_path / "hub", tmp_path / "cache"
    folder = write_model_folder(write_model_doc(root, "acme/race/1"))
    copy = _outside_copy(folder.parent, tmp_path / "outside", "race", secret_in="1")
    real_fingerprint = archives.fingerprint

    def swapping_fingerprint(path: Path) -> str:
        name = real_fingerprint(path)
        _swap(folder.parent, copy)
        return name

    monkeypatch.setattr(archives, "fingerprint", swapping_fingerprint)
    with caplog.at_level(logging.WARNING, logger="tfhub.hub.confinement"):
        assert archives.packed_archive(folder, cache_dir=str(cache), root=str(root)) is None
    assert folder.parent.is_symlink()
    assert not list(cache.glob("*.tar.gz"))
    assert f"Refused to send {folder}: its real path {copy / '1'} is outside" in caplog.text


def test_the_pages_sizes_are_measured_inside_the_versions_own_root(tmp_path):
    """`version_size` without `root` (the pages call it so) bounds the folder by the version's
    own ROOT (the folder above its assets/docs)."""
    from tfhub.hub.catalog import Catalog

    folder = write_model_folder(write_model_doc(tmp_path / "hub", "acme/emb/1"))
    version = Catalog.scan(tmp_path / "hub").models["acme/emb"].versions[1]
    assert api.version_size(version) == sum(
        p.stat().st_size for p in folder.rglob("*") if p.is_file()
    )
    _swap(folder, _outside_copy(folder, tmp_path / "outside", "emb"))
    assert api.version_size(version) is None


# --- M5: the cache of packed archives is this user's own -------------------------------------


def test_a_cache_dir_of_another_user_is_refused(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, NOBODY, NOBODY)  # The tests run as root here.
    with pytest.raises(errors.ServeConfigError) as caught:
        cache_dir.check_cache_dir(str(cache))
    message = str(caught.value)
    assert f"Cannot pack folder versions into {cache}: it is owned by " in message
    assert f"uid {NOBODY}" in message and "mode 0700" in message
    assert "mkdir -m 700" in message and caught.value.option == "--cache-dir"


@pytest.mark.parametrize("mode", [0o777, 0o702, 0o1777])
def test_a_cache_dir_others_may_write_into_is_refused(tmp_path, mode):
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chmod(cache, mode)
    with pytest.raises(errors.ServeConfigError) as caught:
        cache_dir.check_cache_dir(str(cache))
    assert f"mode {stat.S_IMODE(mode):04o}" in str(caught.value)
    assert f"'chmod o-w {cache}'" in str(caught.value)


@pytest.mark.parametrize("mode", [0o700, 0o755, 0o711])
def test_a_cache_dir_of_this_user_writable_by_no_one_else_is_taken(tmp_path, mode):
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chmod(cache, mode)
    cache_dir.check_cache_dir(str(cache))


def test_the_default_cache_dir_is_made_0700(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    made = cache_dir.default_cache_dir(str(tmp_path / "hub"))
    assert made == str(tmp_path / f"tfhub-serve-{os.getuid()}")
    old = os.umask(0)  # Even with a umask that takes nothing away.
    try:
        cache_dir.check_cache_dir(made)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(made).st_mode) == 0o700


def test_serve_refuses_a_default_cache_dir_another_user_made_first(tmp_path):
    """review46 M5: another local user could make /tmp/tfhub-serve-<uid> first (mode 0777) and
    plant the archive of any folder version; `tfhub serve` exits 2 naming it (a process: before
    the fix it served, and is stopped after the timeout)."""
    root = tmp_path / "hub"
    write_publisher(root, "acme", "Acme")
    planted = tmp_path / f"tfhub-serve-{os.getuid()}"  # The default with TMPDIR=tmp_path.
    planted.mkdir()
    os.chmod(planted, 0o777)
    os.chown(planted, NOBODY, NOBODY)
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    argv = ["serve", str(root), "--port", str(free_port()), "--rescan", "0"]
    env = dict(os.environ, PYTHONPATH=SRC, TMPDIR=str(tmp_path))
    env.pop("TFHUB_SERVE_SETTINGS", None)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *argv], env=env, capture_output=True, timeout=30
        )
    except subprocess.TimeoutExpired:  # run() killed it.
        pytest.fail("tfhub serve started with the planted cache folder")
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert f"Cannot pack folder versions into {planted}: it is owned by " in err
    assert "mode 0777" in err and "Traceback" not in err

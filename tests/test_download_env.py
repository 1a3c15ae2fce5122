"""Downloads and the environment: TLS (CA bundle, TFHUB_DISABLE_CERT_VALIDATION), progress
bars, a full disk and a read-only cache (real tmpfs mounts, when the test may mount)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import pytest
from tests._helpers import mounts
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import archive_gets, enable_tls

import tfhub as hub
from tfhub import errors, handles
from tfhub.utils import progress


def test_tls_needs_a_trusted_certificate(
    server, served_dir, certificate, monkeypatch, isolated_cache
):
    make_tar_gz(served_dir / "m.tar.gz")
    base = enable_tls(server, *certificate)
    with pytest.raises(errors.DownloadError, match="certificate verification failed"):
        hub.resolve(base + "m.tar.gz")
    assert [n for n in os.listdir(isolated_cache) if n != ".locks"] == []
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    assert read_tree(hub.resolve(base + "m.tar.gz")) == MODEL_FILES


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "CURL_CA_BUNDLE"])
def test_ca_bundle_from_other_variables(server, served_dir, certificate, monkeypatch, variable):
    make_tar_gz(served_dir / "m.tar.gz")
    base = enable_tls(server, *certificate)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, certificate[0])
    assert read_tree(hub.resolve(base + "m.tar.gz")) == MODEL_FILES


def test_disable_cert_validation_true(server, served_dir, certificate, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz")
    base = enable_tls(server, *certificate)
    for other in ("True", "1", " true"):  # Upstream compares with "true" exactly.
        monkeypatch.setenv("TFHUB_DISABLE_CERT_VALIDATION", other)
        with pytest.raises(errors.DownloadError, match="certificate verification failed"):
            hub.resolve(base + "m.tar.gz")
    monkeypatch.setenv("TFHUB_DISABLE_CERT_VALIDATION", "true")
    assert read_tree(hub.resolve(base + "m.tar.gz")) == MODEL_FILES


def test_progress_bar_switches(monkeypatch, server, served_dir):
    monkeypatch.setattr(progress, "_override", None)
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    assert progress.are_progress_bars_enabled()
    hub.disable_progress_bars()
    assert not progress.are_progress_bars_enabled()
    hub.enable_progress_bars()
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "0")
    assert progress.are_progress_bars_enabled()  # The function wins over the variable.
    monkeypatch.setattr(progress, "_override", None)
    assert not progress.are_progress_bars_enabled()
    monkeypatch.delenv("TFHUB_DOWNLOAD_PROGRESS")
    assert not progress.are_progress_bars_enabled()  # pytest's stderr is not a terminal.


def test_progress_bar_counts_downloaded_bytes(monkeypatch, server, served_dir):
    from tqdm import tqdm

    archive = make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    bars = []

    class Recording(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["file"] = io.StringIO()
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(progress, "_override", None)
    real = progress.download_bar
    monkeypatch.setattr(
        progress, "download_bar", lambda **kw: real(**{**kw, "tqdm_class": Recording})
    )
    hub.resolve(server.url("m.tar.gz"))
    (bar,) = bars
    assert bar.n == os.path.getsize(archive) == bar.total
    assert "Downloading http://127.0.0.1" in bar.desc
    make_tar_gz(served_dir / "m2.tar.gz")  # Not cached: the URL without credentials keys it.
    hub.resolve(server.url("m2.tar.gz").replace("http://", "http://u:hunter2@"))
    assert "hunter2" not in bars[1].desc and "http://***@127.0.0.1" in bars[1].desc


def test_a_broken_progress_stream_does_not_fail_the_download(server, served_dir, tmp_path):
    """`tfhub resolve URL 2>&1 | head -1`: once the reader has gone, drawing the bar raised
    BrokenPipeError, and the download failed with it."""
    make_tar_gz(served_dir / "m.tar.gz", {"saved_model.pb": os.urandom(2_000_000)})
    script = (
        "import sys, tfhub as hub; "
        f"sys.stdout.write(hub.resolve({server.url('m.tar.gz')!r}) + '\\n')"
    )
    env = {**os.environ, "TFHUB_DOWNLOAD_PROGRESS": "1", "TFHUB_CACHE_DIR": str(tmp_path / "c")}
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    child.stderr.close()  # The reader of stderr goes away before the bar is drawn.
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0
    folder = out.decode().strip()
    assert folder.startswith(str(tmp_path / "c")) and os.path.isfile(f"{folder}/saved_model.pb")


@pytest.fixture
def tmpfs(tmp_path):
    """Mounts a 1 MB tmpfs at tmp_path/fs (skips if this process may not mount)."""
    with mounts.tmpfs(tmp_path / "fs", "size=1m") as mount_point:
        yield mount_point


def test_full_disk_is_a_clear_error_and_leaves_nothing(server, served_dir, tmpfs, monkeypatch):
    make_tar_gz(served_dir / "big.tar.gz", {"saved_model.pb": os.urandom(3_000_000)})
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmpfs / "cache"))
    with pytest.raises(errors.DiskFullError, match="No space left on device") as info:
        hub.resolve(server.url("big.tar.gz"))
    assert server.url("big.tar.gz") in str(info.value)
    assert str(info.value).count("Free space") == 1  # What to do, said once.
    assert info.value.remedy is not None and info.value.remedy in str(info.value)
    assert "TFHUB_CACHE_DIR" in info.value.remedy
    assert info.value.path == str(tmpfs / "cache")
    assert sorted(os.listdir(tmpfs / "cache")) == [".locks"]
    assert os.listdir(tmpfs / "cache" / ".locks") == []  # No leftover lock either.
    make_tar_gz(served_dir / "small.tar.gz")
    assert read_tree(hub.resolve(server.url("small.tar.gz"))) == MODEL_FILES


def test_a_disk_full_before_the_download_leaves_no_lock_file(
    server, served_dir, tmpfs, monkeypatch
):
    # Not even tensorflow_hub's lock file (its 60 bytes do not fit): an empty one left behind
    # would make tensorflow_hub, and tfhub, wait for a download nobody runs.
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmpfs / "cache"))
    os.makedirs(tmpfs / "cache")
    filler = tmpfs / "filler"
    with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"x" * 4096)
    with pytest.raises(errors.DiskFullError):
        hub.resolve(server.url("m.tar.gz"))
    assert sorted(os.listdir(tmpfs / "cache")) == [".locks"]
    os.remove(filler)
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES
    assert not any(name.endswith(".lock") for name in os.listdir(tmpfs / "cache"))


def test_read_only_cache_serves_reads(server, served_dir, tmpfs, monkeypatch):
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmpfs / "cache"))
    cached = hub.resolve(server.url("m.tar.gz"))
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    assert hub.resolve(server.url("m.tar.gz")) == cached
    assert read_tree(cached) == MODEL_FILES
    with pytest.raises(errors.CacheError, match="read-only"):
        hub.resolve(server.url("other.tar.gz"))
    assert len(archive_gets(server, "m.tar.gz")) == 1


def test_http_proxy_from_environment(server, served_dir, monkeypatch, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("HTTP_PROXY", server.url())  # The test server acts as the proxy.
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    handle = "http://models.example.invalid/m.tar.gz"  # Unresolvable: only a proxy can reach it.
    path = hub.resolve(handle)
    assert read_tree(path) == MODEL_FILES
    (request,) = server.state.requests
    assert request[1] == handle + "?tf-hub-format=compressed"  # Absolute URI: a proxy request.


def test_redirects_are_followed(server, served_dir):
    make_tar_gz(served_dir / "real.tar.gz")

    def redirect(handler, path, query):
        if not path.endswith("/old/m"):
            return False
        handler.send_response(302)
        handler.send_header("Location", "/real.tar.gz")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    server.state.behaviours.append(redirect)
    assert read_tree(hub.resolve(server.url("old/m"))) == MODEL_FILES


def test_console_script_keeps_stdout_for_the_folder(server, served_dir, isolated_cache):
    import sys

    make_tar_gz(served_dir / "m.tar.gz")
    env = dict(os.environ, TFHUB_DOWNLOAD_PROGRESS="1")
    result = subprocess.run(
        [sys.executable, "-m", "tfhub.cli.main", "resolve", server.url("m.tar.gz")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    expected = os.path.join(isolated_cache, handles.cache_key(server.url("m.tar.gz")))
    assert result.stdout == expected + "\n"
    assert "Downloading http://127.0.0.1" in result.stderr  # The progress bar, on stderr.


def test_full_disk_while_writing_bookkeeping_names_the_file(tmpfs, monkeypatch):
    from tfhub import cache
    from tfhub.download import atomic_download

    root = tmpfs / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))

    def fetch_then_fill_the_disk(target):
        for name, data in MODEL_FILES.items():
            os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
            open(os.path.join(target, name), "wb").write(data)
        filler = os.open(tmpfs / "filler", os.O_WRONLY | os.O_CREAT)  # The disk fills up.
        try:
            while os.write(filler, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(filler)

    with pytest.raises(errors.DiskFullError, match="disk is full") as info:
        atomic_download("h", fetch_then_fill_the_disk)
    assert str(info.value).count("Free space") == 1  # What to do, said once.
    assert info.value.path == cache.descriptor_path(cache.module_dir("h"))
    assert str(info.value.path) in str(info.value)
    assert sorted(os.listdir(root)) == [".locks"]  # No orphan descriptor, manifest or .part.
    os.remove(tmpfs / "filler")
    path = atomic_download("h", lambda target: make_tar_gz(os.path.join(target, "m.tar")))
    assert cache.is_complete(path)  # With room again, the next try installs it.


def test_full_disk_while_replacing_an_entry_keeps_its_bookkeeping(tmpfs, monkeypatch):
    """A replacement (`tfhub import --force`) failing on a full disk as it wrote the new
    descriptor removed the kept entry's descriptor and manifest: `cache list` lost its handle,
    `verify --deep` its hashes, and resolves its damage detection."""
    from tfhub import cache
    from tfhub.download import atomic_download

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmpfs / "cache"))
    path = atomic_download("h", lambda target: make_tar_gz(os.path.join(target, "m.tar")))
    before = {name: (tmpfs / "cache" / name).read_bytes() for name in _bookkeeping(path)}

    def fetch_then_fill_the_disk(target):
        open(os.path.join(target, "saved_model.pb"), "wb").write(b"new")
        with open(tmpfs / "filler", "wb", buffering=0) as out, contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 4096)

    with pytest.raises(errors.DiskFullError):
        atomic_download("h", fetch_then_fill_the_disk, replace=True)
    assert {name: (tmpfs / "cache" / name).read_bytes() for name in _bookkeeping(path)} == before
    assert sorted(os.listdir(tmpfs / "cache")) == sorted([".locks", *before, path[-40:]])
    assert cache.deep_damage(path) == (None, True)  # Its hashes are still there, and match.


def _bookkeeping(module_path):
    name = os.path.basename(module_path)
    return [name + ".descriptor.txt", name + ".manifest.json"]


def test_a_disk_too_full_to_create_the_cache_folder_is_a_disk_full_error(
    server, served_dir, tmp_path, monkeypatch
):
    """It was a plain CacheError ("[Errno 28] No space left on device: ...") without the
    remedy, where every other full disk is a DiskFullError saying what to do."""
    make_tar_gz(served_dir / "m.tar.gz")
    with mounts.tmpfs(tmp_path / "fs", "size=1m,nr_inodes=3") as disk:
        for name in ("a", "b"):  # With the root folder, every inode of the disk.
            (disk / name).write_bytes(b"")
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(disk / "cache"))
        with pytest.raises(errors.DiskFullError, match="the disk is full") as info:
            hub.resolve(server.url("m.tar.gz"))
        assert info.value.remedy is not None and str(info.value).count("Free space") == 1
        assert info.value.path == str(disk / "cache") and sorted(os.listdir(disk)) == ["a", "b"]


def test_rm_on_a_read_only_file_system_says_so(capsys, server, served_dir, tmpfs, monkeypatch):
    """`tfhub cache rm` on a cache mounted read-only told to check the folder's permissions
    and attributes (`ls -ld`, `lsattr -d`), which are fine: the mount is what refuses."""
    from tfhub.cli.main import main

    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmpfs / "cache"))
    cached = hub.resolve(server.url("m.tar.gz"))
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    assert main(["cache", "rm", server.url("m.tar.gz")]) == 6
    err = capsys.readouterr().err
    assert "is on a file system mounted read-only" in err and "lsattr" not in err, err
    assert err.count("\n") == 1 and read_tree(cached) == MODEL_FILES


def test_env_var_tables_are_generated_from_constants():
    from pathlib import Path

    from tfhub import constants

    table = constants.env_table_markdown()
    root = Path(__file__).parent.parent
    for doc in ("README.md", "docs/resolving.md"):
        text = (root / doc).read_text()
        assert table in text, f"{doc}: paste the output of `python -m tfhub.constants`"
    from tests._helpers.python_process import child_env

    printed = subprocess.run(  # The command docs/resolving.md gives (it gave a test file's path,
        [sys.executable, "-m", "tfhub.constants"],  # which needs PYTHONPATH=. to run).
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=True,
    )
    assert printed.stdout == table
    documented = {name for var in constants.ENV_VARS for name in var.name.split(", ")}
    defined = {
        value
        for name, value in vars(constants).items()
        if name.isupper() and isinstance(value, str) and value.startswith(("TFHUB_", "TF_"))
    }
    assert defined <= documented  # Every variable in constants.py is in the table.


def test_a_misspelt_variable_is_named_once(server, served_dir, isolated_cache, monkeypatch, caplog):
    """`TF_HUB_CACHE_DIR=/data` (or `tfhub_cache_dir`, the absl flag's name) was ignored in
    silence: models went to the temporary folder and were downloaded again after a reboot."""
    from tfhub import settings_warnings

    monkeypatch.setattr(settings_warnings, "_misspelt_checked", False)
    for name in ("TF_HUB_CACHE_DIR", "tfhub_cache_dir", "TFHUB_OFFLINE_MODE", "TFHUB_UNRELATED"):
        monkeypatch.setenv(name, "/data")
    make_tar_gz(served_dir / "m.tar.gz")
    with caplog.at_level("WARNING", logger="tfhub"):
        assert hub.resolve(server.url("m.tar.gz")).startswith(str(isolated_cache))
        hub.resolve(server.url("m.tar.gz"))
    warned = sorted(r.getMessage() for r in caplog.records if r.name == "tfhub")
    assert warned == [
        f"The environment variable {name} is set, but tfhub reads no such variable: rename it "
        f"to {meant} (names are exact), or unset it."
        for name, meant in [
            ("TFHUB_OFFLINE_MODE", "TFHUB_OFFLINE"),
            ("TF_HUB_CACHE_DIR", "TFHUB_CACHE_DIR"),
            ("tfhub_cache_dir", "TFHUB_CACHE_DIR"),
        ]
    ]

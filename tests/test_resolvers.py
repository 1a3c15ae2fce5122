"""Resolvers end to end against a real local server: handle forms, load formats, registry."""

from __future__ import annotations

import json
import logging
import os
import shutil

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree, tensorflow_hub_entry
from tests._helpers.http_server import archive_gets, redirect_to, see_other
from tests._helpers.python_process import child_env, run_python
from tests._helpers.upstream_records import record

import tfhub as hub
from tfhub import cache, constants, errors, handles, resolvers
from tfhub.resolvers import gcs, http_uncompressed


def test_local_folder_returned_as_is(tmp_path):
    assert hub.resolve(str(tmp_path)) == str(tmp_path)
    assert hub.resolve(f"file://{tmp_path}") == str(tmp_path)


def test_each_resolve_is_logged_at_debug_level_with_credentials_hidden(server, served_dir, caplog):
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz").replace("http://", "http://user:s3cret@")
    caplog.set_level("DEBUG", logger="tfhub.resolvers.base")
    path = hub.resolve(handle)
    assert hub.resolve(handle) == path  # The second time from the cache.
    logged = [r.getMessage() for r in caplog.records if r.name == "tfhub.resolvers.base"]
    assert len(logged) == 2 and all(line.endswith(f" to {path}") for line in logged)
    assert "s3cret" not in " ".join(logged) and "HttpCompressedResolver resolved" in logged[0]


def test_missing_local_path_names_it(tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(errors.ModelNotFoundError, match=f"{missing} does not exist.") as info:
        hub.resolve(missing)
    assert isinstance(info.value, IOError)


def test_http_archive_into_cache(server, served_dir, isolated_cache):
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    path = hub.resolve(handle)
    assert path == os.path.join(isolated_cache, handles.cache_key(handle))
    assert read_tree(path) == MODEL_FILES
    descriptor = open(path + ".descriptor.txt").read()
    assert descriptor.startswith(f"Module: {handle}\nDownload Time: ")
    assert "Downloader Hostname: " in descriptor and f"(PID:{os.getpid()})" in descriptor
    assert hub.resolve(handle) == path  # Cached: no second download.
    assert len(archive_gets(server, "m.tar.gz")) == 1


@pytest.mark.parametrize("archive", ["m.tar", "m.tgz"])
def test_plain_tar_and_tgz(server, served_dir, archive):
    make_tar_gz(served_dir / archive, compression="" if archive.endswith(".tar") else "gz")
    assert read_tree(hub.resolve(server.url(archive))) == MODEL_FILES


def test_hosting_protocol_query_merged_and_not_hashed(server, served_dir, isolated_cache):
    (served_dir / "models" / "m").mkdir(parents=True)
    make_tar_gz(served_dir / "models" / "m" / "1.tar.gz")
    handle = server.url("models/m/1?x=y")
    path = hub.resolve(handle)
    assert os.path.basename(path) == handles.cache_key(handle)
    (request,) = archive_gets(server, "models/m/1")
    assert request[1] == "/models/m/1?x=y&tf-hub-format=compressed"
    assert read_tree(path) == MODEL_FILES


def test_kaggle_endpoint_setting_is_checked_and_trimmed(server, served_dir, monkeypatch):
    """A value with a space after it (from a .env file) was taken for a bad redirect; one
    without a scheme blamed the handle; one with a query had the model's path put into it."""
    folder = served_dir / "models/o/m/frameworks/TensorFlow2/variations/v/versions"
    folder.mkdir(parents=True)
    make_tar_gz(folder / "1.tar.gz")
    handle = "https://www.kaggle.com/models/o/m/TensorFlow2/v/1"
    monkeypatch.setenv(constants.TFHUB_KAGGLE_ENDPOINT, f" {server.url()} ")
    assert read_tree(hub.resolve(handle)) == MODEL_FILES
    host = server.url().split("://")[1].rstrip("/")
    bad = [host, f"{server.url()}?x=1", "http:///models", "ftp://h", "http://h:port", "http://h:0"]
    bad += ["https://www.kaggle.com?", "https://www.kaggle.com#", "https://www.kag\tgle.com"]
    for value in bad:
        monkeypatch.setenv(constants.TFHUB_KAGGLE_ENDPOINT, value)
        with pytest.raises(errors.SettingError, match="TFHUB_KAGGLE_ENDPOINT must be an") as info:
            hub.resolve(handle.replace("/1", "/2"))
        assert isinstance(info.value, ValueError) and f"Received: {value!r}" in str(info.value)


def test_kaggle_forms_share_one_entry(server, served_dir, monkeypatch, isolated_cache):
    monkeypatch.setenv(constants.TFHUB_KAGGLE_ENDPOINT, server.url())
    folder = served_dir / "models/owner/mod/frameworks/TensorFlow2/variations/v/versions"
    folder.mkdir(parents=True)
    make_tar_gz(folder / "2.tar.gz")
    short = "https://www.kaggle.com/models/owner/mod/tensorFlow2/v/2"  # As model pages write it.
    # As tfhub.dev redirects to it.
    long_ = (
        "https://www.kaggle.com/models/owner/mod/frameworks/TensorFlow2/variations/v/versions/2"
        "?tfhub-redirect=true"
    )
    first = hub.resolve(long_)
    assert first == os.path.join(isolated_cache, handles.cache_key(short))
    assert hub.resolve(short) == first
    assert hub.resolve(short.replace("tensorFlow2", "TensorFlow2")) == first
    (request,) = archive_gets(server, "versions/2")
    assert request[1] == (
        "/models/owner/mod/frameworks/TensorFlow2/variations/v/versions/2?tf-hub-format=compressed"
    )
    assert open(first + ".descriptor.txt").readline() == f"Module: {short}\n"


def test_upstream_cache_is_read_without_network(upstream_copy, monkeypatch):
    record = json.loads((upstream_copy / "cache_0.15.json").read_text())
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(upstream_copy / "cache_0.15"))
    for entry in record["entries"]:  # Port 43187 is closed: any request would fail.
        path = hub.resolve(entry["handle"])
        assert path == str(upstream_copy / "cache_0.15" / entry["folder"])
        files = {f["path"] for f in entry["files"] if f["type"] == "file"}
        assert set(cache.list_files(path)) == files
    assert not any(
        name.endswith(".manifest.json") for name in os.listdir(upstream_copy / "cache_0.15")
    )


def test_a_path_with_spaces_around_it_says_so(tmp_path):
    """A pasted path with a space before or after it read "/x/model does not exist." (the
    space invisible in the message)."""
    model = tmp_path / "model"
    model.mkdir()
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve(f" {model}")
    assert str(caught.value) == (
        f"' {model}' does not exist: the path has spaces around it. Did you mean '{model}'?"
    )
    with pytest.raises(errors.ModelNotFoundError, match="mind the spaces around it"):
        hub.resolve(f"{tmp_path / 'other'} ")


def test_a_path_starting_with_a_tilde_offers_the_home_folders(tmp_path, monkeypatch):
    """Python does not expand `~` (nor did upstream): "~/models/x does not exist." left the
    user to guess why, since the shell finds the folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "models" / "x").mkdir(parents=True)
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve("~/models/x")
    assert str(caught.value) == (
        "~/models/x does not exist: a program does not expand ~ as a shell does. Did you mean "
        f"'{tmp_path / 'models' / 'x'}' (os.path.expanduser)?"
    )
    with pytest.raises(errors.ModelNotFoundError, match=r"^~/models/y does not exist\.$"):
        hub.resolve("~/models/y")


def test_a_quoted_path_says_the_quotes_are_part_of_it(tmp_path):
    """A path pasted with its shell quotes, `hub.load("'/x/model'")`, said only that it does
    not exist."""
    model = tmp_path / "model"
    model.mkdir()
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve(f"'{model}'")
    assert str(caught.value) == (
        f"'{model}' does not exist: the quote marks around it are part of the path; remove "
        f"them: {model} exists."
    )
    with pytest.raises(errors.ModelNotFoundError, match=r"part of the path; remove them\.$"):
        hub.resolve(f'"{tmp_path / "other"}"')


def test_a_path_with_an_environment_variable_offers_it_expanded(tmp_path, monkeypatch):
    """Python does not expand `$VAR` (nor did upstream), so `hub.load("$MODELS/x")` said only
    "does not exist", while the shell finds the folder."""
    monkeypatch.setenv("MODELS", str(tmp_path))
    (tmp_path / "x").mkdir()
    for handle in ("$MODELS/x", "${MODELS}/x"):
        with pytest.raises(errors.ModelNotFoundError) as caught:
            hub.resolve(handle)
        assert str(caught.value) == (
            f"{handle} does not exist: a program does not expand environment variables as a "
            f"shell does (os.path.expandvars). Did you mean '{tmp_path / 'x'}'?"
        )
    with pytest.raises(errors.ModelNotFoundError, match=r"\(os.path.expandvars\)\.$"):
        hub.resolve("$MODELS/y")


def test_a_url_without_its_scheme_offers_the_url(server, served_dir, tmp_path, monkeypatch):
    """A URL pasted without `https://` (or with `http:/`, `https//`) was taken for a local path:
    "tfhub.dev/google/x/1 does not exist." The offered URL is the one that works."""
    monkeypatch.chdir(tmp_path)
    make_tar_gz(served_dir / "m.tar.gz")
    address = server.url("m.tar.gz").removeprefix("http://")
    offered = []
    for handle in (address, f"http:/{address}", f"http//{address}", f"HTTP:{address}"):
        with pytest.raises(
            errors.ModelNotFoundError, match=r"If it is a URL, write it as '(.*)'\.$"
        ) as caught:
            hub.resolve(handle)
        assert str(caught.value).startswith(f"{handle} does not exist. ")
        offered.append(str(caught.value).split("write it as ")[1][1:-2])
    assert offered == [f"http://{address}"] * 4
    assert read_tree(hub.resolve(offered[0])) == MODEL_FILES
    with pytest.raises(
        errors.ModelNotFoundError, match="write it as 'https://tfhub.dev/google/x/1'"
    ):
        hub.resolve("tfhub.dev/google/x/1")
    with pytest.raises(errors.ModelNotFoundError, match="write it as 'gs://bucket/m'"):
        hub.resolve("gs:/bucket/m")
    for relative in ("https/m", "models.v2/m", "model.tar.gz", "$5 model"):
        with pytest.raises(errors.ModelNotFoundError, match=r" does not exist\.$"):
            hub.resolve(relative)


def test_a_model_handle_without_its_site_offers_the_url(
    server, served_dir, tmp_path, monkeypatch, isolated_cache
):
    """kagglehub's handle (`owner/model/framework/variation/version`) or a tfhub.dev path as its
    pages listed it, passed to hub.load, was "does not exist." The offered URL is the one that
    works."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(constants.TFHUB_KAGGLE_ENDPOINT, server.url())
    folder = served_dir / "models/owner/mod/frameworks/TensorFlow2/variations/v/versions"
    folder.mkdir(parents=True)
    make_tar_gz(folder / "2.tar.gz")
    with pytest.raises(errors.ModelNotFoundError) as caught:
        hub.resolve("owner/mod/TensorFlow2/v/2")
    message = str(caught.value)
    assert message.startswith("owner/mod/TensorFlow2/v/2 does not exist. If it is a Kaggle ")
    offered = message.split("write it as ")[1][1:-2]
    assert offered == "https://www.kaggle.com/models/owner/mod/TensorFlow2/v/2"
    assert read_tree(hub.resolve(offered)) == MODEL_FILES
    with pytest.raises(errors.ModelNotFoundError, match=r"/owner/mod/keras/v/VERSION' with the "):
        hub.resolve("owner/mod/keras/v")
    with pytest.raises(
        errors.ModelNotFoundError,
        match=r"tfhub.dev model, write it as 'https://tfhub.dev/google/imagenet/m_100/feature_vector/5'",
    ):
        hub.resolve("google/imagenet/m_100/feature_vector/5")
    for relative in ("models/m", "./google/m/1", "../google/m/1", "google/m/v1", "m/1"):
        with pytest.raises(errors.ModelNotFoundError, match=r" does not exist\.$"):
            hub.resolve(relative)


def test_each_signature_of_a_signed_url_finds_one_cache_entry(
    server, served_dir, isolated_cache, monkeypatch
):
    """A presigned URL expires and is signed anew: hashed as given (upstream's key), each new
    signature downloaded the model again into one more entry. The signature's parameters are
    left out of the key; a parameter that names the object (S3's versionId) is not."""
    make_tar_gz(served_dir / "m.tar.gz")
    base = server.url("m.tar.gz")
    first = hub.resolve(f"{base}?X-Amz-Date=20261202T000000Z&X-Amz-Expires=60&X-Amz-Signature=a1")
    again = hub.resolve(f"{base}?X-Amz-Date=20261202T010000Z&X-Amz-Expires=60&X-Amz-Signature=b2")
    assert again == first == os.path.join(isolated_cache, handles.cache_key(base))
    assert len(archive_gets(server, "m.tar.gz")) == 1
    descriptor = open(first + ".descriptor.txt").read()
    assert descriptor.startswith(f"Module: {base}\n") and "Signature" not in descriptor
    monkeypatch.setenv("TFHUB_OFFLINE", "1")  # The signature expired: the cache still answers.
    assert hub.resolve(f"{base}?X-Amz-Signature=c3") == first
    azure = f"{base}?sv=2022-11-02&sp=r&se=2026-12-03T00:00:00Z&sr=b&sig=Zm9v"
    assert hub.resolve(azure) == first
    monkeypatch.delenv("TFHUB_OFFLINE")
    versioned = hub.resolve(f"{base}?versionId=7&X-Amz-Signature=d4")
    assert versioned != first and len(archive_gets(server, "m.tar.gz")) == 2
    assert handles.cache_handle(f"{base}?signatures=1") == f"{base}?signatures=1"  # Not signed.


def test_a_signed_url_cached_by_tensorflow_hub_is_found_under_its_key(
    server, served_dir, isolated_cache
):
    """tensorflow_hub hashed the signed URL as given; that entry is still found."""
    signed = server.url("m.tar.gz") + "?X-Amz-Signature=a1"
    upstream_entry = tensorflow_hub_entry(isolated_cache, signed)
    assert hub.resolve(signed) == upstream_entry
    assert archive_gets(server, "m.tar.gz") == []


def test_a_url_with_credentials_cached_as_given_is_found_under_its_key(
    server, served_dir, isolated_cache
):
    """tensorflow_hub (and tfhub before it hashed URLs without their credentials) keyed the URL
    with its user name and password: that entry is still found, not downloaded again."""
    with_password = server.url("m.tar.gz").replace("http://", "http://alice:s3cret@")
    upstream_entry = tensorflow_hub_entry(isolated_cache, with_password)
    assert hub.resolve(with_password) == upstream_entry
    assert archive_gets(server, "m.tar.gz") == []
    assert handles.cache_handle("https://u:p@h:8/m?x=1#f") == "https://h:8/m?x=1#f"
    assert handles.cache_handle("https://h/a@b/m") == "https://h/a@b/m"  # An "@" in the path.


def test_uncompressed_format_reads_gcs_in_place(server, served_dir, monkeypatch, tmp_path):
    bucket = tmp_path / "bucket"
    (bucket / "m").mkdir(parents=True)
    seen = []

    def exists(path):  # The gfile boundary, backed by a local folder standing in for GCS.
        seen.append(path)
        return os.path.exists(path.replace("gs://bucket", str(bucket)))

    monkeypatch.setattr(gcs, "exists", exists)
    server.state.behaviours.append(see_other("/models/m/1", "gs://bucket/m"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    assert hub.resolve(server.url("models/m/1")) == "gs://bucket/m"
    assert seen == ["gs://bucket/m"]
    assert server.state.requests[-1][1] == "/models/m/1?tf-hub-format=uncompressed"
    server.state.behaviours.clear()  # Now a 404, not a 303: upstream's ValueError.
    with pytest.raises(
        ValueError, match="Expected 303 See other HTTP response but received code 404"
    ):
        hub.resolve(server.url("models/m/1"))
    make_tar_gz(served_dir / "m.tar.gz")  # A plain server answers with the archive: 200.
    with pytest.raises(ValueError, match="received code 200") as caught:
        hub.resolve(server.url("m.tar.gz"))
    assert "The server sent the model itself, not the gs:// location" in str(caught.value)
    assert str(caught.value).endswith(
        "Unset TFHUB_MODEL_LOAD_FORMAT (or set it to COMPRESSED) to download the archive."
    )


@pytest.mark.parametrize("fmt", ["AUTO", "COMPRESSED", "compressed"])
def test_auto_and_compressed_download(server, served_dir, monkeypatch, fmt):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", fmt)
    make_tar_gz(served_dir / "m.tar.gz")
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES


def test_bad_load_format_says_what_is_allowed(monkeypatch):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "ZIP")
    with pytest.raises(ValueError, match="COMPRESSED, UNCOMPRESSED, AUTO. Received: 'ZIP'"):
        hub.resolve("https://example.invalid/m")


def test_gcs_archive_via_gfile_boundary(monkeypatch, tmp_path, isolated_cache):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    make_tar_gz(bucket / "m.tar.gz")
    monkeypatch.setattr(
        gcs, "open_binary", lambda path: open(path.replace("gs://bucket", str(bucket)), "rb")
    )
    path = hub.resolve("gs://bucket/m.tar.gz")
    assert path == os.path.join(isolated_cache, handles.cache_key("gs://bucket/m.tar.gz"))
    assert read_tree(path) == MODEL_FILES


@pytest.mark.tf
def test_gcs_archive_errors_are_tfhubs_and_say_what_to_do(monkeypatch, isolated_cache):
    """Through TensorFlow's real gfile, on its in-memory filesystem (ram://) for gs://."""
    import tensorflow as tf

    real_open = gcs.open_binary
    monkeypatch.setattr(gcs, "open_binary", lambda path: real_open(path.replace("gs:", "ram:")))
    with pytest.raises(errors.ModelNotFoundError, match=r"ram://bucket/none.tar.gz does not exist"):
        hub.resolve("gs://bucket/none.tar.gz")
    archive = open(make_tar_gz(isolated_cache.parent / "m.tar.gz"), "rb").read()
    with tf.io.gfile.GFile("ram://bucket/cut.tar.gz", "wb") as cut:
        cut.write(archive[: len(archive) // 2])
    with pytest.raises(errors.ArchiveError, match="truncated or corrupt") as caught:
        hub.resolve("gs://bucket/cut.tar.gz")
    assert "Nothing was installed: try again; if it fails again" in str(caught.value)
    with tf.io.gfile.GFile("ram://bucket/zip.tar.gz", "wb") as zipped:
        zipped.write(b"PK\x03\x04" + bytes(100))  # A .zip named .tar.gz.
    with pytest.raises(
        errors.NotAnArchiveError, match=r"is a ZIP archive, .*\. Check the handle\.$"
    ):
        hub.resolve("gs://bucket/zip.tar.gz")
    tf.io.gfile.makedirs("ram://bucket/folder.tar.gz")  # Any other read failure.
    with pytest.raises(errors.DownloadError, match=r"folder.tar.gz is a directory\. Check the"):
        hub.resolve("gs://bucket/folder.tar.gz")
    assert not os.path.exists(isolated_cache) or os.listdir(isolated_cache) in ([], [".locks"])


def _recording_bars(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Turns bars on and records every bar made (tqdm writing to a string)."""
    import io

    from tqdm import tqdm

    from tfhub.utils import progress

    bars: list[object] = []

    class Recording(tqdm):
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs["file"] = io.StringIO()
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(progress, "_override", None)
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "1")
    real = progress.download_bar
    monkeypatch.setattr(
        progress, "download_bar", lambda **kw: real(**{**kw, "tqdm_class": Recording})
    )
    return bars


@pytest.mark.tf
def test_a_gcs_archive_shows_its_progress(monkeypatch, tmp_path):
    """TFHUB_DOWNLOAD_PROGRESS=1 showed nothing for a gs:// archive (upstream's DownloadManager
    reported it); its bytes are now counted as an http download's."""
    import tensorflow as tf

    bars = _recording_bars(monkeypatch)
    real_open = gcs.open_binary
    monkeypatch.setattr(gcs, "open_binary", lambda path: real_open(path.replace("gs:", "ram:")))
    archive = open(make_tar_gz(tmp_path / "m.tar.gz"), "rb").read()
    with tf.io.gfile.GFile("ram://bucket/progress.tar.gz", "wb") as stored:
        stored.write(archive)
    assert read_tree(hub.resolve("gs://bucket/progress.tar.gz")) == MODEL_FILES
    (bar,) = bars
    assert bar.n == bar.total == len(archive)
    assert bar.desc.startswith("Downloading gs://bucket/progress.tar.gz")


def test_upstreams_download_manager_shows_its_progress(server, served_dir, monkeypatch, tmp_path):
    import urllib.request

    from tfhub import resolver

    bars = _recording_bars(monkeypatch)
    archive = make_tar_gz(served_dir / "m.tar.gz")
    (tmp_path / "out").mkdir()
    with urllib.request.urlopen(server.url("m.tar.gz"), timeout=30) as response:
        resolver.DownloadManager(server.url("m.tar.gz")).download_and_uncompress(
            response, str(tmp_path / "out")
        )
    assert read_tree(tmp_path / "out") == MODEL_FILES
    (bar,) = bars
    assert bar.n == bar.total == os.path.getsize(archive)
    assert bar.desc.startswith(f"Downloading {server.url('m.tar.gz')}")


@pytest.mark.tf
def test_a_gfile_folder_its_file_system_cannot_read_is_a_download_error():
    """`tf.io.gfile.exists` raises TensorFlow's OpError when the file system cannot answer (no
    network to GCS, no such file system): the CLI said "unexpected error: FailedPrecondition..."
    (TensorFlow 2.21 has no s3:// file system: a failure without any network)."""
    expected = r"^Cannot read s3://bucket/m: File system"
    with pytest.raises(errors.DownloadError, match=expected) as info:
        hub.resolve("s3://bucket/m")
    # Not "check your network": TensorFlow has no such file system; say what works instead.
    assert "TensorFlow reads no s3:// paths in this process" in str(info.value)
    assert "copy the model to a local folder, or serve it over http(s)" in str(info.value)
    assert isinstance(info.value, OSError)


def test_gcs_folder_read_in_place(monkeypatch):
    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m")
    assert hub.resolve("gs://bucket/m") == "gs://bucket/m"
    with pytest.raises(errors.ModelNotFoundError, match="gs://bucket/other does not exist."):
        hub.resolve("gs://bucket/other")


class _Prefix(resolvers.Resolver):
    def __init__(self, prefix, target):
        self.prefix, self.target = prefix, target

    def is_supported(self, handle):
        return handle.startswith(self.prefix)

    def _resolve(self, handle):
        return self.target


def test_registry_order_and_failure_lists_tried(tmp_path, caplog):
    registry = resolvers.MultiImplRegistry("resolver")
    registry.add_implementation(_Prefix("a", "first"))
    registry.add_implementation(_Prefix("ab", "second"))
    assert registry("abc") == "second"  # Most recently registered first.
    with caplog.at_level(logging.DEBUG):
        assert registry("a") == "first"
    # Each one passed over, in upstream's words (its registry_test; there at INFO).
    passed_over = [r for r in caplog.records if r.name == "tfhub.resolvers.registry"]
    assert [(r.levelno, r.getMessage()) for r in passed_over] == [
        (logging.DEBUG, "resolver _Prefix does not support the provided handle.")
    ]
    with pytest.raises(RuntimeError) as info:
        registry("zzz")
    assert str(info.value) == (  # Upstream's words first (code matching them keeps working).
        "Missing implementation that supports: resolver(*('zzz',), **{}). "
        "Tried ['_Prefix', '_Prefix']. "
        "Register a resolver that supports it with hub.register_resolver(...)."
    )
    registry.clear_implementations()
    assert registry.implementations == []
    with pytest.raises(TypeError, match="Received: resolver="):
        registry.add_implementation(object())


def test_a_resolver_class_registered_instead_of_an_instance_is_refused(tmp_path, monkeypatch):
    """Accepted, the class made every later resolve (a local path too) fail with a TypeError
    ('is_supported() missing 1 required positional argument')."""
    monkeypatch.setattr(resolvers, "registry", resolvers.MultiImplRegistry("resolver"))
    monkeypatch.setattr(resolvers, "_defaults_installed", False)
    for register in (hub.register_resolver, resolvers.registry.add_implementation):
        with pytest.raises(TypeError) as caught:
            register(_Prefix)
        assert isinstance(caught.value, errors.ArgumentTypeError)
        assert str(caught.value).startswith(
            "A resolver is registered as an instance: pass _Prefix(), not the class _Prefix."
        )
    assert hub.resolve(str(tmp_path)) == str(tmp_path)


def test_register_resolver_is_tried_first(tmp_path, monkeypatch):
    monkeypatch.setattr(resolvers, "registry", resolvers.MultiImplRegistry("resolver"))
    monkeypatch.setattr(resolvers, "_defaults_installed", False)
    target = tmp_path / "model"
    target.mkdir()
    hub.register_resolver(_Prefix("mine://", str(target)))
    assert hub.resolve("mine://x") == str(target)
    assert hub.resolve(str(target)) == str(target)  # Defaults still there.
    assert [type(r).__name__ for r in resolvers.registry.implementations][-1] == "_Prefix"


def test_a_resolver_added_to_the_registry_before_any_resolve_is_tried_first(tmp_path, monkeypatch):
    """`tfhub.resolvers.registry.add_implementation` before the first resolve: the built-ins,
    installed on first use, went after it and so were tried first."""
    monkeypatch.setattr(resolvers, "registry", resolvers.MultiImplRegistry("resolver"))
    monkeypatch.setattr(resolvers, "_defaults_installed", False)
    target = tmp_path / "model"
    target.mkdir()
    resolvers.registry.add_implementation(_Prefix("http://", str(target)))
    assert hub.resolve("http://127.0.0.1:1/m.tar.gz") == str(target)  # Nobody listens there.
    assert hub.resolve(str(target)) == str(target)  # The built-ins are there, after it.
    names = [type(r).__name__ for r in resolvers.registry.implementations]
    assert names[0] == "PathResolver" and names[-1] == "_Prefix"


def test_what_a_resolver_returns_must_be_a_path(tmp_path, monkeypatch):
    """A resolver returning None was read as the path 'None'; a pathlib.Path or bytes, as
    upstream's callers took them, are paths."""
    monkeypatch.setattr(resolvers, "registry", resolvers.MultiImplRegistry("resolver"))
    monkeypatch.setattr(resolvers, "_defaults_installed", False)
    hub.register_resolver(_Prefix("path://", tmp_path))
    hub.register_resolver(_Prefix("bytes://", os.fsencode(tmp_path)))
    hub.register_resolver(_Prefix("none://", None))
    assert hub.resolve("path://x") == hub.resolve("bytes://x") == str(tmp_path)
    with pytest.raises(TypeError) as caught:
        hub.resolve("none://x")
    assert isinstance(caught.value, errors.ArgumentTypeError)
    assert str(caught.value) == (
        "The resolver _Prefix returned NoneType, not the path of the model's folder, for "
        "'none://x': its __call__ must return a str (or raise an error if it cannot resolve the "
        "handle). Received: path=None"
    )


def test_upstream_atomic_download_into_a_folder_named_with_a_trailing_slash(tmp_path):
    """`resolver.atomic_download(handle, fn, "<cache>/<entry>/")`: as upstream, the entry is
    `<cache>/<entry>`; the temporary folder was made inside it, and the model's files lost."""
    from tfhub import resolver

    def download_fn(handle: str, tmp_dir: str) -> None:
        for name, data in MODEL_FILES.items():
            os.makedirs(os.path.dirname(os.path.join(tmp_dir, name)), exist_ok=True)
            with open(os.path.join(tmp_dir, name), "wb") as out:
                out.write(data)

    module_dir = str(tmp_path / "entry") + os.sep
    assert resolver.atomic_download("h", download_fn, module_dir) == module_dir
    assert read_tree(module_dir) == MODEL_FILES
    assert cache.read_descriptor_handle(str(tmp_path / "entry")) == "h"
    assert resolver.atomic_download("h", download_fn, module_dir) == module_dir  # Cached.


def test_upstreams_uncompressed_resolver_subclassed_as_upstream_allowed(tmp_path, monkeypatch):
    """A subclass of upstream's `HttpUncompressedFileResolver` overriding
    `_request_gcs_location(handle_with_params)`, upstream's signature, got a TypeError (it was
    called with a `handle=` keyword); a `path_resolver` set on one was never asked."""
    from tfhub import resolver, uncompressed_module_resolver

    class FixedLocation(uncompressed_module_resolver.HttpUncompressedFileResolver):
        asked: list[str] = []

        def _request_gcs_location(self, handle_with_params: str) -> str:
            self.asked.append(handle_with_params)
            return str(tmp_path)

    class Recording(resolver.Resolver):
        def is_supported(self, handle: str) -> bool:
            return True

        def __call__(self, handle: str) -> str:
            return f"read in place: {handle}"

    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    fixed = FixedLocation()
    assert fixed("https://example.invalid/m/1") == str(tmp_path)
    assert fixed.asked == ["https://example.invalid/m/1?tf-hub-format=uncompressed"]
    fixed.path_resolver = Recording()
    assert fixed("https://example.invalid/m/1") == f"read in place: {tmp_path}"


_UPSTREAM_STYLE_RESOLVE = """
import json, os, sys
from tfhub import resolver
module_dir = resolver.create_local_module_dir(resolver.tfhub_cache_dir(use_temp=True), "entry")
def download_fn(handle, tmp_dir):
    with open(os.path.join(tmp_dir, "saved_model.pb"), "wb") as out:
        out.write(b"pb")
path = resolver.atomic_download("mirror://m", download_fn, module_dir)
print(json.dumps({"path": path, "tensorflow": "tensorflow" in sys.modules}))
"""


def test_upstream_helpers_with_a_file_url_cache_dir_keep_to_the_local_cache(tmp_path):
    """TFHUB_CACHE_DIR=file:///path, as `resolver.tfhub_cache_dir` returns it (upstream's
    value): a resolver built on `create_local_module_dir` and `atomic_download` imported
    TensorFlow at every resolve, a cached one too, and wrote through tf.io.gfile without the
    cache's OS lock."""
    env = child_env(TFHUB_CACHE_DIR=(tmp_path / "cache").as_uri())
    for _ in range(2):  # Downloaded, then cached.
        out = json.loads(run_python(_UPSTREAM_STYLE_RESOLVE, env=env, timeout=120).stdout)
        assert out == {"path": (tmp_path / "cache" / "entry").as_uri(), "tensorflow": False}
    assert read_tree(tmp_path / "cache" / "entry") == {"saved_model.pb": b"pb"}
    assert os.path.isdir(tmp_path / "cache" / ".locks")  # The local cache's lock was taken.


def test_env_cache_dir_read_at_call_time(server, served_dir, monkeypatch, tmp_path):
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "later"))
    assert hub.resolve(server.url("m.tar.gz")).startswith(str(tmp_path / "later"))


def test_copytree_of_served_upstream_tarball(server, served_dir, upstream_dir):
    shutil.copy(upstream_dir / "tf2_saved_model.tar.gz", served_dir)
    path = hub.resolve(server.url("tf2_saved_model.tar.gz"))
    expected = record("tf2_saved_model")
    import hashlib

    for item in expected["files"]:
        if item["type"] != "file":
            continue
        data = open(os.path.join(path, item["path"]), "rb").read()
        assert hashlib.sha256(data).hexdigest() == item["sha256"]


def test_google_cn_downloads_from_its_mirror(server, served_dir, monkeypatch, isolated_cache):
    # The mirror's address is upstream's constant; point it at the local server.
    monkeypatch.setattr(handles, "GCS_GOOGLE_CN_TEMPLATE", server.url("tfhub-modules/%s.tar.gz"))
    (served_dir / "tfhub-modules" / "google").mkdir(parents=True)
    make_tar_gz(served_dir / "tfhub-modules" / "google" / "m.tar.gz")
    handle = "https://hub.tensorflow.google.cn/google/m"
    path = hub.resolve(handle)
    assert path == os.path.join(isolated_cache, handles.cache_key(handle))
    assert read_tree(path) == MODEL_FILES
    assert [r[1] for r in server.state.requests] == ["/tfhub-modules/google/m.tar.gz"]


@pytest.mark.tf
def test_gfile_boundary_is_real_tf_io_gfile(tmp_path):
    from tfhub import _archive

    archive = make_tar_gz(tmp_path / "m.tar.gz")
    assert gcs.exists(archive) and not gcs.exists(str(tmp_path / "nope"))
    target = tmp_path / "t"
    target.mkdir()
    with gcs.open_binary(archive) as gfile:  # tf.io.gfile.GFile: only read(n).
        _archive.extract_fileobj(gfile, str(target), source=archive)
    assert read_tree(target) == MODEL_FILES


def test_kaggle_entry_written_by_tensorflow_hub_is_reused(isolated_cache, tmp_path):
    long_ = "https://www.kaggle.com/models/o/m/frameworks/TF2/variations/v/versions/1"
    upstream_entry = os.path.join(isolated_cache, handles.cache_key(long_))  # Hashed as given.
    os.makedirs(upstream_entry)
    open(os.path.join(upstream_entry, "saved_model.pb"), "wb").write(b"pb")
    assert hub.resolve(long_) == upstream_entry  # No download (www.kaggle.com is unreachable).


def test_uncompressed_format_follows_plain_redirects_to_the_303(server, monkeypatch):
    """tfhub.dev's model URLs redirect to Kaggle, http to https: urllib followed such redirects
    for upstream and stopped at the 303; tfhub took the first 302 for the answer."""
    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    query = "?tf-hub-format=uncompressed"  # Kept by the redirects, as real servers do.
    server.state.behaviours += [
        redirect_to("/old/m/1", f"/moved/m/1{query}"),
        redirect_to("/moved/m/1", server.url(f"models/m/1{query}")),
        see_other("/models/m/1", "gs://bucket/m"),
    ]
    assert hub.resolve(server.url("old/m/1")) == "gs://bucket/m"
    asked = [target for method, target, _ in server.state.requests if method == "GET"]
    assert asked[-3:] == [
        "/old/m/1?tf-hub-format=uncompressed",
        "/moved/m/1?tf-hub-format=uncompressed",
        "/models/m/1?tf-hub-format=uncompressed",
    ]
    server.state.behaviours[:] = [redirect_to("/loop", "/loop")]
    with pytest.raises(errors.DownloadError, match="redirects in a loop"):
        hub.resolve(server.url("loop"))
    server.state.behaviours[:] = [redirect_to("/to-file", "file:///etc/passwd")]
    with pytest.raises(errors.DownloadError, match="not an http.s. address"):
        hub.resolve(server.url("to-file"))


def test_uncompressed_format_follows_thirty_redirects_as_requests_does(server, monkeypatch):
    """requests (and so the compressed format) follows 30 redirects; the UNCOMPRESSED loop
    fetched the 303 after the 30th and refused it unread ("more than 30 redirects")."""
    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m")
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    query = "?tf-hub-format=uncompressed"
    hops = http_uncompressed.MAX_REDIRECTS
    server.state.behaviours += [redirect_to(f"/a{i}", f"/a{i + 1}{query}") for i in range(hops)]
    server.state.behaviours.append(see_other(f"/a{hops}", "gs://bucket/m"))
    assert hub.resolve(server.url("a0")) == "gs://bucket/m"
    server.state.behaviours += [redirect_to(f"/b{i}", f"/b{i + 1}{query}") for i in range(hops + 1)]
    server.state.behaviours.append(see_other(f"/b{hops + 1}", "gs://bucket/m"))
    with pytest.raises(errors.DownloadError, match="more than 30 redirects"):
        hub.resolve(server.url("b0"))


def test_uncompressed_answer_must_be_a_gcs_location(server, monkeypatch):
    # (A 303 to http(s) is followed, as urllib did for upstream: another scheme is refused.)
    server.state.behaviours.append(see_other("/models/m/1", "s3://elsewhere/m"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    with pytest.raises(ValueError) as info:
        hub.resolve(server.url("models/m/1"))
    assert str(info.value).startswith(  # Upstream's message first.
        "Expected server to return a GCS location but received s3://elsewhere/m"
    )


def test_uncompressed_kaggle_asks_the_kaggle_endpoint(server, monkeypatch):
    monkeypatch.setenv(constants.TFHUB_KAGGLE_ENDPOINT, server.url())
    monkeypatch.setattr(gcs, "exists", lambda path: path == "gs://bucket/m")
    server.state.behaviours.append(see_other("/versions/2", "gs://bucket/m"))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    assert hub.resolve("https://www.kaggle.com/models/o/m/tensorFlow2/v/2") == "gs://bucket/m"
    assert server.state.requests[-1][1] == (
        "/models/o/m/frameworks/tensorFlow2/variations/v/versions/2?tf-hub-format=uncompressed"
    )


@pytest.mark.tf
def test_other_gfile_filesystems_are_read_in_place():
    import tensorflow as tf

    tf.io.gfile.makedirs("ram://tfhub-test/m")  # TensorFlow's in-memory filesystem.
    with tf.io.gfile.GFile("ram://tfhub-test/m/saved_model.pb", "wb") as out:
        out.write(b"pb")
    assert hub.resolve("ram://tfhub-test/m") == "ram://tfhub-test/m"  # As upstream: via gfile.
    with pytest.raises(errors.ModelNotFoundError, match="ram://tfhub-test/none does not exist."):
        hub.resolve("ram://tfhub-test/none")


# --- Hostile servers, mistyped handles, credentials (issue 10, items 3, 5, 14, 19) ---------------


def test_redirect_loop_and_bad_redirect_are_download_errors(server, isolated_cache):
    server.state.behaviours.append(redirect_to("/loop", "/loop"))
    with pytest.raises(errors.DownloadError, match="redirects in a loop"):
        hub.resolve(server.url("loop"))
    server.state.behaviours.append(redirect_to("/bad", "htps://elsewhere/m"))
    with pytest.raises(errors.DownloadError, match="redirected to an address"):
        hub.resolve(server.url("bad"))
    assert not [n for n in os.listdir(isolated_cache) if n != ".locks"]


def test_refused_connection_names_its_cause_not_a_timeout(monkeypatch):
    import socket

    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    with socket.socket() as held:  # Bound, not listening: refuses; held, so no test takes it.
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        with pytest.raises(errors.DownloadError) as info:
            hub.resolve(f"http://127.0.0.1:{port}/m.tar.gz")
    assert "refused" in str(info.value) and "timeout" not in str(info.value).lower()
    # tensorflow_hub's urlopen raised urllib's URLError: code written for it still works.
    import urllib.error

    assert isinstance(info.value, errors.ConnectionFailedError)
    assert isinstance(info.value, urllib.error.URLError) and "refused" in info.value.reason
    assert info.value.url.startswith(f"http://127.0.0.1:{port}/m.tar.gz")


def test_downloads_go_through_the_proxy_of_the_environment(server, served_dir, monkeypatch):
    """Behind a company proxy, HTTP_PROXY is how downloads get out (upstream's urllib read it):
    the local server stands in for the proxy of a host that does not resolve."""
    make_tar_gz(served_dir / "m.tar.gz")
    monkeypatch.setenv("HTTP_PROXY", server.url("").rstrip("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    path = hub.resolve("http://models.invalid/m.tar.gz")
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    asked = [target for method, target, _ in server.state.requests if method == "GET"]
    assert asked and all(target.startswith("http://models.invalid/m.tar.gz") for target in asked)


def test_a_loopback_url_never_goes_through_a_proxy(server, served_dir, monkeypatch):
    """No proxy can reach this machine's 127.0.0.1 (its loopback is its own): with HTTP_PROXY
    set and 127.0.0.1 not in NO_PROXY, a hub served on 127.0.0.1 could not be reached."""
    from tfhub import _http_errors

    make_tar_gz(served_dir / "m.tar.gz")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:1")  # Nobody listens there.
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    path = hub.resolve(server.url("m.tar.gz"))
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert _http_errors.proxy_for(server.url("m.tar.gz")) == ""
    assert _http_errors.proxy_for("http://models.invalid/m") == "http://127.0.0.1:1"


def test_a_proxy_that_fails_is_named_not_the_server(server, served_dir, monkeypatch):
    """A dead proxy, or one that asks for credentials, used to read "the connection was
    refused (is the server running, and is the port right?)" or "407 ... Check the handle":
    the model's server was never reached. The proxy's credentials are not shown."""
    import socket

    from tests._helpers.http_server import answer_status

    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    # A port bound but not listening refuses connections; held, so that no server of a test
    # running beside this one takes it meanwhile (one did, in a loaded CI run).
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        monkeypatch.setenv("HTTP_PROXY", f"http://bob:hunter2@127.0.0.1:{port}")
        with pytest.raises(errors.DownloadError) as info:
            hub.resolve("http://models.invalid/m.tar.gz")
    message = str(info.value)
    assert f"the proxy http://***@127.0.0.1:{port} refused the connection" in message
    assert "HTTP_PROXY" in message and "NO_PROXY" in message and "hunter2" not in message
    assert "is the server running" not in message and "(after 1 attempt;" in message
    server.state.behaviours.append(answer_status("m.tar.gz", 407))
    monkeypatch.setenv("HTTP_PROXY", server.url("").rstrip("/"))
    with pytest.raises(errors.HTTPStatusError, match="asks for credentials") as info:
        hub.resolve("http://models.invalid/m.tar.gz")
    assert "USER:PASSWORD@ before the host" in str(info.value)
    assert "Check the handle" not in str(info.value)


def test_retries_are_not_warnings(server, served_dir, caplog):
    from tests._helpers.http_server import answer_status

    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(answer_status("m.tar.gz", 503, times=1))
    with caplog.at_level("INFO", logger="tfhub"):
        hub.resolve(server.url("m.tar.gz"))
    retries = [r for r in caplog.records if "Retrying" in r.getMessage()]
    assert retries and all(r.levelname == "INFO" for r in retries)


def test_a_retry_line_names_the_systems_error_in_whole_words(caplog, monkeypatch):
    """requests' message puts the system's error last, and the line cut it at 160 characters:
    `...NewConnectionError("WatchedHTTP`."""
    import socket

    from tfhub._http_cause import brief

    with socket.socket() as closed:  # A port nothing listens on.
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    with caplog.at_level("INFO", logger="tfhub"), pytest.raises(errors.DownloadError):
        hub.resolve(f"http://127.0.0.1:{port}/m.tar.gz")
    (retry,) = [r.getMessage() for r in caplog.records if "Retrying" in r.getMessage()]
    assert retry.endswith("after ConnectionError: [Errno 111] Connection refused"), retry
    cut = brief(ValueError("word " * 60))
    assert cut == "ValueError: " + " ".join(["word"] * 32) + "…"
    assert brief(ValueError("x" * 400)) == "ValueError: " + "x" * 160 + "…"


def test_unknown_scheme_lists_resolvers_without_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys, tfhub as hub, tfhub.errors as e\n"
        "for handle in ['htps://h/m', 'ftp://h/m.tar.gz', 'other://x', 'HTTPx://h']:\n"
        "    try:\n        hub.resolve(handle)\n"
        "    except e.UnknownSchemeError as err:\n"
        "        assert isinstance(err, e.InvalidHandleError) and 'PathResolver' in err.tried\n"
        "        assert 'HttpCompressedResolver' in str(err), err\n"
        "    else:\n        raise AssertionError(handle)\n"
        "assert 'tensorflow' not in sys.modules\nprint('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_uppercase_scheme_downloads_the_same_entry(server, served_dir):
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    assert hub.resolve(url.replace("http://", "HTTP://")) == hub.resolve(url)
    assert len(archive_gets(server, "m.tar.gz")) == 1
    with pytest.raises(errors.InvalidHandleError, match="spaces around"):
        hub.resolve(" " + url)


def test_credentials_never_reach_descriptor_logs_or_errors(server, served_dir, caplog):
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz").replace("http://", "http://alice:s3cret@")
    with caplog.at_level("DEBUG", logger="tfhub"):
        path = hub.resolve(url)
    # The folder: sha1 of the URL without its credentials, which a guess could be tested
    # against offline; the same entry serves the URL with other credentials, or none.
    assert os.path.basename(path) == handles.cache_key(server.url("m.tar.gz"))
    assert hub.resolve(url.replace("s3cret", "other")) == path
    descriptor = open(cache.descriptor_path(path), encoding="utf-8").read()
    assert "s3cret" not in descriptor and "alice" not in descriptor
    assert f"Module: {server.url('m.tar.gz')}" in descriptor
    assert "s3cret" not in caplog.text and "alice" not in caplog.text
    missing = url.replace("m.tar.gz", "gone.tar.gz")
    with pytest.raises(errors.HTTPStatusError) as info:
        hub.resolve(missing)
    assert "s3cret" not in str(info.value) and "***@" in str(info.value)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("gs://bucket/" + "a" * 1_000_000, "more than 4096 bytes"),
        ("gs://bucket/m\nrm -rf /", "GCS location"),
        ("gs://bucket/a b", "GCS location"),
        ("gs://bucket/../etc", "GCS location"),
    ],
    ids=["huge", "newline", "space", "dotdot"],
)
def test_uncompressed_answer_is_capped_and_validated(server, monkeypatch, body, match):
    # A short Location header, then the body (tfhub stopping reading it is the point).
    server.state.behaviours.append(see_other("", "gs://bucket/m", body=body.encode()))
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    with pytest.raises(errors.InvalidHandleError, match=match):
        hub.resolve(server.url("models/m/1"))


def test_a_dead_proxy_on_a_port_holding_407_is_not_said_to_ask_for_credentials(monkeypatch):
    """Any "407" in the error's text was read as the proxy's status: a dead proxy on port
    40791 "asks for credentials (407)" (a CI run drew that port)."""
    import socket

    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with socket.socket() as held:  # Bound, not listening: it refuses connections.
        for port in [*range(40700, 40800), *range(14070, 14080)]:
            try:
                held.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        else:
            pytest.fail("no free port holding 407 on this machine")
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        with pytest.raises(errors.DownloadError) as info:
            hub.resolve("http://models.invalid/m.tar.gz")
    assert f"the proxy http://127.0.0.1:{port} refused the connection" in str(info.value)
    assert "credentials" not in str(info.value)

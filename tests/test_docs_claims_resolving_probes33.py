"""Claims of docs/resolving.md that no other test checked, probed as a user meets them: a real
HTTP server on 127.0.0.1, real archives, real cache folders, fresh processes.

Each test quotes the claim it checks in its docstring.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from tests._helpers import mounts
from tests._helpers._across_workers import computed_once
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree, tensorflow_hub_entry
from tests._helpers.http_server import LocalServer, archive_gets, serve_folder
from tests._helpers.python_process import child_env, run_python
from tests._helpers.warm_python import run_warm_python

import tfhub as hub
from tfhub import errors


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def test_the_descriptor_is_upstreams_lines_then_written_by_tfhub(
    server: LocalServer, served_dir: Path, isolated_cache: Path
) -> None:
    """`<sha1>.descriptor.txt  "Module: <handle>\\nDownload Time: ...\\nDownloader Hostname:
    ..."` and "tfhub adds a last line, `Written by: tfhub`, to its descriptors"."""
    make_tar_gz(served_dir / "m.tar.gz")
    handle = server.url("m.tar.gz")
    path = hub.resolve(handle)
    assert path == str(isolated_cache / _sha1(handle))
    lines = Path(path + ".descriptor.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"Module: {handle}"
    assert lines[1].startswith("Download Time: ") and lines[2].startswith("Downloader Hostname: ")
    assert lines[-1] == "Written by: tfhub" and len(lines) == 4, lines


def _spellings(server: LocalServer) -> dict[str, str]:
    """{what the page names: a spelling of `server`'s m_x.tar.gz} hashed as written."""
    plain = server.url("m_x.tar.gz")
    return {
        "host in capitals": plain.replace("127.0.0.1", "LOCALHOST"),
        "percent escape": server.url("m%5Fx.tar.gz"),
        "trailing slash": plain + "/",
        "fragment": plain + "#weights",
    }


def test_each_spelling_of_a_url_is_its_own_entry_and_a_scheme_in_capitals_is_not(
    server: LocalServer, served_dir: Path, isolated_cache: Path
) -> None:
    """The page says:

    "Schemes are case-insensitive (`HTTP://h/m` is `http://h/m`, one cache entry). Everything
    else in a URL is hashed as written ...: a host in capitals, percent escapes (`%5F` for `_`), a
    trailing slash or a fragment each make their own cache entry"."""
    make_tar_gz(served_dir / "m_x.tar.gz")
    plain = server.url("m_x.tar.gz")
    first = hub.resolve(plain)
    assert hub.resolve("HTTP" + plain[len("http") :]) == first
    assert len(archive_gets(server, "m_x.tar.gz")) == 1  # The capital scheme found the entry.
    folders = {first}
    for what, spelling in _spellings(server).items():
        folder = hub.resolve(spelling)
        assert folder == str(isolated_cache / _sha1(spelling)), what
        assert read_tree(folder) == MODEL_FILES, what
        folders.add(folder)
    assert len(folders) == 5


def test_each_spelling_finds_the_entry_tensorflow_hub_made_for_it(
    server: LocalServer, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says:

    "... each make their own cache entry, and each finds the entry tensorflow_hub made for
    that spelling" (offline: nothing is downloaded, nothing is served)."""
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    for what, spelling in _spellings(server).items():
        entry = tensorflow_hub_entry(isolated_cache, spelling)
        assert hub.resolve(spelling) == entry, what
    assert server.state.requests == []


def test_a_cloudfront_signed_url_is_sent_as_given_and_keyed_without_its_signature(
    server: LocalServer, served_dir: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says:

    "A signed URL (... `Signature` ...) is requested exactly as given"; "Its cache folder is
    `sha1` of the URL without the signature's parameters (... CloudFront's
    `Expires`/`Signature`/`Key-Pair-Id`/`Policy` ...), so a URL signed anew finds the entry the
    first signature made, also with `TFHUB_OFFLINE=1` after the signature expired; the
    descriptor records that unsigned URL"."""
    make_tar_gz(served_dir / "m.tar.gz")
    base = server.url("m.tar.gz")
    canned = f"{base}?Expires=1767225600&Signature=c2lnbmVk~a&Key-Pair-Id=K2JCJMDEHXQW5F"
    path = hub.resolve(canned)
    assert path == str(isolated_cache / _sha1(base))
    ((_, sent, _),) = archive_gets(server, "m.tar.gz")
    assert sent == canned[len(server.url("")) - 1 :]  # No tf-hub-format added.
    descriptor = Path(path + ".descriptor.txt").read_text(encoding="utf-8")
    assert descriptor.startswith(f"Module: {base}\n") and "Key-Pair-Id" not in descriptor
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    custom = f"{base}?Policy=eyJTdGF0ZW1lbnQiOltdfQ__&Signature=b3RoZXI_&Key-Pair-Id=K2JCJMDEHXQW5F"
    assert hub.resolve(custom) == path


_MISSPELT_CHILD = """
import logging, sys
import tfhub as hub
from tfhub import errors
logging.basicConfig(stream=sys.stdout, format="%(name)s %(levelname)s %(message)s")
print("local:", hub.resolve(sys.argv[1]), flush=True)
for _ in range(2):
    try:
        hub.resolve("http://127.0.0.1:9/m.tar.gz")
    except errors.OfflineModeError:
        print("offline", flush=True)
"""


def test_a_misspelt_cache_variable_is_named_once_when_the_cache_is_first_looked_up(
    tmp_path: Path,
) -> None:
    """The page says:

    "A variable whose name is close to one of these (`TF_HUB_CACHE_DIR`,
    `TFHUB_CACHE_DIRECTORY`, `tfhub_cache_dir`) is named in one warning per process, with the
    name tfhub reads, when tfhub first looks up its cache folder (a program that only loads
    local paths never does)"."""
    env = child_env(TFHUB_CACHE_DIRECTORY=str(tmp_path / "meant"), TFHUB_OFFLINE="1")
    env["TFHUB_CACHE_DIR"] = str(tmp_path / "cache")
    lines = run_python(_MISSPELT_CHILD, str(tmp_path), env=env).stdout.splitlines()
    assert lines == [
        f"local: {tmp_path}",
        "tfhub WARNING The environment variable TFHUB_CACHE_DIRECTORY is set, but tfhub reads "
        "no such variable: rename it to TFHUB_CACHE_DIR (names are exact), or unset it.",
        "offline",
        "offline",
    ]


def test_a_used_up_quota_says_how_to_see_it(
    server: LocalServer, served_dir: Path, tmp_path: Path
) -> None:
    """The page says:

    "When it is the user's disk quota that is used up (`EDQUOT`), the error ... says to remove
    entries or other files of the user's, ask for a larger quota (`quota -s` shows it), or set
    TFHUB_CACHE_DIR elsewhere" (the kernel answers EDQUOT through the seccomp filter of
    tests/test_resolving_doc_claims.py)."""
    from tests.test_resolving_doc_claims import _needs_seccomp, _resolve_under_quota

    _needs_seccomp()
    make_tar_gz(served_dir / "m.tar.gz")
    lines = _resolve_under_quota(server.url("m"), tmp_path / "cache", "create")
    message = "\n".join(lines[1:])
    assert "`quota -s`" in message and "larger quota" in message, message
    assert "TFHUB_CACHE_DIR" in message, message


def test_offline_error_carries_the_handle_and_the_cache(
    isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says:

    "`TFHUB_OFFLINE=1` uses the cache only; a missing handle raises `OfflineModeError` naming
    the handle and the cache (also as `.handle` and `.cache_dir`)"."""
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    handle = "https://127.0.0.1:9/models/m.tar.gz"
    with pytest.raises(errors.OfflineModeError) as info:
        hub.resolve(handle)
    assert info.value.handle == handle and info.value.cache_dir == str(isolated_cache)
    assert handle in str(info.value) and str(isolated_cache) in str(info.value)


_UPSTREAM_ATOMIC_DOWNLOAD = """
import os, sys
from tfhub import resolver
calls = []
def download(handle, tmp_dir):
    calls.append(handle)
    with open(os.path.join(tmp_dir, "saved_model.pb"), "wb") as pb:
        pb.write(b"model")
cache_dir = resolver.tfhub_cache_dir(use_temp=True)
module_dir = resolver.create_local_module_dir(cache_dir, "entry")
print(cache_dir)
print(resolver.atomic_download("h", download, module_dir))
print(resolver.atomic_download("h", download, module_dir[len("file://"):] + "/"))
print(len(calls), "tensorflow" in sys.modules)
"""


def test_upstreams_atomic_download_reads_a_file_url_and_a_trailing_slash_as_the_entry(
    tmp_path: Path,
) -> None:
    """The page says:

    "`atomic_download` locks the entry ... (a `module_dir` with a trailing slash names the same
    entry, and a `file://` one, as `tfhub_cache_dir()` returns `TFHUB_CACHE_DIR=file:///path`,
    is that local folder: no TensorFlow, the OS lock; both are returned as given)"."""
    cache = tmp_path / "cache"
    env = child_env(TFHUB_CACHE_DIR=f"file://{cache}", TFHUB_DOWNLOAD_PROGRESS="0")
    lines = run_python(_UPSTREAM_ATOMIC_DOWNLOAD, env=env).stdout.splitlines()
    assert lines == [f"file://{cache}", f"file://{cache}/entry", f"{cache}/entry/", "1 False"]
    assert read_tree(cache / "entry") == {"saved_model.pb": b"model"}
    assert sorted(os.listdir(cache)) == [
        ".locks",
        "entry",
        "entry.descriptor.txt",
        "entry.manifest.json",
    ]
    assert os.listdir(cache / ".locks") == ["entry.lock"]  # The OS lock's file.


_BOTH_LIBRARIES = """
import sys
if sys.argv[2] == "tensorflow_hub":
    import tensorflow_hub
    import tfhub
    from absl import flags
else:
    import tfhub
    from absl import flags
    print("defined on import:", "tfhub_cache_dir" in flags.FLAGS)
    import tensorflow_hub
flags.FLAGS(["prog", "--tfhub_cache_dir=" + sys.argv[1], "--tfhub_model_load_format=UNCOMPRESSED"])
from tensorflow_hub import resolver
from tfhub import cache, constants
print("tfhub:", cache.cache_dir(), constants.model_load_format().value)
print("tensorflow_hub:", resolver.tfhub_cache_dir(), resolver.model_load_format())
"""


@pytest.mark.parametrize("first", ["tensorflow_hub", "tfhub"])
def test_tfhub_and_tensorflow_hub_share_the_absl_flags_in_either_order(
    tmp_path: Path, first: str, request: pytest.FixtureRequest
) -> None:
    """The page says:

    "tfhub defines the absl flags itself, as soon as `absl.flags` is imported ..., and reuses
    tensorflow_hub's if that was imported first: both libraries work in one process"."""
    pytest.importorskip("tensorflow_hub")
    if first == "tfhub":
        # tfhub first needs a fresh interpreter: absl.flags is not imported yet. The one of
        # `fresh_child` (its lines after the first three resolves).
        fresh_child = request.getfixturevalue("fresh_child")
        cache_dir, lines = fresh_child["flags_cache_dir"], fresh_child["lines"]
        assert lines[3:5] == ["absl.flags imported before: False", "defined on import: True"]
        assert lines[6:] == [
            f"tfhub: {cache_dir} UNCOMPRESSED",
            f"tensorflow_hub: {cache_dir} UNCOMPRESSED",
        ]
        return
    env = {k: v for k, v in child_env().items() if not k.startswith("TFHUB_")}
    # tensorflow_hub first imports TensorFlow (which imports absl.flags), then defines the
    # flags: a fork of the warm server (tests/_helpers/warm_python.py, TensorFlow imported)
    # takes the same path.
    lines = run_warm_python(_BOTH_LIBRARIES, str(tmp_path), first, env=env).stdout.splitlines()
    assert lines == [
        f"tfhub: {tmp_path} UNCOMPRESSED",
        f"tensorflow_hub: {tmp_path} UNCOMPRESSED",
    ]


def test_the_archive_is_asked_for_without_an_encoding(
    server: LocalServer, served_dir: Path, isolated_cache: Path
) -> None:
    """The page says:

    "tfhub asks for `Accept-Encoding: identity`" (requests asks for gzip and deflate)."""
    make_tar_gz(served_dir / "m.tar.gz")
    hub.resolve(server.url("m.tar.gz"))
    ((_, _, headers),) = archive_gets(server, "m.tar.gz")
    assert {k.lower(): v for k, v in headers.items()}["accept-encoding"] == "identity"


def test_a_disk_too_full_for_the_lock_leaves_no_lock_behind(
    server: LocalServer, served_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says:

    "A disk too full for the lock file's few bytes leaves no lock behind" (nor tfhub's
    `.locks/<sha1>.lock` nor tensorflow_hub's `<sha1>.lock`): a real tmpfs filled to its last
    byte."""
    make_tar_gz(served_dir / "m.tar.gz")
    with mounts.tmpfs(tmp_path / "fs", "size=64k") as disk:
        root = disk / "cache"
        (root / ".locks").mkdir(parents=True)
        with pytest.raises(OSError), open(disk / "filler", "wb") as filler:
            while True:
                filler.write(b"x" * 4096)
                filler.flush()
        monkeypatch.setenv("TFHUB_CACHE_DIR", str(root))
        with pytest.raises(errors.DiskFullError):
            hub.resolve(server.url("m.tar.gz"))
        assert os.listdir(root) == [".locks"] and os.listdir(root / ".locks") == []


def _python_blocks() -> list[str]:
    import re

    page = (Path(__file__).parent.parent / "docs" / "resolving.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", page, re.S)


def test_the_pages_resolver_examples_run_as_written(
    server: LocalServer, served_dir: Path, isolated_cache: Path
) -> None:
    """The two resolver examples of the page, run as written (the mirror's host replaced by a
    local server): `MyResolver` maps `mine://x`; `MirrorResolver`, registered tensorflow_hub
    0.10's way, downloads into tfhub's cache, once."""
    mine, mirror = (block for block in _python_blocks() if "class " in block)
    assert "https://models.corp/" in mirror
    make_tar_gz(served_dir / "m.tar.gz")
    code = (
        "import sys, tfhub as hub\n"
        + mine
        + mirror.replace("https://models.corp/", server.url(""))
        + "print(hub.resolve('mine://x'))\n"
        + "print(hub.resolve('mirror://m.tar.gz'))\n"
        + "print(hub.resolve('mirror://m.tar.gz'))\n"
    )
    env = child_env(TFHUB_CACHE_DIR=str(isolated_cache), TFHUB_DOWNLOAD_PROGRESS="0")
    lines = run_python(code, env=env).stdout.splitlines()
    entry = str(isolated_cache / _sha1("mirror://m.tar.gz"))
    assert lines == ["/models/x", entry, entry]
    assert read_tree(entry) == MODEL_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 1


# One fresh interpreter for two claims (each needs one: nothing imported yet), in this order:
# `hub.resolve` of a local folder, a download and a mistyped scheme, each followed by whether
# TensorFlow is imported; then whether `absl.flags` is imported yet (it must not be), and
# `absl.flags` imported after tfhub (are tfhub's flags defined?); then the `ram://` resolve (it
# imports TensorFlow); then, if tensorflow_hub is installed (else the process ends here),
# tensorflow_hub imported after tfhub and both libraries' settings read from the absl flags
# alone (TFHUB_* variables removed: they are read at call time). argv: the flags' cache folder,
# then the four handles.
_FRESH_PROCESS = """
import importlib.util, os, sys
import tfhub as hub
flags_cache_dir, *handles = sys.argv[1:]

def resolved(handle):
    try:
        hub.resolve(handle)
    except Exception:  # The mistyped scheme, the missing ram:// folder: the import matters.
        pass
    print(handle.split(":")[0], "tensorflow" in sys.modules, flush=True)

for handle in handles[:3]:
    resolved(handle)
print("absl.flags imported before:", "absl.flags" in sys.modules, flush=True)
from absl import flags
print("defined on import:", "tfhub_cache_dir" in flags.FLAGS, flush=True)
resolved(handles[3])
if importlib.util.find_spec("tensorflow_hub") is None:
    sys.exit(0)
import tensorflow_hub
for name in [name for name in os.environ if name.startswith("TFHUB_")]:
    del os.environ[name]
flags.FLAGS(["prog", "--tfhub_cache_dir=" + flags_cache_dir,
             "--tfhub_model_load_format=UNCOMPRESSED"])
from tensorflow_hub import resolver
from tfhub import cache, constants
print("tfhub:", cache.cache_dir(), constants.model_load_format().value)
print("tensorflow_hub:", resolver.tfhub_cache_dir(), resolver.model_load_format())
"""


def _run_fresh_process(root: Path) -> dict[str, Any]:
    """Runs `_FRESH_PROCESS` with a local folder, a download from a local server, a mistyped
    scheme and a `ram://` handle; returns its lines and the folders it was given."""
    served, local, cache_dir = root / "served", root / "local", root / "cache"
    served.mkdir()
    local.mkdir()
    make_tar_gz(served / "m.tar.gz")
    env = {k: v for k, v in child_env().items() if not k.startswith("TFHUB_")}
    env.update(TFHUB_CACHE_DIR=str(cache_dir), TFHUB_DOWNLOAD_PROGRESS="0")
    with serve_folder(str(served)) as server:
        handles = [str(local), server.url("m.tar.gz"), "htps://h/m", "ram://models/m"]
        done = run_python(_FRESH_PROCESS, str(root / "flags-cache"), *handles, env=env)
    return {
        "lines": done.stdout.splitlines(),
        "local": str(local),
        "flags_cache_dir": str(root / "flags-cache"),
    }


@pytest.fixture(scope="module")
def fresh_child(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`_run_fresh_process`' result, computed by the first pytest worker that asks (without
    tensorflow_hub, its lines end after the `ram://` one)."""
    return computed_once(
        tmp_path_factory, __name__, lambda: _run_fresh_process(tmp_path_factory.mktemp("fresh"))
    )


def test_resolve_imports_tensorflow_only_for_tf_io_gfile_paths(fresh_child: dict[str, Any]) -> None:
    """The page says:

    "`hub.resolve(handle)` ... never imports TensorFlow (except for `gs://` and the other
    `tf.io.gfile` paths, such as `ram://`, which are read through `tf.io.gfile`, as
    upstream)": a local folder, a download and a mistyped scheme do not; `ram://` does. (In
    `fresh_child`'s process, before anything else.)"""
    lines = fresh_child["lines"]
    expected = [f"{fresh_child['local']} False", "http False", "htps False", "ram True"]
    assert lines[:3] + lines[5:6] == expected, lines

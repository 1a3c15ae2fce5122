"""Defects other helpers reported (session 31), each checked with real parts: real processes,
real cache folders, real log records."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import tfhub as hub
from tfhub import constants, errors, handles, resolver, resolvers
from tfhub.utils.logging import cli_logging
from tfhub.utils.printable import escaped
from tfhub.utils.refused_writes import export_write_error, failed_write

# A process that holds tfhub's OS lock of the entry argv[1] for argv[2] seconds.
_HOLDER = """
import sys, time
from tfhub.cache import locks
with locks.entry_lock(sys.argv[1], what="a test"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _env(cache_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TFHUB_")}
    return {**env, "TFHUB_CACHE_DIR": cache_dir, "TFHUB_DOWNLOAD_PROGRESS": "0"}


def test_waiting_for_a_lock_is_said_once_as_a_warning(tmp_path):
    """`tfhub cache rm H` waiting for another process's lock on the entry printed nothing
    (the "Still waiting" lines were INFO, shown only with -v): after a few seconds it says
    once, without -v, what it waits for, who holds it and TFHUB_LOCK_TIMEOUT."""
    handle, entry, env = _entry_in_a_new_cache(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, entry, "5"], stdout=subprocess.PIPE, env=env
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    done, waits = _cache_rm_while(holder, handle, env)
    assert len(waits) == 1, done.stderr
    assert f"pid {holder.pid}" in waits[0]
    assert "removing cache entry" in waits[0] and "TFHUB_LOCK_TIMEOUT" in waits[0]
    assert done.returncode == 0, done.stderr


def _entry_in_a_new_cache(tmp_path: Path) -> tuple[str, str, dict[str, str]]:
    """A handle, its entry's folder (made) in a new cache below `tmp_path`, and the environment
    of a tfhub process using that cache."""
    cache_dir = str(tmp_path / "cache")
    handle = "https://example.com/m/1"
    entry = os.path.join(cache_dir, hashlib.sha1(handle.encode()).hexdigest())
    os.makedirs(entry)
    return handle, entry, _env(cache_dir)


def _cache_rm_while(
    holder: subprocess.Popen[bytes], handle: str, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[bytes], list[str]]:
    """Runs `tfhub cache rm handle` (no -v) while `holder` holds the entry, then waits for
    `holder` to end; returns the run and its stderr lines about waiting."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tfhub.cli.main", "cache", "rm", handle],
            capture_output=True,
            env=env,
            timeout=30,
        )
    finally:
        holder.wait(timeout=30)
    return done, [line for line in done.stderr.decode().splitlines() if "aiting" in line]


# A tensorflow_hub download of the entry argv[1]: its temporary folder grows for argv[2] seconds,
# then it removes its lock file (which the test wrote, naming this process).
_UPSTREAM_WRITER = """
import os, sys, time
entry, seconds = sys.argv[1], float(sys.argv[2])
os.makedirs(entry + ".abc.tmp")
print("writing", flush=True)
with open(entry + ".abc.tmp/variables.data", "wb") as out:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.write(b"x" * 100)
        out.flush()
        time.sleep(0.1)
os.remove(entry + ".lock")
"""


def test_waiting_for_a_tensorflow_hub_download_is_said_once_as_a_warning(tmp_path):
    """The wait for tensorflow_hub's download of the entry was said at INFO only (twice a
    second with -v, nothing without): it is said once as a WARNING, naming the process."""
    handle, entry, env = _entry_in_a_new_cache(tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", _UPSTREAM_WRITER, entry, "4.5"], stdout=subprocess.PIPE, env=env
    )
    with open(entry + ".lock", "w") as lock:
        lock.write(f"{socket.gethostname()}.{writer.pid}.abc")
    assert writer.stdout is not None and writer.stdout.readline() == b"writing\n"
    done, waits = _cache_rm_while(writer, handle, env)
    assert len(waits) == 1, done.stderr
    assert f"tensorflow_hub's download of {entry} by " in waits[0]
    assert f"pid {writer.pid}" in waits[0] and "TFHUB_LOCK_TIMEOUT" in waits[0]
    assert done.returncode == 0, done.stderr


def test_logged_lines_say_a_byte_that_is_not_utf8_as_the_error_lines_do(capfd):
    """A warning naming a file whose name is not UTF-8 showed `\\udcff` (how Python holds the
    byte); the CLI's error lines say `\\xff`, and so do its log lines now, whether the name
    was passed through `escaped` or not."""
    name = os.fsdecode(b"/tmp/model\xff")
    with cli_logging(verbose=False):
        logging.getLogger("tfhub.test").warning("Cannot read %s (%s)", name, escaped(name))
    err = capfd.readouterr().err
    assert err == "tfhub: Cannot read /tmp/model\\xff (/tmp/model\\xff)\n"


def test_a_url_holding_bytes_that_are_not_utf8_is_refused_as_a_handle(isolated_cache, tmp_path):
    """`hub.resolve("https://host/m\\udcff/1")` raised a raw UnicodeEncodeError from the cache
    key; it is an InvalidHandleError that says to percent-encode the byte. A local path may
    hold such bytes (it names a file by them): it is looked up, not refused."""
    with pytest.raises(errors.InvalidHandleError, match=r"not UTF-8 text \(\\xff\).*%FF"):
        hub.resolve("https://127.0.0.1:9/m\udcff/1")
    with pytest.raises(errors.InvalidHandleError, match="percent-encode"):
        handles.cache_key("gs://bucket/m\udce9")
    folder = os.path.join(os.fsencode(tmp_path), b"model\xff")
    os.mkdir(folder)
    assert hub.resolve(os.fsdecode(folder)) == os.fsdecode(folder)


@pytest.mark.tf
def test_a_damaged_model_names_a_hostile_file_name_escaped(tmp_path):
    """A model's graph names its asset files; a hostile archive's may name one with a newline
    and a terminal escape, which `DamagedModelError` printed raw (a forged line, a cleared
    screen). It is shown escaped."""
    from tensorflow.core.protobuf import saved_model_pb2

    from tfhub import model_damage

    proto = saved_model_pb2.SavedModel(saved_model_schema_version=1)
    proto.meta_graphs.add().asset_file_def.add(filename="vocab\n\x1b[2J.txt")
    (tmp_path / "saved_model.pb").write_bytes(proto.SerializeToString())
    found = model_damage.diagnose(str(tmp_path))
    assert isinstance(found, errors.MissingModelFileError)
    assert found.problem == "assets/vocab\\x0A\\x1B[2J.txt is missing"
    assert "\n" not in str(found) and "\x1b" not in str(found)


@pytest.mark.parametrize("raw", ["1_0", "\u0663", "+5", "1.5.2", "0x10"])
def test_a_numeric_setting_reads_only_plain_ascii_numbers(raw, monkeypatch):
    """Python's float() read `1_0` as 10 and `٣` (Arabic-Indic three) as 3: a setting held a
    number no one wrote. Only ASCII digits, one dot and an exponent are read."""
    monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", raw)
    with pytest.raises(errors.SettingError, match=r"TFHUB_LOCK_TIMEOUT must be a positive number"):
        constants.lock_timeout()
    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", raw + "G")
    with pytest.raises(errors.SettingError, match="TFHUB_MAX_EXTRACTED_BYTES must be a positive"):
        constants.max_extracted_bytes()


def test_plain_numeric_settings_are_still_read(monkeypatch):
    for raw, seconds in [("30", 30.0), (" 2.5 ", 2.5), (".5", 0.5), ("1e3", 1000.0)]:
        monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", raw)
        assert constants.lock_timeout() == seconds
    for raw, size in [("512G", 512 << 30), ("1.5K", 1536), ("64 GiB", 64 << 30), ("1e3", 1000)]:
        monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", raw)
        assert constants.max_extracted_bytes() == size


class _EmptyPathResolver(resolver.Resolver):
    """A custom resolver (upstream's interface) that answers "" for `empty://` handles."""

    def is_supported(self, handle: str) -> bool:
        return handle.startswith("empty://")

    def __call__(self, handle: str) -> str:
        return ""


def test_a_resolver_returning_an_empty_path_is_refused(monkeypatch):
    """A registered resolver returning "" was accepted and "" returned as the model's path
    (the current folder, for callers that join or load it)."""
    monkeypatch.setattr(resolvers, "registry", resolvers.MultiImplRegistry("resolver"))
    monkeypatch.setattr(resolvers, "_defaults_installed", False)
    hub.register_resolver(_EmptyPathResolver())
    with pytest.raises(errors.ArgumentError) as caught:
        hub.resolve("empty://m/1")
    assert str(caught.value) == (
        "The resolver _EmptyPathResolver returned an empty path for 'empty://m/1': its __call__ "
        "must return the path of the model's folder (or raise an error if it cannot resolve "
        "the handle). Received: path=''"
    )


def test_an_export_over_the_disk_quota_says_the_quota_is_used_up(tmp_path):
    """On EDQUOT an export said "Free space on its disk": the disk may have plenty of room;
    the user's quota is what is used up. (The callers, hub.export_layer and a TF1 module's
    export, need TensorFlow: the OSError goes through `failed_write` as they pass it.)"""
    export_dir = str(tmp_path / "export")
    err = OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), os.path.join(export_dir, "a.pb"))
    refused = failed_write(err, export_dir)
    assert refused is err
    message = str(export_write_error(refused, export_dir))
    assert "Free space" not in message
    assert "disk quota there is used up (the disk itself may have room" in message
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.path.join(export_dir, "a.pb"))
    assert "Free space on its disk" in str(export_write_error(full, export_dir))


def test_publishing_and_tool_outputs_over_the_disk_quota_say_the_quota_is_used_up(tmp_path):
    """`tfhub publish` and the tools' outputs said "Free space on its disk" for EDQUOT too, as
    exports did: the one wording, `refused_writes.quota_used_up`, says what is used up."""
    from tfhub.hub import publish_refusals
    from tfhub.hub.doc_handles import parse_handle
    from tfhub.tools import output_errors

    handle = parse_handle("lab/model/1")
    root, folder = tmp_path / "hub", tmp_path / "hub" / "lab"
    quota = OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), str(folder / "1.tar.gz"))
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder / "1.tar.gz"))
    published = str(publish_refusals.disk_full(handle, root, folder, quota, "publish"))
    assert f"your disk quota on the disk of the hub folder {root} is used up" in published
    assert "Free space" not in published and published.endswith("nothing was published.")
    assert "is full. Free space on its disk" in str(
        publish_refusals.disk_full(handle, root, folder, full, "publish")
    )
    written = str(output_errors.not_written(quota, str(tmp_path / "out"), what="saved model dir"))
    assert "Your disk quota on its disk is used up" in written and "Free space" not in written
    assert "Free space on its disk" in str(
        output_errors.not_written(full, str(tmp_path / "out"), what="saved model dir")
    )

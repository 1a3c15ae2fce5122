"""Hostile archives a server could send: too many members, and odd names, headers and links.

Each archive is real (built here, served from 127.0.0.1 or read from disk) and each must end in a
clear tfhub error or a correct extraction: never a raw OSError, ValueError or RecursionError,
and never a write outside the target.
"""

from __future__ import annotations

import os
import pickle
import tarfile

import pytest
from tests._helpers.archives import add_members

from tfhub import _archive, _archive_writer, constants, errors


def _empty(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)  # A regular file of 0 bytes.


def _cache_entries() -> list[str]:
    return [n for n in os.listdir(os.environ["TFHUB_CACHE_DIR"]) if n != ".locks"]


# --- TFHUB_MAX_ARCHIVE_MEMBERS ------------------------------------------------------------------


def test_an_archive_of_too_many_empty_files_is_refused_through_resolve(
    server, served_dir, monkeypatch
):
    """A gzipped tar of millions of empty files is tiny on the wire, far below
    TFHUB_MAX_EXTRACTED_BYTES, and took hours and every inode: nothing bounded the members."""
    import tfhub as hub

    add_members(served_dir / "m.tar.gz", [_empty(f"e{i}") for i in range(300)])
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, "100")
    url = server.url("m.tar.gz")
    with pytest.raises(errors.ArchiveTooManyMembersError) as info:
        hub.resolve(url)
    error = info.value
    assert isinstance(error, errors.ArchiveTooLargeError) and isinstance(error, OSError)
    message = str(error)
    assert message.startswith(f"{url} is refused: it holds more than 100 members"), message
    assert "set TFHUB_MAX_ARCHIVE_MEMBERS higher" in message
    assert (error.limit, error.source) == (100, url)
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.limit, copy.source, str(copy)) == (
        type(error), error.limit, error.source, message
    )  # fmt: skip
    assert _cache_entries() == []  # No entry, no temporary folder: the cache stays valid.


def test_the_members_cap_stops_before_the_next_member_is_written(tmp_path, monkeypatch):
    archive = add_members(tmp_path / "a.tar.gz", [_empty(f"e{i}") for i in range(300)])
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, "100")
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveTooManyMembersError, match="more than 100 members"):
        _archive.extract_file(archive, str(target))
    assert len(os.listdir(target)) == 100  # saved_model.pb and e0..e98; not e99.


def test_an_archive_of_exactly_the_cap_is_extracted(tmp_path, monkeypatch):
    archive = add_members(tmp_path / "a.tar.gz", [_empty(f"e{i}") for i in range(99)])
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, "100")
    target = tmp_path / "t"
    target.mkdir()
    assert _archive.extract_file(archive, str(target)).members == 100


def test_the_members_cap_with_a_writer_process_leaves_the_cache_valid(
    server, served_dir, monkeypatch
):
    """Past WORKER_AFTER small files a writer process writes them: refusing there must wait
    for it and leave no temporary folder behind."""
    import tfhub as hub

    count = _archive_writer.WORKER_AFTER + 2 * _archive_writer.BATCH_FILES
    add_members(served_dir / "m.tar.gz", [_empty(f"d/e{i}") for i in range(count + 500)])
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, str(count))
    with pytest.raises(errors.ArchiveTooManyMembersError, match=f"more than {count} members"):
        hub.resolve(server.url("m.tar.gz"))
    assert _cache_entries() == []
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, str(count + 501))
    folder = hub.resolve(server.url("m.tar.gz"))
    assert len(os.listdir(os.path.join(folder, "d"))) == count + 500


def test_the_members_cap_is_validated(monkeypatch):
    assert constants.max_archive_members() == constants.DEFAULT_MAX_ARCHIVE_MEMBERS == 1_000_000
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, " 5000 ")
    assert constants.max_archive_members() == 5000
    for raw in ["0", "-1", "1e6", "1M", "lots", "²", "1.5"]:
        monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, raw)
        with pytest.raises(errors.SettingError, match=f"MEMBERS must be .*Received: '{raw}'"):
            constants.max_archive_members()

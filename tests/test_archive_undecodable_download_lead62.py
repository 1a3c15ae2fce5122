"""A downloaded archive that cannot be decompressed here, but shows no damage, is not called
damaged (review of fx62i's I4).

An .xz whose filter this liblzma lacks (a newer xz's) was told "cannot be decompressed here ...:
recompress its tar with a standard xz or gzip", and then `with_archive_hint` added "try again;
if it fails again, the archive on the server is damaged (tell its owner)". Now it is an
UndecodableArchiveError (an ArchiveError, an OSError), told only that nothing was installed.
"""

from __future__ import annotations

import pickle

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.cli import run_tfhub
from tests._helpers.http_server import answer_body
from tests.test_archive_undecodable_data_fx62i import _FILES, _xz_with_unknown_filter

import tfhub as hub
from tfhub import errors


def test_an_xz_with_a_filter_liblzma_lacks_is_not_called_damaged(
    server, tmp_path, isolated_cache
) -> None:
    tar = open(make_tar_gz(tmp_path / "m.tar", _FILES, compression=""), "rb").read()
    body = _xz_with_unknown_filter(tar)
    server.state.behaviours.append(answer_body("/m.tar.xz", 200, "application/x-xz", body, {}))
    url = server.url("m.tar.xz")
    with pytest.raises(errors.UndecodableArchiveError) as info:
        hub.resolve(url)
    message = str(info.value)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is errors.UndecodableArchiveError and str(copy) == message
    assert isinstance(info.value, errors.ArchiveError) and isinstance(info.value, OSError)
    assert "cannot be decompressed here (Invalid or unsupported options)" in message, message
    assert message.endswith("Nothing was installed."), message
    assert "damaged" not in message and "try again" not in message, message
    assert [p.name for p in isolated_cache.iterdir() if p.name != ".locks"] == []


def test_tfhub_import_names_the_file_and_says_not_decodable(
    tmp_path, isolated_cache, capsys
) -> None:
    """`tfhub import FILE.tar.xz` of such an archive: the file's name leads the message, as for
    every invalid archive, and the CLI's kind is not "bad archive" (review rv62e 4, 7)."""
    tar = open(make_tar_gz(tmp_path / "m.tar", _FILES, compression=""), "rb").read()
    archive = tmp_path / "m.tar.xz"
    archive.write_bytes(_xz_with_unknown_filter(tar))
    code, _, err = run_tfhub(capsys, "import", str(archive), "--handle", "https://h/m")
    assert code == 5, err
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"tfhub: archive not decodable here: {archive} "), line
    assert "cannot be decompressed here" in line and "damaged" not in line, line

"""make_image_classifier's URL exports (session 56 review, rev56k), on file:// URLs in-process:
the sweep of killed uploads' staging folders keeps a name it cannot read as a time, and the
probe of a file:// output whose folders do not exist yet goes to the nearest folder that does,
never to the working folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("tensorflow", reason="the exports write through tf.io.gfile")

from tfhub import gfile_io
from tfhub.tools.make_image_classifier import output_checks

STALE = ".tfhub-upload-20260101T000000Z-0123456789ab-sm"
# Named as tfhub's staging of `sm`, but no time (a 13th month): not tfhub's, so kept.
NOT_A_TIME = ".tfhub-upload-20261399T999999Z-0123456789ab-sm"


def test_a_staging_like_name_that_is_no_time_is_kept_not_a_crash(tmp_path: Path) -> None:
    for name in (STALE, NOT_A_TIME):
        (tmp_path / name).mkdir()
        (tmp_path / name / "fingerprint.pb").write_bytes(b"x")
    removed = gfile_io.remove_stale_uploads(f"{tmp_path.as_uri()}/sm")
    assert removed == [f"{tmp_path.as_uri()}/{STALE}"]
    assert sorted(os.listdir(tmp_path)) == [NOT_A_TIME]


def test_the_probe_of_a_file_url_below_missing_folders_is_not_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    written: list[str] = []
    write = gfile_io.write_bytes

    def recorded(path: str, data: bytes) -> None:  # Where the probe goes, then written.
        written.append(path)
        write(path, data)

    monkeypatch.setattr(gfile_io, "write_bytes", recorded)
    missing = f"file:///tfhub-rev56k-missing-{os.getpid()}/deeper/sm"
    try:
        output_checks.check_remote_writable(missing, what="saved model dir")
    except OSError:
        pass  # Not root: the nearest folder that exists, `/`, is not writable.
    assert len(written) == 1
    assert written[0].startswith("file:///.tfhub-write-test-"), written
    assert os.listdir(tmp_path) == []


def test_a_check_interrupted_once_its_probe_is_written_removes_the_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = gfile_io.write_bytes

    def interrupted(path: str, data: bytes) -> None:  # Ctrl-C as the write's answer came.
        write(path, data)
        raise KeyboardInterrupt

    monkeypatch.setattr(gfile_io, "write_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output_checks.check_remote_writable(f"{tmp_path.as_uri()}/sm", what="saved model dir")
    assert os.listdir(tmp_path) == []


def test_a_file_output_naming_a_bucket_itself_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tfhub import errors
    from tfhub.tools.make_image_classifier import Outputs

    asked: list[str] = []

    def recorded(path: str, *args: object) -> None:  # No request: the stand-in is not needed.
        asked.append(path)

    monkeypatch.setattr(gfile_io, "write_bytes", recorded)
    monkeypatch.setattr(gfile_io, "remove", recorded)
    with pytest.raises(errors.OutputNotWritableError, match="bucket") as caught:
        output_checks.check_outputs_writable(Outputs(labels_output_file="gs://some-bucket"))
    assert "labels_output_file=" in str(caught.value)
    assert asked == []

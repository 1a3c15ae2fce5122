"""The `tfhub` command on command lines Hypothesis makes from the light commands (resolve,
import, cache, validate) with good and bad handles, archives and settings: every run ends with
exit code 0 or one classified error line, never a traceback or an "unexpected error", and the
cache stays valid (`tfhub cache verify` passes after each run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import serve_folder
from tests._helpers.properties import property_settings

from tfhub.cli.main import main


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    """Served archives (good, cut short, not an archive), a model folder, files of other kinds,
    and a hub folder with one doc."""
    base = tmp_path_factory.mktemp("cli_world")
    served = base / "served"
    served.mkdir()
    good = make_tar_gz(served / "good.tar.gz")
    data = Path(good).read_bytes()
    (served / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    (served / "page.tar.gz").write_bytes(b"<html>not an archive</html>")
    folder = base / "model"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"\x08\x01")
    (base / "notes.txt").write_text("not a model")
    hub_root = base / "hub"
    (hub_root / "assets" / "docs" / "test").mkdir(parents=True)
    (hub_root / "assets" / "docs" / "test" / "test.md").write_text("# Publisher test\nTest.\n")
    with serve_folder(os.fspath(served)) as server:
        yield {
            "url": server.url,
            "local": [os.fspath(folder), os.fspath(base / "notes.txt"), os.fspath(base / "none")],
            "archives": [
                good,
                os.fspath(served / "cut.tar.gz"),
                os.fspath(base / "notes.txt"),
                os.fspath(folder),
            ],  # fmt: skip
            "hub": [os.fspath(hub_root), os.fspath(base / "none"), os.fspath(folder)],
        }


@st.composite
def _command_line(draw: st.DrawFn, world: dict) -> list[str]:
    url = world["url"]
    handle = draw(
        st.one_of(
            st.sampled_from(
                [
                    url("good.tar.gz"),
                    url("cut.tar.gz"),
                    url("page.tar.gz"),
                    url("missing.tar.gz"),
                    url("good.tar.gz") + "?X-Amz-Signature=abc",
                    "http://127.0.0.1:9/m.tar.gz",
                    "https://",
                    "HTTP://127.0.0.1:1/x",
                    "ftp://h/m",
                    "",
                    " ",
                    "a\nb",
                    "file:///",
                ]
            ),  # fmt: skip
            st.sampled_from(world["local"]),
            st.text(max_size=15),
        )
    )
    command = draw(st.sampled_from(["resolve", "import", "cache", "validate"]))
    if command == "resolve":
        return ["resolve", handle]
    if command == "import":
        archive = draw(st.sampled_from(world["archives"]))
        return ["import", archive, "--handle", handle, *draw(st.sampled_from([[], ["--force"]]))]
    if command == "validate":
        return ["validate", draw(st.sampled_from(world["hub"]))]
    action = draw(st.sampled_from(["list", "info", "verify", "prune", "rm"]))
    return ["cache", action, *([handle] if action == "rm" else [])]


_ENVIRONMENT = st.fixed_dictionaries(
    {},
    optional={
        "TFHUB_OFFLINE": st.sampled_from(["1", "0", "yes", "maybe"]),
        "TFHUB_MODEL_LOAD_FORMAT": st.sampled_from(["COMPRESSED", "UNCOMPRESSED", "AUTO", "zip"]),
        "TFHUB_HTTP_TIMEOUT": st.sampled_from(["5", "0", "-1", "abc", "inf", "nan"]),
        "TFHUB_MAX_EXTRACTED_BYTES": st.sampled_from(["1K", "10", "1T", "lots", "inf", "1e400"]),
        "TFHUB_DOWNLOAD_MIN_SPEED": st.sampled_from(["0", "1M", "inf", "nan", "-5"]),
    },
)


@property_settings(60)
@given(data=st.data(), environment=_ENVIRONMENT)
def test_every_run_ends_in_a_classified_line_and_a_valid_cache(
    world, tmp_path, monkeypatch, capsys, data, environment
):
    cache = tmp_path / "cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(cache))
    for runs in range(2):  # A second command finds what the first one left.
        argv = data.draw(_command_line(world), label=f"argv {runs}")
        with monkeypatch.context() as env:
            for name, value in environment.items():
                env.setenv(name, value)
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse: a usage error (2), or --help (0).
                code = stop.code
        err = capsys.readouterr().err
        assert "Traceback" not in err and "unexpected error" not in err, (argv, err)
        if code not in (0, None):
            assert err.strip(), argv  # A failure says why.
    assert main(["cache", "verify"]) == 0, capsys.readouterr().err

"""Probes of the `tfhub` command as a user at a shell meets it (session 63): `cache rm` of a
handle typed the way a browser shows it (a trailing slash, http for https, the host in
capitals) or a folder name copied with a space around it; `cache rm` and `pull` whose output
cannot be written (a pipe whose reader left, a full disk), which must still do their work; a
command that printed and then failed on a full disk; and the `--json` keys docs/cli.md names."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub
from tests._helpers.http_server import serve_folder
from tests._helpers.python_process import child_env

from tfhub import handles
from tfhub.cache.importing import import_archive

ARCHIVE = Path(__file__).parents[1] / "src" / "tfhub" / "data" / "half_plus_two_v1.tar.gz"
HANDLE = "https://example.com/models/m/1"
DOCS = Path(__file__).parents[1] / "docs" / "cli.md"


@pytest.fixture
def entry(isolated_cache: Path) -> str:
    """The folder name of the one entry of the cache, installed as HANDLE."""
    return Path(import_archive(str(ARCHIVE), HANDLE)).name


@pytest.mark.parametrize(
    "typed",
    [
        "https://example.com/models/m/1/",
        "http://example.com/models/m/1",
        "https://EXAMPLE.com/models/m/1",
    ],
)
def test_rm_of_a_near_spelling_of_a_cached_handle_names_the_handle_to_give(
    capsys: pytest.CaptureFixture[str], entry: str, isolated_cache: Path, typed: str
) -> None:
    # The cache keys an entry by its handle exactly as given (as tensorflow_hub does): such a
    # spelling is another entry, so nothing is removed; but the message must point at the one
    # `tfhub cache list` shows instead of leaving the user to spot the difference.
    code, out, err = run_tfhub(capsys, "cache", "rm", typed)
    assert code == 7, err
    assert (isolated_cache / entry).is_dir()
    assert f"The cache holds {HANDLE!r}" in err, err
    assert f"`tfhub cache rm {HANDLE}`" in err, err


def test_rm_of_a_handle_not_near_any_entry_adds_no_hint(
    capsys: pytest.CaptureFixture[str], entry: str
) -> None:
    code, _, err = run_tfhub(capsys, "cache", "rm", "https://example.com/models/other/1")
    assert code == 7
    assert "The cache holds" not in err


@pytest.mark.parametrize("spaced", [" {}", "{} ", "{}/ "])
def test_rm_of_a_folder_name_with_spaces_around_it_is_an_invalid_name_and_removes_nothing(
    capsys: pytest.CaptureFixture[str], entry: str, isolated_cache: Path, spaced: str
) -> None:
    # docs/cli.md: a name with spaces around it is an invalid handle (exit 2), and nothing is
    # removed, not even what the other names name (as for a URL with spaces around it).
    other = Path(import_archive(str(ARCHIVE), "https://example.com/models/m/2")).name
    code, _, err = run_tfhub(capsys, "cache", "rm", other, spaced.format(entry))
    assert code == 2, err
    assert f"Did you mean {entry!r}?" in err, err
    assert (isolated_cache / entry).is_dir() and (isolated_cache / other).is_dir()


def test_cache_list_json_fields_are_the_ones_docs_cli_md_names(
    capsys: pytest.CaptureFixture[str], entry: str, isolated_cache: Path
) -> None:
    code, out, _ = run_tfhub(capsys, "cache", "list", "--json")
    assert code == 0
    (item,) = json.loads(out)
    text = " ".join(DOCS.read_text().split())
    keys = r"`cache list --json` prints a list of objects with the keys ([^:]*):"
    documented = re.search(keys, text)
    assert documented, "docs/cli.md does not name the keys of `cache list --json`"
    assert list(item) == re.findall(r"`(\w+)`", documented[1])
    assert item["name"] == entry and item["handle"] == HANDLE
    assert item["path"] == str(isolated_cache / entry)
    files = [f for f in (isolated_cache / entry).rglob("*") if f.is_file()]
    assert item["size"] == sum(f.stat().st_size for f in files)


def _rm_with_stdout(stdout: int | object, *argv: str) -> subprocess.CompletedProcess[str]:
    """`tfhub cache rm ARGV` writing each line at once (PYTHONUNBUFFERED, as in CI logs) to
    `stdout`: a pipe whose reader is gone (subprocess.PIPE, closed at once) or a file."""
    command = [sys.executable, "-m", "tfhub", "cache", "rm", *argv]
    env = child_env(PYTHONUNBUFFERED="1")
    if stdout is not subprocess.PIPE:
        return subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as rm:
        assert rm.stdout is not None and rm.stderr is not None
        rm.stdout.close()  # `| head -0`: the reader leaves before the first line.
        err = rm.stderr.read().decode()
    return subprocess.CompletedProcess(command, rm.wait(), "", err)


@pytest.mark.parametrize("output", ["closed pipe", "full disk"])
def test_rm_whose_output_cannot_be_written_still_removes_every_entry_it_was_given(
    entry: str, isolated_cache: Path, output: str
) -> None:
    # `tfhub cache rm --all | head -1` removed the first entry, then stopped at the broken pipe
    # (exit 141, 199 of 200 entries left; buffered, the rest after the first 8 KB of lines);
    # `> /dev/full` alike. The lines are a report of the work, not the work: it is done, then
    # the command ends as docs/cli.md says (141 quietly; one line and 1 for a full disk).
    for number in (2, 3):
        import_archive(str(ARCHIVE), f"https://example.com/models/m/{number}")
    with open(os.devnull if output == "closed pipe" else "/dev/full", "w") as full:
        done = _rm_with_stdout(subprocess.PIPE if output == "closed pipe" else full, "--all")
    if output == "closed pipe":
        assert (done.returncode, done.stderr) == (141, ""), done.stderr
    else:
        assert done.returncode == 1 and done.stderr.startswith(
            "tfhub: OS error: cannot write the output to stdout: [Errno 28]"
        ), done.stderr
    assert [name for name in os.listdir(isolated_cache) if name != ".locks"] == []


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_command_that_printed_then_failed_on_a_full_disk_says_both_without_python_noise(
    entry: str, isolated_cache: Path, unbuffered: str
) -> None:
    # `tfhub cache rm ENTRY nope > /dev/full`: rm printed its "removed" line, then raised "not
    # in the cache". Buffered (as at a shell), the runner reported that and left the buffer to
    # Python's exit, whose flush failed: "Exception ignored in: <_io.TextIOWrapper
    # name='<stdout>' ...> OSError: [Errno 28]", exit 120. Unbuffered (PYTHONUNBUFFERED, CI),
    # the failed write was noted, and the not-found error (a FileNotFoundError) was then taken
    # for it: "cannot write the output to stdout: Not in the cache ...", exit 1.
    command = [sys.executable, "-m", "tfhub", "cache", "rm", HANDLE, "nope"]
    env = {k: v for k, v in child_env().items() if k != "PYTHONUNBUFFERED"}
    env.update({"PYTHONUNBUFFERED": "1"} if unbuffered else {})
    with open("/dev/full", "w") as full:
        done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert "Exception ignored" not in done.stderr, done.stderr
    assert done.returncode == 7, done.stderr
    assert done.stderr.splitlines()[0].startswith(
        "tfhub: OS error: cannot write the output to stdout: [Errno 28]"
    ), done.stderr
    not_found = done.stderr.splitlines()[1]
    assert not_found.startswith("tfhub: not found: Not in the cache "), done.stderr
    assert not (isolated_cache / entry).exists()


def test_inspect_json_keys_are_the_ones_docs_cli_md_names(
    capsys: pytest.CaptureFixture[str], entry: str, isolated_cache: Path
) -> None:
    text = " ".join(DOCS.read_text().split())
    documented = re.search(r"`inspect --json` prints one object with the keys ([^:]*):", text)
    assert documented, "docs/cli.md does not name the keys of `inspect --json`"
    keys = re.findall(r"`(\w+)`", documented[1])
    code, out, err = run_tfhub(capsys, "inspect", HANDLE, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert list(info) == [key for key in keys if key != "reusable"]  # A TF1 Hub module.
    assert info["path"] == str(isolated_cache / entry) and info["format"] == "TF1 Hub format"
    (meta,) = info["meta_graphs"]
    assert meta["signatures"]["default"]["inputs"] == {
        "default": {"dtype": "float32", "shape": None}
    }
    assert info["variables"] == {"count": 2, "bytes": 8}


def test_pull_whose_output_cannot_be_written_still_pulls_every_handle(
    entry: str, isolated_cache: Path, tmp_path: Path
) -> None:
    # `tfhub pull CACHED NEW > /dev/full` (or `| head -1`, a reader gone) ended at its first
    # line: NEW was never pulled, so the cache copied to an offline machine lacked it. Its
    # lines report the work, as rm's: every handle is pulled, then the output's failure said.
    served = tmp_path / "served"
    served.mkdir()
    (served / "m.tar.gz").write_bytes(ARCHIVE.read_bytes())
    with serve_folder(str(served)) as server, open("/dev/full", "w") as full:
        new = server.url("m.tar.gz")
        command = [sys.executable, "-m", "tfhub", "pull", HANDLE, new]
        env = child_env(PYTHONUNBUFFERED="1")
        done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("tfhub: OS error: cannot write the output to stdout:")
    assert (isolated_cache / handles.cache_key(new)).is_dir(), done.stderr


def test_pull_with_a_failed_handle_and_a_full_stdout_exits_with_the_handles_code_lead63(
    entry: str, isolated_cache: Path, tmp_path: Path
) -> None:
    # Review rv63b: a failed handle and stdout on a full disk exited 1 (the output's code):
    # docs/cli.md promises both said and the error's own code, as `cache rm H nope` does.
    nowhere = str(tmp_path / "nowhere")
    command = [sys.executable, "-m", "tfhub", "pull", nowhere, HANDLE]
    for unbuffered in ("1", ""):
        env = child_env(PYTHONUNBUFFERED=unbuffered)
        with open("/dev/full", "w") as full:
            done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, env=env)
        alone = subprocess.run(command, capture_output=True, text=True, env=env)
        assert alone.returncode not in (0, 1), alone.stderr
        assert done.returncode == alone.returncode, done.stderr
        assert "cannot write the output to stdout" in done.stderr, done.stderr
        assert "Exception ignored" not in done.stderr, done.stderr


def test_rm_hint_is_a_command_a_shell_runs_and_shows_no_password_lead63(
    capsys: pytest.CaptureFixture[str], isolated_cache: Path
) -> None:
    # Review rv63b: the hint's command was not shell-quoted (pasted, `...m?a=1&b=2` ran
    # `...m?a=1` in the background), and a typed handle with credentials never matched the
    # redacted one the cache shows.
    queried = "https://example.com/m?a=1&b=2"
    import_archive(str(ARCHIVE), queried)
    code, _, err = run_tfhub(capsys, "cache", "rm", "https://EXAMPLE.com/m?a=1&b=2")
    assert code == 7, err
    assert f"`tfhub cache rm '{queried}'`" in err, err
    secret = "pw-lead63-Qx"
    entry = Path(import_archive(str(ARCHIVE), f"https://u:{secret}@example.com/m/3")).name
    code, _, err = run_tfhub(capsys, "cache", "rm", f"https://u:{secret}@EXAMPLE.com/m/3/")
    assert code == 7, err
    assert f"`tfhub cache rm {entry}`" in err and secret not in err, err

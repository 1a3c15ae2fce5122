"""Everyday commands checked by hand in session 39: each test is a defect found that way, with
real commands (`tfhub.cli.main`) on real cache folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._helpers.archives import tensorflow_hub_entry
from tests._helpers.cli import run_tfhub


def test_cache_rm_takes_a_handle_as_cache_list_shows_it_escaped(
    capsys: pytest.CaptureFixture[str], isolated_cache: Path
) -> None:
    """`tfhub cache list` shows a handle holding a control character (a tab another tool wrote
    in its descriptor) escaped (`\\x09`), and `tfhub cache rm` refused that text as "Not in the
    cache", though its message says rm takes a handle as `tfhub cache list` shows it."""
    folder = Path(tensorflow_hub_entry(isolated_cache, "https://example.com/a\tb.tar.gz"))
    code, listed, err = run_tfhub(capsys, "cache", "list")
    assert code == 0, err
    shown = listed.strip().split("\t")[-1]
    assert shown == "https://example.com/a\\x09b.tar.gz"
    code, out, err = run_tfhub(capsys, "cache", "rm", shown)
    assert code == 0, err
    assert folder.name in out
    assert not folder.exists()
    assert run_tfhub(capsys, "cache", "list")[1].strip().endswith("is empty.")


@pytest.mark.parametrize("handle", ["./x", "x", "models/x"])
def test_a_relative_path_from_a_deleted_working_folder_says_so(
    handle: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    isolated_cache: Path,
) -> None:
    """From a working folder that was deleted meanwhile (a shell left in a removed build
    folder), `hub.resolve("./x")` raised FileNotFoundError "[Errno 2] No such file or
    directory" (os.getcwd's), naming neither the handle nor why; `tfhub resolve ./x` printed
    only that."""
    import tfhub as hub
    from tfhub import errors

    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(errors.ModelNotFoundError) as raised:
        hub.resolve(handle)
    message = str(raised.value)
    assert message.startswith(f"{handle} does not exist: ")
    assert "working folder" in message and "was deleted" in message
    assert raised.value.path == handle
    code, out, err = run_tfhub(capsys, "resolve", handle)
    assert (code, out) == (7, "")
    assert err == f"tfhub: not found: {message}\n"


def _in_a_deleted_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()


@pytest.mark.tf
def test_a_keras_layer_of_a_relative_path_from_a_deleted_working_folder_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_cache: Path
) -> None:
    """`hub.KerasLayer("./x")` there raised the resolver's clear error, then, while adding to it
    where the relative path led (os.getcwd, os.path.abspath), os.getcwd's bare
    FileNotFoundError."""
    pytest.importorskip("tensorflow")
    import tfhub as hub
    from tfhub import errors

    _in_a_deleted_folder(tmp_path, monkeypatch)
    with pytest.raises(errors.ModelNotFoundError, match="working folder .* was deleted"):
        hub.KerasLayer("./x")


def test_a_tool_module_flag_of_a_relative_path_from_a_deleted_working_folder_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_cache: Path
) -> None:
    """A tool's --tfhub_module ./x there raised os.path.abspath's bare FileNotFoundError while
    naming where the path led."""
    from tfhub import errors
    from tfhub.tools.module_handles import resolve_model_folder

    _in_a_deleted_folder(tmp_path, monkeypatch)
    with pytest.raises(errors.ModuleUnavailableError) as raised:
        resolve_model_folder("./x", flag="tfhub_module")
    message = str(raised.value)
    assert message.startswith("The module ./x does not exist: it is a relative path, and the ")
    assert "working folder it is relative to was deleted" in message
    assert message.endswith("Received: tfhub_module='./x'")


def test_an_import_failing_for_a_missing_file_is_not_taken_for_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """utils.lazy turns an import's FileNotFoundError into TempFolderError only when Python
    found no writable temporary folder; a module that fails for a file of its own (a data file
    it reads at import) must raise that error as it is (a surviving mutant, mututils39)."""
    from tfhub import errors
    from tfhub.utils.lazy import import_optional

    (tmp_path / "reads_data_at_import.py").write_text(
        "open('/nonexistent/tfhub-probe/data.bin', 'rb')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(FileNotFoundError) as raised:
        import_optional("reads_data_at_import", purpose="the probe")
    assert not isinstance(raised.value, errors.TempFolderError)
    assert raised.value.filename == "/nonexistent/tfhub-probe/data.bin"

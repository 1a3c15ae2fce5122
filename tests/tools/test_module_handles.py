"""tfhub.tools.module_handles: a module flag that leads to no model is one error naming the
flag, before TensorFlow's loader is asked (no TensorFlow needed to find out)."""

from __future__ import annotations

import hashlib
import importlib
import os
import pickle
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.module_handles import distinct_modules, loading, resolve_model_folder


def _model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"\x08\x01")  # Not empty (not parsed here).
    return folder


def test_a_model_folder_resolves_to_itself(tmp_path: Path) -> None:
    model = _model(tmp_path / "m")
    assert resolve_model_folder(str(model), flag="tfhub_module") == str(model)


@pytest.mark.parametrize(
    ("layout", "problem", "remedy"),
    [
        ("missing", "does not exist", "Check the path"),
        ("empty", "its folder has no saved_model.pb", "Pass the folder that holds"),
        ("nested", "its folder has no saved_model.pb", "Did you mean"),
        ("file", "is a file, not a model folder", "Pass the folder that holds"),
        ("keras", "is a Keras model file, not a model folder", "Load it with keras.models."),
        ("pb", "is the model's saved_model.pb, not a model folder", "Pass its folder, "),
        ("empty_pb", "is damaged: its saved_model.pb is empty", "Copy or export it again"),
    ],
)
def test_a_handle_without_a_model_names_the_flag(
    tmp_path: Path, layout: str, problem: str, remedy: str
) -> None:
    handle = tmp_path / "module"
    if layout == "empty":
        handle.mkdir()
        (handle / "README.md").write_text("not a model")
    elif layout == "nested":  # An archive extracted one level too high.
        _model(handle / "inner")
    elif layout == "file":
        handle.write_bytes(b"not a model")
    elif layout == "keras":
        handle = tmp_path / "module.keras"
        handle.write_bytes(b"PK")
    elif layout == "pb":  # The model's file instead of its folder.
        handle = _model(handle) / "saved_model.pb"
    elif layout == "empty_pb":  # A copy cut short.
        handle.mkdir()
        (handle / "saved_model.pb").write_bytes(b"")
    with pytest.raises(errors.ModuleUnavailableError) as caught:
        resolve_model_folder(str(handle), flag="module_url")
    message = str(caught.value)
    assert problem in message and remedy in message and "\n" not in message
    assert message.endswith(f"Received: module_url={str(handle)!r}")
    if layout == "nested":
        assert str(handle / "inner") in message
    copy = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(copy, FileNotFoundError) and (copy.handle, copy.flag) == (
        str(handle),
        "module_url",
    )


def test_a_relative_path_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.ModuleUnavailableError, match=str(tmp_path / "nope")):
        resolve_model_folder("nope", flag="module")


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        ("make_image_classifier", ["--image_dir", "{images}", "--tfhub_module", "{module}"]),
        ("module_search", ["--dataset", "{images}", "--module", "{module}"]),
    ],
)
def test_the_tools_name_their_module_flag(
    module: str,
    argv: list[str],
    shape_images: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli = importlib.import_module(f"tfhub.tools.{module}.cli")
    not_a_model = tmp_path / "downloads"
    not_a_model.mkdir()
    values = {"images": os.fspath(shape_images), "module": os.fspath(not_a_model)}
    assert cli.main([arg.format(**values) for arg in argv]) != 0
    err = capsys.readouterr().err
    line = err.strip().splitlines()[-1]  # module_search logs "Scoring ..." before it.
    assert "Traceback" not in err
    flag = argv[2].lstrip("-")
    assert line.startswith("tfhub: not found: The module") and "no saved_model.pb" in line
    assert line.endswith(f"Received: {flag}={os.fspath(not_a_model)!r}")


@pytest.mark.parametrize(
    ("handle", "remedy"),
    [
        ("/models/m", "copy or export it again"),
        ("https://hub.example/m/1", "remove its download (tfhub cache rm https://hub.example/m/1)"),
        # Shown redacted, a signed URL names no entry: its cache folder's name (sha1) does.
        (
            "https://h/m.tgz?X-Amz-Signature=5ecret",
            "remove its download (tfhub cache rm {sha1})",
        ),
    ],
)
def test_the_loaders_answer_to_damaged_files_is_one_error(handle: str, remedy: str) -> None:
    with pytest.raises(errors.ModuleUnavailableError) as caught:
        with loading(handle, flag="module_url"):
            raise IndexError("Read less bytes than requested")  # Cut variables, TF 2.21.
    message = str(caught.value)
    shown = handle.replace("5ecret", "***")
    # The entry's folder: a signed URL is hashed without its signature's parameters.
    unsigned = handle.split("?")[0]
    remedy = remedy.format(sha1=hashlib.sha1(unsigned.encode()).hexdigest())
    assert message.startswith(f"The module {shown} cannot be loaded (IndexError: Read less")
    assert remedy in message and message.endswith(f"Received: module_url={shown!r}")
    assert isinstance(caught.value.__cause__, IndexError)
    for other in (errors.ImageSizeError("tfhub's own", handle="h"), TypeError("a bug")):
        with pytest.raises(type(other)), loading(handle, flag="module_url"):
            raise other


def test_distinct_modules_keeps_the_first_spelling_of_each_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(tmp_path / "m")
    (tmp_path / "link").symlink_to(model)
    monkeypatch.chdir(tmp_path)
    spellings = ["m", f"{model}/", f"file://{model}", "./m", str(tmp_path / "link")]
    urls = ["https://h.example/m/1", "HTTPS://h.example/m/1", "https://h.example/m/2"]
    assert distinct_modules([*spellings, *urls, "m"]) == [
        "m",
        "https://h.example/m/1",
        "https://h.example/m/2",
    ]

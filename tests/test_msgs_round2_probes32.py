"""Messages, round 2 (session 32): Ctrl-C while tfhub starts, tags, path escapes, what a
path is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.cli import run_tfhub as run_tfhub_here
from tests._helpers.python_process import run_tfhub

SRC = str(Path(__file__).resolve().parents[1] / "src")

# How each way of starting `tfhub` runs it: `python -m tfhub` and what the console script
# (`tfhub = tfhub.cli.main:main`) runs; after `SIGINT_AFTER_IMPORT`, in one `python -c`.
STARTS = {
    "python -m tfhub": "import runpy; runpy.run_module('tfhub', run_name='__main__')",
    "console script": "from tfhub.cli.main import main; sys.exit(main())",
}


# Run first in the child: right after the module named by TFHUB_TEST_SIGINT_AFTER has run,
# the process gets SIGINT, as a Ctrl-C then would give it (Python raises KeyboardInterrupt in
# the import that was under way). Sending the signal from outside raced the child, which ends
# `cache list` within milliseconds from compiled bytecode; a `sitecustomize` holding this was
# not imported by every environment's start-up. SIGINT's handler first, as a terminal's shell
# gives it: a suite started in the background (`.ci/run &`, a CI step) inherits SIGINT ignored,
# and Python keeps it so (the signal then never arrived and the run ended quietly with 0).
SIGINT_AFTER_IMPORT = """
import importlib.util, os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)

class _SigintAfter:
    def __init__(self, name):
        self.name = name

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            signal.raise_signal(signal.SIGINT)

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _SigintAfter(os.environ["TFHUB_TEST_SIGINT_AFTER"]))
"""


def _interrupt_after_import(start: str, module: str, tmp_path: Path) -> tuple[int, str]:
    """Runs `tfhub cache list` the way `start` does, interrupted by SIGINT right after `module`
    was imported: while tfhub's modules still import."""
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "TFHUB_CACHE_DIR": str(tmp_path / "cache"),
        "TFHUB_TEST_SIGINT_AFTER": module,
    }
    done = subprocess.run(
        [sys.executable, "-c", SIGINT_AFTER_IMPORT + start, "cache", "list"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stderr


# The modules after which SIGINT comes: tfhub's first (python -m tfhub then runs its
# __main__), the command-line's helpers, a module only the command imports (the console
# script's own line, `from tfhub.cli.main import main`, is outside tfhub's reach).
CASES = [
    ("python -m tfhub", "tfhub.cli"),
    ("python -m tfhub", "tfhub.cli._parsers"),
    ("console script", "tfhub.cli._parsers"),
    ("python -m tfhub", "tfhub.cache.verify"),
    ("console script", "tfhub.cache.verify"),
]


@pytest.mark.parametrize(("start", "module"), CASES)
def test_ctrl_c_while_tfhub_imports_is_one_line_and_130(
    start: str, module: str, tmp_path: Path
) -> None:
    code, said = _interrupt_after_import(STARTS[start], module, tmp_path)
    assert "Traceback" not in said, said
    assert said.strip().splitlines()[-1:] == ["tfhub: interrupted"], said
    assert code == 130, said  # docs/cli.md: 130 for Ctrl-C.


@pytest.mark.parametrize("tags", [5, ["serve", None], {1}])
def test_load_refuses_tags_that_are_not_strings_naming_tags(tags: object, tmp_path: Path) -> None:
    from tfhub import errors, saved_model

    with pytest.raises(errors.ArgumentTypeError, match=r"Received: tags=") as caught:
        saved_model.load(str(tmp_path / "absent"), tags=tags)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)


def _not_utf8_folder(tmp_path: Path, *, saved_model: bool) -> str:
    """A folder whose name holds the byte 0xE8 (not UTF-8), with a saved_model.pb if asked."""
    folder = os.path.join(os.fsencode(tmp_path), b"mod\xe8le")
    os.mkdir(folder)
    if saved_model:
        with open(os.path.join(folder, b"saved_model.pb"), "wb") as file:
            file.write(b"")
    return os.fsdecode(folder)


def test_resolve_for_tensorflow_says_a_bad_byte_as_xff_in_received_too(tmp_path: Path) -> None:
    from tfhub import errors, saved_model

    folder = _not_utf8_folder(tmp_path, saved_model=True)
    with pytest.raises(errors.ModelPathEncodingError) as caught:
        saved_model.resolve_for_tensorflow(folder)
    message = str(caught.value)
    assert "\\udc" not in message, message
    assert message.count("mod\\xe8le") == 2, message
    assert message.endswith(f"Received: handle='{os.fsdecode(tmp_path)}/mod\\xe8le'"), message


@pytest.mark.parametrize("command", ["pack", "publish"])
def test_pack_and_publish_say_a_bad_byte_as_xff_in_received_too(
    command: str, tmp_path: Path
) -> None:
    folder = os.path.join(_not_utf8_folder(tmp_path, saved_model=False), "absent")
    hub = str(tmp_path / "hub")
    more = ["-o", str(tmp_path / "m.tar.gz")] if command == "pack" else [hub, "--handle", "me/m/1"]
    args = [command, folder, *more]
    done = run_tfhub(*args, text=False, timeout=120, TFHUB_CACHE_DIR=str(tmp_path / "cache"))
    said = done.stderr.decode("utf-8")
    assert done.returncode != 0, said
    assert "\\udc" not in said and "Received: model_dir=" in said, said
    assert said.count("mod\\xe8le") == 2, said


def _tfhub(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return run_tfhub(*args, timeout=120, TFHUB_CACHE_DIR=str(cache))


def test_a_keras_file_over_http_is_said_as_a_local_one_is(
    server, served_dir, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zipfile

    keras_file = served_dir / "m.keras"  # What model.save("m.keras") writes: a ZIP archive.
    with zipfile.ZipFile(keras_file, "w") as archive:
        archive.writestr("metadata.json", '{"keras_version": "3.10.0"}')
        archive.writestr("config.json", '{"class_name": "Sequential"}')
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    over_http = _tfhub("resolve", server.url("m.keras"), cache=tmp_path / "cache")
    # In this process: `inspect` imports TensorFlow (~5 CPU-s in a fresh one), which is not
    # what is checked here (its message is).
    code, _, local_err = run_tfhub_here(capsys, "inspect", str(keras_file))
    assert over_http.returncode != 0 and code != 0
    assert "unpack it and pack" not in over_http.stderr, over_http.stderr
    assert "a Keras model file" in over_http.stderr, over_http.stderr
    todo = "Load it with keras.models.load_model, or export a SavedModel from it"
    assert todo in over_http.stderr and todo in local_err, (over_http.stderr, local_err)


@pytest.mark.skipif(not os.path.exists(os.devnull), reason="no /dev/null")
def test_inspect_of_a_character_device_says_what_it_is(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In this process, as `inspect` imports TensorFlow (~5 CPU-s in a fresh one)."""
    code, _, err = run_tfhub_here(capsys, "inspect", os.devnull)
    assert code != 0
    assert "it is a character device, not a model folder" in err, err
    assert "holds no saved_model.pb" not in err, err


def test_read_saved_model_proto_of_a_named_pipe_says_what_it_is(tmp_path: Path) -> None:
    from tfhub import errors
    from tfhub.saved_model_proto import read_saved_model_proto

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(errors.DamagedModelError, match="it is a FIFO, not a model folder"):
        read_saved_model_proto(str(pipe))

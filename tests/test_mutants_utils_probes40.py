"""Mutants of `tfhub.utils` (import_hooks, native_stderr, records, threads, lazy, redact),
`tfhub.absl_flags`, `tfhub.help_text` and `tfhub.server` that the other tests let live
(session 40): each test here fails with one such change made to the code it names."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import sys
import types
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import SRC_DIR, child_env, run_python

from tfhub import absl_flags, constants, errors, help_text
from tfhub.server import serve_models
from tfhub.utils import import_hooks, lazy, native_stderr, redact
from tfhub.utils.records import FrozenRecord

# --- utils.import_hooks -----------------------------------------------------------------------


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder first on sys.path; the modules a test writes there are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("probe40_"):
            del sys.modules[name]
    for name in [name for name in import_hooks._pending if name.startswith("probe40_")]:
        del import_hooks._pending[name]


def test_a_module_still_running_its_code_is_not_imported_yet(on_path: Path) -> None:
    """is_imported: "True if `module_name` is in sys.modules and done initializing". A module
    asked about from its own code is in sys.modules but half made (a hook run then would see
    the names defined so far only)."""
    (on_path / "probe40_half.py").write_text(
        "from tfhub.utils import import_hooks\nDURING = import_hooks.is_imported(__name__)\n"
    )
    module = importlib.import_module("probe40_half")
    assert module.DURING is False and import_hooks.is_imported("probe40_half") is True


def test_a_module_made_by_hand_counts_as_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module a program puts in sys.modules itself (no `__spec__`, as `types.ModuleType`
    makes it) is imported: its hook runs at once, not never (no import of it will follow)."""
    monkeypatch.setitem(sys.modules, "probe40_by_hand", types.ModuleType("probe40_by_hand"))
    seen: list[str] = []
    import_hooks.call_after_import("probe40_by_hand", lambda: seen.append("ran"))
    assert seen == ["ran"] and "probe40_by_hand" not in import_hooks._pending


def test_a_watched_namespace_package_still_imports(on_path: Path) -> None:
    """A watched name that is a namespace package (a folder without `__init__.py`: the spec's
    loader is None) is left to the import system, which imports it as usual."""
    (on_path / "probe40_namespace").mkdir()
    (on_path / "probe40_namespace" / "leaf.py").write_text("VALUE = 3\n")
    import_hooks.call_after_import("probe40_namespace", lambda: None)
    leaf = importlib.import_module("probe40_namespace.leaf")
    assert leaf.VALUE == 3


_BUILTIN_HOOK_CODE = """
import json
from tfhub.utils import import_hooks
seen = []
import_hooks.call_after_import("_tracemalloc", lambda: seen.append("_tracemalloc"))
import_hooks.call_after_import("_bz2", lambda: seen.append("_bz2"))
import _tracemalloc, _bz2
print(json.dumps({"seen": seen, "tracing": _tracemalloc.is_tracing(),
                  "compressor": _bz2.BZ2Compressor.__name__}))
"""


def test_hooks_run_after_builtin_and_extension_modules_which_import_whole() -> None:
    """A watched module built into the interpreter (`_tracemalloc`) or compiled (`_bz2`), in a
    fresh `python -S` (no `.pth` finder on sys.meta_path): the watcher asks the very next
    finder (the builtin one), and the real loader makes the module (`create_module`): a
    builtin module made as a plain one had none of its functions."""
    out = run_python(_BUILTIN_HOOK_CODE, flags=["-S"], timeout=60)
    assert json.loads(out.stdout) == {
        "seen": ["_tracemalloc", "_bz2"],
        "tracing": False,
        "compressor": "BZ2Compressor",
    }


# --- utils.native_stderr ----------------------------------------------------------------------


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd (Linux)")
def test_a_captured_block_leaves_no_descriptor_open() -> None:
    """redirected() closes its copy of the old descriptor 2 once it is back: a process that
    captures the converters' output on every call (tflite) ran out of descriptors."""
    before = _open_descriptors()
    for _ in range(5):
        with native_stderr.captured():
            os.write(2, b"from C++\n")
    assert _open_descriptors() == before


def test_bytes_that_are_not_utf8_are_replaced_not_raised() -> None:
    """Native libraries write bytes, not text (a path in Latin-1): they are shown with U+FFFD,
    and the block does not end in UnicodeDecodeError."""
    with native_stderr.captured() as diagnostics:
        os.write(2, b"file caf\xe9\n")
    assert diagnostics.text == "file caf\ufffd\n"


def test_a_closed_python_stderr_does_not_break_a_captured_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A program that closed its `sys.stderr` (its flush raises ValueError) still gets the
    native output collected."""
    closed = open(os.devnull, "w")  # Closed at once: a closed stream is the point.
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    with native_stderr.captured() as diagnostics:
        os.write(2, b"from C++\n")
    assert diagnostics.text == "from C++\n"


_BUFFERED_STDERR_CODE = """
import sys
from tfhub.utils import native_stderr
sys.stderr = open(2, "w", closefd=False)  # A program's own stderr stream: it buffers.
sys.stderr.write("before|")
with native_stderr.captured() as diagnostics:
    sys.stderr.write("inside|")
sys.stderr.write("after|")
sys.stderr.flush()
print(repr(diagnostics.text))
"""


def test_python_writes_go_where_descriptor_2_pointed_when_they_were_made() -> None:
    """redirected(): "Python's own `sys.stderr` writes go there too meanwhile": with a
    `sys.stderr` that buffers, what was written before the block is flushed to the terminal
    first, and what was written inside it into the capture, before descriptor 2 is put back."""
    done = run_python(_BUFFERED_STDERR_CODE, timeout=60)
    assert (done.stdout, done.stderr) == ("'inside|'\n", "before|after|")


_CLOSED_STDERR_CODE = """
import os, sys
from tfhub.utils import native_stderr
target = os.open(os.devnull, os.O_WRONLY)  # Opened first: it does not take descriptor 2.
os.close(2)
with native_stderr.redirected(target):
    os.write(2, b"hidden\\n")
try:
    os.fstat(2)
    print("open")
except OSError:
    print("closed")
"""


def test_redirected_closes_descriptor_2_again_if_it_was_closed() -> None:
    """redirected(): "closed again if it was closed (`cmd 2>&-`)": descriptor 2 does not stay
    a copy of the target (where the program's later error output would go, and which the
    next file opened would no longer take)."""
    done = run_python(_CLOSED_STDERR_CODE, timeout=60)
    assert done.stdout == "closed\n"


# --- utils.records ----------------------------------------------------------------------------


class _Pair(FrozenRecord):
    _fields = ("left", "right")
    left: int
    right: int

    def __init__(self, left: int, right: int) -> None:
        self._init_fields(left, right)


class _Anything:
    """Equal to everything (as `unittest.mock.ANY` is, which tests compare records with)."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]


def test_a_record_leaves_a_comparison_with_another_type_to_that_type() -> None:
    """As a dataclass's `__eq__`, a record's answers NotImplemented for another class, so
    Python asks the other operand: `record == ANY` holds (a False answer ended it there)."""
    assert _Pair(1, 2) == _Anything()
    assert _Pair(1, 2).__eq__(object()) is NotImplemented


def test_a_record_given_more_or_fewer_values_than_fields_refuses_them() -> None:
    """_init_fields pairs values and `_fields` strictly: a subclass whose `__init__` passes one
    value too few or too many fails at once instead of making a record without a field."""

    class Short(_Pair):
        def __init__(self, left: int, right: int) -> None:
            self._init_fields(left)

    class Long(_Pair):
        def __init__(self, left: int, right: int) -> None:
            self._init_fields(left, right, 3)

    for cls in (Short, Long):
        with pytest.raises(ValueError, match="zip"):
            cls(1, 2)


# --- utils.lazy: TensorFlow's C++ start-up lines ----------------------------------------------

# A line of TensorFlow's C++ logging (`I0000 00:00:1796410605.853219 16229 port.cc:153] ...`).
_TF_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:[\d.]+ ", re.MULTILINE)

_IMPORT_OPTIONAL_CODE = """
import importlib, sys
from tfhub.utils import lazy
if sys.argv[1] == "plain":  # As a program that imports it itself: tfhub decides nothing.
    importlib.import_module(sys.argv[2])
else:
    lazy.quiet_native_logs(sys.argv[1] == "quiet")
    lazy.import_optional(sys.argv[2], purpose="a probe")
print("tensorflow" in sys.modules)
"""


def _start_up_lines(how: str, module: str) -> list[str]:
    """TensorFlow's C++ lines on the stderr of a fresh process that imports `module` ("plain":
    itself; "quiet" or "verbose": through `import_optional`), with TF_CPP_MIN_LOG_LEVEL unset
    (the user's choice, kept)."""
    env = {k: v for k, v in child_env().items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = run_python(_IMPORT_OPTIONAL_CODE, how, module, env=env, timeout=180)
    assert done.stdout == "True\n", done.stderr[-2000:]
    return _TF_LOG_LINE.findall(done.stderr)


@pytest.mark.tf
def test_tensorflows_start_up_lines_are_hidden_only_when_asked() -> None:
    """quiet_native_logs: the `tfhub` command hides TensorFlow's C++ start-up lines (CUDA, CPU
    features: written to descriptor 2 even at TF_CPP_MIN_LOG_LEVEL=3) when TensorFlow is first
    imported, also through Keras 3, which imports it; unless asked (`-v`), they are shown.
    A program importing TensorFlow itself ("plain") is run only where `-v` showed none: it
    tells a build that prints none (skip) from lines kept hidden (fail)."""
    if not _start_up_lines("verbose", "tensorflow"):
        if not _start_up_lines("plain", "tensorflow"):
            pytest.skip("this TensorFlow build prints no start-up lines: nothing to hide")
        pytest.fail("TensorFlow's start-up lines were hidden although asked for (verbose)")
    assert _start_up_lines("quiet", "keras") == []


# --- utils.lazy: install hints ----------------------------------------------------------------


@pytest.mark.parametrize("module", ["torch", "jax"])
def test_a_missing_backend_package_asked_for_itself_is_not_a_keras_backend_problem(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_keras_backend_missing: only an import of Keras that fails on a backend's package is
    "the backend Keras is set to"; a tool asking for `torch` or `jax` itself (an optional
    package of its own) gets the install command of that package."""
    monkeypatch.setitem(sys.modules, module, None)  # Not installed, whatever this machine has.
    with pytest.raises(errors.MissingDependencyError) as caught:
        lazy.import_optional(module, purpose="a probe")
    assert "Keras" not in str(caught.value)
    assert caught.value.module == module and caught.value.command == f"pip install {module}"


_INSTALL_COMMAND_CODE = """
import tfhub
from tfhub.utils.lazy import install_command
print(tfhub.__file__)
print(install_command("tf"))
"""


@pytest.mark.parametrize(
    ("package", "pyproject"),
    [("proj/vendor/tfhub", "proj/pyproject.toml"), ("proj/src/tfhub", None)],
    ids=["beside-another-projects-pyproject", "src-folder-without-pyproject"],
)
def test_only_a_source_checkout_gets_the_editable_install_command(
    tmp_path: Path, package: str, pyproject: str | None
) -> None:
    """install_command: "A source checkout (`<root>/src/tfhub` next to `<root>/pyproject.toml`)"
    gets `pip install -e "<root>[extra]"`; a copy of tfhub vendored in another project (its
    pyproject.toml two folders up) or in a `src` folder with no pyproject.toml is not one: an
    editable install there would install the other project, or nothing."""
    shutil.copytree(
        SRC_DIR / "tfhub", tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
    )
    if pyproject is not None:
        (tmp_path / pyproject).write_text('[project]\nname = "theirs"\n')
    env = {**child_env(), "PYTHONPATH": str((tmp_path / package).parent)}
    done = run_python(_INSTALL_COMMAND_CODE, env=env, timeout=60)
    assert done.stdout.splitlines() == [
        str(tmp_path / package / "__init__.py"),
        'pip install "tfhub[tf]"',
    ]


def test_missing_modules_outside_every_extra_get_their_pip_commands_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """require: when no missing module belongs to an extra of tfhub (the measured ANN
    libraries), the one command installs their pip packages, without a `tfhub[]` install of no
    extra before them."""
    for module in ("faiss", "usearch"):
        monkeypatch.setitem(sys.modules, module, None)  # Not installed, whatever this machine has.
    with pytest.raises(errors.MissingDependencyError) as caught:
        lazy.require("faiss", "usearch", purpose="a probe")
    assert caught.value.command == "pip install faiss-cpu && pip install usearch"


# --- utils.redact -----------------------------------------------------------------------------

# Every query parameter name redact.py's comment promises to hide, as services spell them.
_SECRET_NAMES = [
    "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Security-Token", "AWSAccessKeyId",
    "Signature", "X-Goog-Credential", "X-Goog-Signature", "GoogleAccessId", "X-Oss-Credential",
    "X-Oss-Signature", "OSSAccessKeyId", "AccessKeyId", "q-ak", "Policy", "sig", "temp_url_sig",
    "hdnts", "hmac", "jwt", "auth", "Authorization", "pwd", "key", "api_key", "apikey",
    "api-key", "X-Api-Key", "access_token", "auth_token", "client_secret", "passwd", "password",
]  # fmt: skip


@pytest.mark.parametrize("name", _SECRET_NAMES)
def test_each_secret_parameter_the_module_names_is_hidden(name: str) -> None:
    """redact: signed URLs' signatures, credentials and tokens (AWS, GCS, OSS, CloudFront,
    Azure SAS, Swift TempURL, Akamai) and the usual names of API keys and passwords: the value
    is `***`, in any case, percent-encoded or not."""
    url = f"https://host/m.tar.gz?tf-hub-format=compressed&{name}=s3cr3t&v=1"
    assert redact.redact(url) == (f"https://host/m.tar.gz?tf-hub-format=compressed&{name}=***&v=1")
    assert redact.is_secret_parameter(name.upper())
    encoded = urllib.parse.quote(name, safe="").replace("-", "%2D").replace("_", "%5F")
    assert redact.is_secret_parameter(encoded), encoded


@pytest.mark.parametrize("name", ["tf-hub-format", "version", "keyword", "monkey", "author"])
def test_parameters_that_only_look_like_secrets_are_shown(name: str) -> None:
    """Listed names match whole ("key", "auth"); only the listed parts match inside a name."""
    url = f"https://host/m?{name}=value"
    assert redact.redact(url) == url and not redact.is_secret_parameter(name)


@pytest.mark.parametrize("scheme", ["HTTPS://", "Http://", "S3://", "HTTPS:/"])
def test_userinfo_is_hidden_whatever_the_case_of_the_scheme(scheme: str) -> None:
    """A URL's scheme is case-insensitive (RFC 3986), so `HTTPS://user:pw@host` is a URL a
    user may paste: its userinfo is hidden as a lower-case one's (and in the one-slash form
    a path made of it takes)."""
    assert redact.redact(f"Received: {scheme}user:pw@host/m") == f"Received: {scheme}***@host/m"


# --- absl_flags -------------------------------------------------------------------------------


def test_a_flag_nobody_defined_has_no_value_while_absl_is_in_use() -> None:
    """flag_value: "an absl flag's value ..., or None": a name absl does not know (a flag of a
    later tfhub, asked about by code that runs beside an older one) is None, not absl's
    UnrecognizedFlagError."""
    pytest.importorskip("absl.flags", reason="absl is what is read")
    assert absl_flags.flag_value("tfhub_no_such_flag", constants.ABSL_FLAGS) is None


# --- help_text --------------------------------------------------------------------------------


def test_the_environment_section_aligns_names_up_to_25_characters() -> None:
    """environment(): one line per variable, the meanings aligned after the widest name of up
    to 25 characters (TFHUB_MAX_EXTRACTED_BYTES); a longer name (TFHUB_DISABLE_CERT_VALIDATION,
    the proxies' list) has its meaning on the next line, at the same column; a note ends it."""
    brief = help_text.ENV_HELP
    long_name = "TFHUB_DISABLE_CERT_VALIDATION"
    section = help_text.environment(
        "TFHUB_OFFLINE", "TFHUB_MAX_EXTRACTED_BYTES", long_name, note="A last line."
    )
    assert section.splitlines() == [
        "environment:",
        f"  TFHUB_OFFLINE              {brief['TFHUB_OFFLINE']}",
        f"  TFHUB_MAX_EXTRACTED_BYTES  {brief['TFHUB_MAX_EXTRACTED_BYTES']}",
        f"  {long_name}",
        f"  {'':25}  {brief[long_name]}",
        "A last line.",
    ]
    assert help_text.environment("TFHUB_OFFLINE") == (
        f"environment:\n  TFHUB_OFFLINE  {brief['TFHUB_OFFLINE']}\n"
    )


def test_help_prose_is_joined_and_headings_and_indented_lines_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HelpFormatter: a description's hard-wrapped prose (two source lines) is one paragraph,
    wrapped to the width; a line ending with ":" (a heading) is not joined with the prose
    after it; indented lines stay as written."""
    monkeypatch.setenv("COLUMNS", "80")
    parser = argparse.ArgumentParser(
        prog="probe",
        description="First line of prose\nand its second line.\n\nNotes:\nProse after it.\n"
        "  an indented   line\n",
        formatter_class=help_text.HelpFormatter,
    )
    text = parser.format_help()
    assert text.split("\n\n", 1)[1] == (
        "First line of prose and its second line.\n\n"
        "Notes:\nProse after it.\n  an indented   line\n\n"
        "options:\n  -h, --help  show this help message and exit\n"
    )


# --- server and version -----------------------------------------------------------------------


def test_serve_models_names_a_missing_uvicorn_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """serve_models: "Raises: tfhub.errors.MissingDependencyError ... if the hub extra is not
    installed, naming what to install": uvicorn, which runs the app, too."""
    pytest.importorskip("starlette", reason="the hub app (pip install 'tfhub[hub]')")
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # Not installed, whatever this machine has.
    with pytest.raises(errors.MissingDependencyError) as caught, serve_models(str(tmp_path)):
        pytest.fail("the server started without uvicorn")
    assert caught.value.module == "uvicorn"
    assert caught.value.command == lazy.install_command("hub")


def test_serve_models_keeps_serving_its_folder_after_the_program_changes_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """serve_models(root): a relative `root` names the folder it named when the server
    started; the program's later `chdir` does not move what is served."""
    pytest.importorskip("starlette", reason="the hub app (pip install 'tfhub[hub]')")
    pytest.importorskip("uvicorn", reason="serve_models runs the app with uvicorn")
    (tmp_path / "hub" / "m").mkdir(parents=True)
    make_tar_gz(tmp_path / "hub" / "m" / "1.tar.gz")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    with serve_models("hub") as server:
        monkeypatch.chdir(tmp_path / "elsewhere")
        with urllib.request.urlopen(server.url("m/1?tf-hub-format=compressed"), timeout=30) as got:
            body = got.read()
    assert body == (tmp_path / "hub" / "m" / "1.tar.gz").read_bytes()


def test_the_version_module_gives_tfhubs_version() -> None:
    """tfhub.version (tensorflow_hub's `version` module path): `__version__` is tfhub's."""
    import tfhub
    from tfhub import version

    assert version.__version__ == tfhub.__version__ and version.__all__ == ["__version__"]


# --- _tf_private ------------------------------------------------------------------------------


@pytest.mark.tf
def test_state_ops_are_the_stateful_ones_without_inputs() -> None:
    """is_state_op_type: "a registered stateful op that takes no inputs (e.g. VarHandleOp)":
    constants and placeholders take none but hold no state (a TF1 module's apply graph would
    feed them as variables); ops that assign to a variable take inputs."""
    pytest.importorskip("tensorflow", reason="reads TensorFlow's op registry")
    from tfhub import _tf_private

    kinds = ["VarHandleOp", "VariableV2", "Const", "Placeholder", "AssignVariableOp", "Nope"]
    assert [_tf_private.is_state_op_type(kind) for kind in kinds] == [
        True, True, False, False, False, False,
    ]  # fmt: skip

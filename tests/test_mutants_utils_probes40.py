"""Mutants of `tfhub.utils` (import_hooks, native_stderr, records, threads, lazy, redact),
`tfhub.absl_flags`, `tfhub.help_text` and `tfhub.server` that the other tests let live
(session 40): each test here fails with one such change made to the code it names."""

from __future__ import annotations

import importlib
import json
import os
import sys
import types
from pathlib import Path

import pytest
from tests._helpers.python_process import run_python

from tfhub.utils import import_hooks, native_stderr
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
import json, sys
from tfhub.utils import import_hooks, native_stderr
from tfhub.utils.records import FrozenRecord
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

"""`call_after_import` runs a callback after a module's code, once (real modules on disk)."""

from __future__ import annotations

import importlib
import sys

import pytest

from tfhub.utils import import_hooks


@pytest.fixture
def package_dir(tmp_path, monkeypatch):
    """A folder on sys.path with a module `hooked_mod` and a package `hooked_pkg.sub`."""
    (tmp_path / "hooked_mod.py").write_text("VALUE = 1\n")
    (tmp_path / "hooked_pkg").mkdir()
    (tmp_path / "hooked_pkg" / "__init__.py").write_text("")
    (tmp_path / "hooked_pkg" / "sub.py").write_text("VALUE = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in ("hooked_mod", "hooked_pkg", "hooked_pkg.sub"):
        sys.modules.pop(name, None)
        import_hooks._pending.pop(name, None)  # A hook a failed test left waiting.


def test_the_callback_runs_after_the_module_code_once(package_dir):
    seen: list[int] = []
    import_hooks.call_after_import(
        "hooked_mod", lambda: seen.append(sys.modules["hooked_mod"].VALUE)
    )
    assert seen == []
    import hooked_mod  # noqa: F401

    assert seen == [1]
    importlib.reload(sys.modules["hooked_mod"])
    assert seen == [1]


def test_a_submodule_is_found_through_its_package_path(package_dir):
    seen: list[int] = []
    import_hooks.call_after_import("hooked_pkg.sub", lambda: seen.append(2))
    from hooked_pkg import sub

    assert seen == [2] and sub.VALUE == 2
    assert sub.__spec__.origin == str(package_dir / "hooked_pkg" / "sub.py")


def test_an_imported_module_runs_the_callback_at_once():
    seen: list[str] = []
    import_hooks.call_after_import("json", lambda: seen.append("now"))
    assert seen == ["now"]


def test_a_failing_callback_does_not_break_the_import(package_dir):
    def fail() -> None:
        raise RuntimeError("hook failed")

    import_hooks.call_after_import("hooked_mod", fail)
    import hooked_mod

    assert hooked_mod.VALUE == 1

"""Optional dependencies: each missing one names the extra (or package) that installs it, the
table that says so agrees with pyproject.toml, and `./run demo` installs what the demo needs."""

from __future__ import annotations

import importlib.metadata
import io
import re
import sys
from pathlib import Path

import pytest
from tests._helpers.python_process import REPO_ROOT

from tfhub import errors
from tfhub.cli import demo
from tfhub.utils import lazy

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _extras() -> dict[str, list[str]]:
    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]


def _distributions_of(extra: str, extras: dict[str, list[str]]) -> set[str]:
    """The distributions an extra lists, with those of the tfhub[...] extras it includes."""
    found: set[str] = set()
    for requirement in extras[extra]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement)
        assert name is not None, requirement
        included = re.match(r"tfhub\[([^\]]+)\]", requirement)
        if included:
            for each in included.group(1).split(","):
                found |= _distributions_of(each.strip(), extras)
        else:
            found.add(_normal(name.group(0)))
    return found


def _installed_with(distributions: set[str]) -> set[str]:
    """`distributions` and what they require (one level: e.g. keras comes with tensorflow)."""
    found = set(distributions)
    for distribution in distributions:
        for requirement in importlib.metadata.requires(distribution) or []:
            if "extra ==" not in requirement:
                name = re.match(r"[A-Za-z0-9_.-]+", requirement)
                if name:
                    found.add(_normal(name.group(0)))
    return found


@pytest.mark.parametrize("module", sorted(lazy.EXTRA_OF_MODULE))
def test_the_extra_named_for_each_module_installs_it(module: str) -> None:
    extras = _extras()
    extra = lazy.EXTRA_OF_MODULE[module]
    installed = _installed_with(_distributions_of(extra, extras))
    distributions = importlib.metadata.packages_distributions()[module]
    assert {_normal(name) for name in distributions} & installed, (module, extra)


def test_modules_outside_the_extras_name_their_own_package() -> None:
    for module, package in lazy.PIP_NAME_OF_MODULE.items():
        assert _normal(package) in {
            _normal(name) for name in importlib.metadata.packages_distributions()[module]
        }


@pytest.mark.parametrize(
    ("module", "command_end"),
    [("uvicorn", "[hub]"), ("apache_beam", "[tools]"), ("tensorflow", "[tf]")],
)
def test_a_missing_module_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, command_end: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # Importing it now raises ImportError.
    with pytest.raises(errors.MissingDependencyError) as info:
        lazy.import_optional(module, purpose="this test")
    assert info.value.module == module
    assert info.value.command.endswith(f'{command_end}"')  # A source checkout: pip install -e.
    assert str(info.value).startswith(f"this test needs the package {module!r}")
    assert str(info.value).endswith(info.value.command)
    assert isinstance(info.value, ImportError)


def test_a_module_in_no_extra_names_its_pip_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(errors.MissingDependencyError) as info:
        lazy.import_optional("faiss", purpose="this test")
    assert info.value.command == "pip install faiss-cpu"


def test_run_demo_installs_the_extras_of_every_module_the_demo_needs() -> None:
    script = (REPO_ROOT / "run").read_text(encoding="utf-8")
    found = re.search(r"^\s*demo\) install_extras ([\w,]+) ;;", script, re.MULTILINE)
    assert found, "./run's demo set-up line"
    extras = _extras()
    installed: set[str] = set()
    for extra in found.group(1).split(","):
        installed |= _installed_with(_distributions_of(extra, extras))
    for module in demo.REQUIRED_MODULES:
        distributions = importlib.metadata.packages_distributions()[module]
        assert {_normal(name) for name in distributions} & installed, module


def test_the_demo_reports_a_missing_server_package_before_any_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    out = io.StringIO()
    with pytest.raises(errors.MissingDependencyError) as info:
        demo.run_demo(out=out)
    assert info.value.module == "uvicorn" and "[hub]" in info.value.command
    assert out.getvalue() == ""  # No step ran.


def test_one_error_names_every_missing_module_and_one_command_installs_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in ("uvicorn", "tensorflow", "faiss"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(errors.MissingDependencyError) as info:
        lazy.require("uvicorn", "json", "tensorflow", "faiss", purpose="this test")
    message, command = str(info.value), info.value.command
    assert message.startswith("this test needs the packages 'uvicorn', 'tensorflow', 'faiss'")
    assert command == f"{lazy.install_command('hub,tf')} && pip install faiss-cpu"
    assert message.endswith(command) and info.value.module == "uvicorn"
    monkeypatch.delitem(sys.modules, "tensorflow")
    monkeypatch.delitem(sys.modules, "faiss")
    with pytest.raises(errors.MissingDependencyError) as info:  # One missing: its own error.
        lazy.require("uvicorn", "json", purpose="this test")
    assert info.value.command == lazy.install_command("hub")


def test_serving_checks_every_package_of_the_hub_app_before_starting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tfhub.cli.main import main
    from tfhub.server import serve_models

    monkeypatch.setitem(sys.modules, "jinja2", None)  # The pages' templates.
    with pytest.raises(errors.MissingDependencyError) as info:
        with serve_models(str(tmp_path)):
            pass
    assert info.value.module == "jinja2" and info.value.command == lazy.install_command("hub")
    monkeypatch.delitem(sys.modules, "jinja2")
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["serve", str(tmp_path), "--server", "uvicorn", "--port", "0"]) == 8
    error = capsys.readouterr().err
    assert "tfhub serve needs the package 'uvicorn'" in error and "[hub]" in error


@pytest.mark.parametrize(
    ("shadow", "cause"),
    [
        ("from . import client\n", "attempted relative import"),  # A script of the user's.
        ("x = 1\n", "'http' is not a package"),
    ],
)
def test_a_file_hiding_a_standard_module_is_named_not_a_reinstall(tmp_path, shadow, cause):
    """An `http.py` in the current folder hid Python's own `http` module from requests (and
    Apache Beam): the error said to pip install the package, which was installed."""
    import subprocess

    from tests._helpers.python_process import child_env

    (tmp_path / "http.py").write_text(shadow)
    (tmp_path / "code.py").write_text("x = 1\n")  # Hides `code` too, but takes no part.
    program = (
        "from tfhub.utils import lazy\n"
        "for name in ('requests', 'no_such_module_xyz'):\n"
        "    try:\n"
        "        lazy.import_optional(name, purpose='Downloading')\n"
        "    except ImportError as err:\n"
        "        print(err)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    hidden, missing = done.stdout.strip().splitlines()
    assert cause in hidden and "The current folder holds http.py, named like" in hidden
    assert "code.py" not in hidden and "pip install" not in hidden
    assert missing.endswith("Install it with: pip install no-such-module-xyz")


def test_the_hub_runner_names_the_extra_when_called_as_a_library(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tfhub.hub.runner import serve
    from tfhub.hub.settings import ServeSettings

    monkeypatch.setitem(sys.modules, "starlette", None)  # The app's framework, as without [hub].
    with pytest.raises(errors.MissingDependencyError) as info:
        serve(
            ServeSettings(root=str(tmp_path)), host="127.0.0.1", port=1, workers=1, server="uvicorn"
        )
    assert info.value.module == "starlette" and info.value.command == lazy.install_command("hub")

"""docs/architecture.md keeps the picture current: every module it names exists, and every
module of the package is named in it (no TensorFlow needed)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tfhub"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# A `.py` name in the text: `tf1/module.py`, `_archive.py`, `tests/test_x.py`, `*_pb2.py`.
_PY_NAME = re.compile(r"[A-Za-z0-9_*./{},-]*[A-Za-z0-9_*]\.py\b")


def _modules() -> list[str]:
    """Returns every module of the package as a path relative to src/tfhub."""
    return sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    )


def uncovered_modules(text: str, modules: list[str]) -> list[str]:
    """Returns the modules `text` does not name.

    A module is named by its path (`keras/export.py`), its file name (`_archive.py`), a
    `*_pb2.py`-style pattern, or its bare name in a line that names its folder (`hub/ ... catalog`).

    Args:
        text: the page.
        modules: paths relative to src/tfhub.

    Returns:
        The modules not named, in the order given.
    """
    lines = text.splitlines()
    missing = []
    for module in modules:
        folder, _, name = module.rpartition("/")
        stem = name[: -len(".py")]
        if module in text or re.search(rf"(?<![\w/]){re.escape(name)}", text):
            continue
        if stem.endswith("_pb2") and "*_pb2.py" in text:
            continue
        if folder and _named_near_folder(lines, folder, stem):
            continue
        missing.append(module)
    return missing


def _named_near_folder(lines: list[str], folder: str, stem: str) -> bool:
    """True if `stem` appears as a word within a few lines after a line naming `folder/`."""
    word = re.compile(rf"\b{re.escape(stem)}\b")
    top = folder.split("/")[0] + "/"
    for index, line in enumerate(lines):
        if top in line and any(word.search(near) for near in lines[index : index + 25]):
            return True
    return False


def unknown_names(text: str, modules: list[str]) -> list[str]:
    """Returns the `.py` names in `text` that match no module of the package nor a file of
    the repository (tests, benchmarks).

    Args:
        text: the page.
        modules: paths relative to src/tfhub.

    Returns:
        The names that name nothing, sorted.
    """
    basenames = {module.rpartition("/")[2] for module in modules}
    unknown = set()
    for name in _PY_NAME.findall(text):
        if "*" in name or "{" in name:
            continue
        if name in basenames or any(
            (base / name).is_file() for base in (PACKAGE, ROOT / "src", ROOT)
        ):
            continue
        if any(module.endswith("/" + name) for module in modules):
            continue
        unknown.add(name)
    return sorted(unknown)


def test_every_module_is_named() -> None:
    missing = uncovered_modules(ARCHITECTURE.read_text(encoding="utf-8"), _modules())
    assert not missing, f"docs/architecture.md does not name these modules: {missing}"


def test_every_named_module_exists() -> None:
    unknown = unknown_names(ARCHITECTURE.read_text(encoding="utf-8"), _modules())
    assert not unknown, f"docs/architecture.md names files that do not exist: {unknown}"


def test_an_unnamed_module_is_found() -> None:
    assert uncovered_modules("hub/ (app, pages)", ["hub/app.py", "hub/catalog.py"]) == [
        "hub/catalog.py"
    ]
    assert unknown_names("`gone.py`, `tf1/module.py`", ["tf1/module.py"]) == ["gone.py"]

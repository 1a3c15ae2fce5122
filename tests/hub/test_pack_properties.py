"""`pack` on model folders Hypothesis makes: the same folder gives the same bytes whatever order
its files were made in and whatever their times and modes, and the archive extracts (with tfhub
and with tarfile) to the folder's tree."""

from __future__ import annotations

import os
import random
import tarfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from tests._helpers.properties import property_settings

from tfhub import _archive
from tfhub.hub import pack

_SETTINGS = property_settings(40)
_PART = st.text(alphabet=st.sampled_from("abAB01._-é日 "), min_size=1, max_size=12).filter(
    lambda part: part.strip(".") != "" and part == part.strip()
)


@st.composite
def _model_tree(draw: st.DrawFn) -> dict[str, bytes | None]:
    """Relative path -> file contents, or None for an empty folder; saved_model.pb included."""
    tree: dict[str, bytes | None] = {"saved_model.pb": b"\x08\x01"}
    for _ in range(draw(st.integers(0, 10))):
        path = "/".join(draw(st.lists(_PART, min_size=1, max_size=3)))
        clashes = any(
            other == path or other.startswith(path + "/") or path.startswith(other + "/")
            for other in tree
        )
        if not clashes:
            size = draw(st.sampled_from([0, 1, 511, 513, 5000]))
            is_folder = draw(st.integers(0, 5)) == 0
            tree[path] = None if is_folder else random.Random(len(tree)).randbytes(size)
    return tree


def _make(root: Path, tree: dict[str, bytes | None], order: random.Random) -> None:
    """Creates the tree in a shuffled order, with random times and modes."""
    for path in order.sample(sorted(tree), len(tree)):
        target = root / path
        data = tree[path]
        if data is None:
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(order.choice([0o600, 0o644, 0o755]))
        stamp = order.randint(0, 2_000_000_000)
        os.utime(target, (stamp, stamp))


def _tree(root: Path) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    for folder, dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            found[path.relative_to(root).as_posix()] = path.read_bytes()
        for name in dirs:
            path = Path(folder, name)
            if not os.listdir(path):
                found[path.relative_to(root).as_posix()] = None
    return found


@_SETTINGS
@given(tree=_model_tree(), seed=st.integers(0, 1000))
def test_pack_is_deterministic_and_extracts_to_the_folder(tmp_path_factory, tree, seed):
    work = tmp_path_factory.mktemp("pack")
    first, second = work / "first", work / "second"
    _make(first, tree, random.Random(seed))
    _make(second, tree, random.Random(seed + 1))
    packed = pack.pack(first, work / "first.tar.gz")
    again = pack.pack(second, work / "second.tar.gz")
    assert (packed.sha256, packed.size) == (again.sha256, again.size)
    assert packed.files == sum(1 for data in tree.values() if data is not None)

    ours, theirs = work / "ours", work / "theirs"
    ours.mkdir()
    _archive.extract_file(str(packed.path), str(ours))
    with tarfile.open(packed.path) as archive:
        archive.extractall(theirs, filter="data")
    assert _tree(ours) == _tree(theirs) == tree

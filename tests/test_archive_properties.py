"""tfhub's extraction, with its own fast header parser, against Python's `tarfile` on archives
that Hypothesis makes: the same tree for any safe archive, whatever tar format wrote it (GNU,
ustar, pax), its names (long, non-ASCII, nested), sizes (across 512-byte blocks), links and
repeated names; and nothing outside the target for an unsafe one.

TFHUB_PROPERTY_EXAMPLES=1000 runs more examples than the suite's 60 per test (about a minute).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st
from tests._helpers.properties import property_settings

from tfhub import _archive, _archive_writer, errors

SMALL_FILE = _archive_writer.SMALL_FILE  # Bigger files are never sent to a writer process.

_SETTINGS = property_settings(60)
_FORMATS = {"gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT, "pax": tarfile.PAX_FORMAT}

# Path parts: ASCII and non-ASCII letters, digits, dots, dashes, spaces; never "." or "..".
_PART = st.text(alphabet=st.sampled_from("abcXYZ019._- éßжτ日"), min_size=1, max_size=40).filter(
    lambda part: part.strip(".") != "" and part == part.strip()
)


# File contents: sizes around tar's 512-byte blocks and the writer process's limit; bytes
# from a seed (little entropy for Hypothesis to draw).
_DATA = st.builds(
    lambda size, seed: random.Random(seed).randbytes(size),
    st.sampled_from([0, 1, 511, 512, 513, 3000, SMALL_FILE, SMALL_FILE + 1]),
    st.integers(0, 1 << 16),
)
# Paths over 100 bytes: ustar splits them into its prefix field, GNU and pax add a header.
_LONG_PATH = st.lists(
    st.text(alphabet=st.sampled_from("abc019_é日"), min_size=30, max_size=60),
    min_size=2,
    max_size=3,
)


@st.composite
def _safe_members(draw: st.DrawFn) -> list[tuple[str, str, bytes | str]]:
    """(kind, name, data or link target) of files, folders and links that stay inside."""
    files: list[str] = []
    members: list[tuple[str, str, bytes | str]] = []
    for _ in range(draw(st.integers(1, 12))):
        parts = draw(st.one_of(st.lists(_PART, min_size=1, max_size=4), _LONG_PATH))
        name = "/".join(parts)
        if any(name == other or other.startswith(name + "/") for other in files):
            name = name + "_f"  # Not a folder of an earlier file.
        if any(name.startswith(other + "/") for other in files):
            continue  # Under an earlier file: not a valid tree.
        members.append(("file", name, draw(_DATA)))
        files.append(name)
    if draw(st.booleans()):  # A file written again: the last one wins in both extractors.
        kind, name, _ = draw(st.sampled_from(members))
        members.append((kind, name, draw(_DATA)))
    if draw(st.booleans()):  # A relative link to a file in the archive's top folder.
        top = [name for name in files if "/" not in name]
        if top:
            members.append(("link", "link_to_" + top[0][:20], top[0]))
    return members


def _write_tar(
    path: Path, members: list[tuple[str, str, bytes | str]], fmt: str, gz: bool, dot: bool
):
    """Writes the members, their folders first; with `dot`, as `tar czf m.tar.gz -C model .`
    names them ("./", "./variables", ...)."""
    with tarfile.open(path, "w:gz" if gz else "w", format=_FORMATS[fmt]) as tar:
        folders: set[str] = set()
        if dot:
            info = tarfile.TarInfo(".")
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for kind, name, payload in members:
            name = "./" + name if dot else name
            parent = name.rsplit("/", 1)[0] if "/" in name else ""
            if parent and parent not in folders:  # Folder members, as `tar czf` writes them.
                folders.add(parent)
                info = tarfile.TarInfo(parent)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            info = tarfile.TarInfo(name)
            if kind == "file":
                assert isinstance(payload, bytes)
                info.size, info.mode = len(payload), 0o644
                tar.addfile(info, io.BytesIO(payload))
            else:
                info.type, info.linkname = tarfile.SYMTYPE, str(payload)
                tar.addfile(info)


def _tree(root: Path) -> dict[str, object]:
    """Every path below `root`: a file's bytes, a link's target, or "dir"."""
    tree: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                tree[key] = ("link", os.readlink(path))
            elif path.is_dir():
                tree[key] = "dir"
            else:
                tree[key] = path.read_bytes()
    return tree


@pytest.mark.parametrize("writer_process_after", [_archive_writer.WORKER_AFTER, 2])
@_SETTINGS
@given(
    members=_safe_members(),
    fmt=st.sampled_from(sorted(_FORMATS)),
    gz=st.booleans(),
    dot=st.booleans(),
)
def test_extraction_matches_tarfile(
    tmp_path_factory, monkeypatch, writer_process_after, members, fmt, gz, dot
):
    """With the default, these few files are written in this process; after 2, the rest of the
    small ones by a writer process (where two cores are free), as for big archives."""
    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", writer_process_after)
    work = tmp_path_factory.mktemp("archive")
    archive = work / ("m.tar.gz" if gz else "m.tar")
    try:
        _write_tar(archive, members, fmt, gz, dot)
    except ValueError:  # A name ustar cannot hold ("name is too long").
        reject()
    ours, theirs = work / "ours", work / "theirs"
    ours.mkdir()
    result = _archive.extract_file(str(archive), str(ours))
    with tarfile.open(archive) as tar:
        tar.extractall(theirs, filter="data")
    tree = _tree(ours)
    assert tree == _tree(theirs)
    recorded = {name: size for name, (size, _) in result.files.items()}
    assert recorded == {name: len(data) for name, data in tree.items() if isinstance(data, bytes)}
    small = sum(1 for kind, _, data in members if kind == "file" and len(data) <= SMALL_FILE)
    if small > writer_process_after and _archive_writer._can_help():
        assert result.by_worker > 0  # The writer process's path was taken.
    for name, (_, digest) in result.files.items():
        assert digest == hashlib.new(result.algorithm, (ours / name).read_bytes()).hexdigest()


@_SETTINGS
@given(members=_safe_members(), fmt=st.sampled_from(["gnu", "pax"]), dot=st.booleans())
def test_an_imported_archive_resolves_offline_to_its_tree_and_verifies(
    tmp_path_factory, monkeypatch, members, fmt, dot
):
    """`tfhub import` of the archive, then `hub.resolve` of its handle with TFHUB_OFFLINE=1:
    the entry holds the archive's tree, and the cache's full check passes (the manifest
    written at install matches every file, whatever its name)."""
    import tfhub as hub
    from tfhub.cache import health
    from tfhub.cache.importing import import_archive

    work = tmp_path_factory.mktemp("import")
    archive = work / "m.tar.gz"
    _write_tar(archive, members, fmt, True, dot)
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(work / "cache"))
    handle = "https://hub.example/models/m/1.tar.gz"
    folder = import_archive(os.fspath(archive), handle)
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    assert hub.resolve(handle) == folder
    with tarfile.open(archive) as tar:
        tar.extractall(work / "theirs", filter="data")
    assert _tree(Path(folder)) == _tree(work / "theirs")
    assert health.full_damage(folder) is None


_HOSTILE_NAME = st.one_of(
    st.builds(lambda part: "../" + part, _PART),
    st.builds(lambda part: "a/../../" + part, _PART),
    st.builds(lambda part: "/tmp/" + part, _PART),
)


@_SETTINGS
@given(
    safe=_safe_members(),
    hostile=_HOSTILE_NAME,
    as_link=st.booleans(),
    position=st.integers(0, 12),
    fmt=st.sampled_from(["gnu", "pax"]),  # Names of any length.
)
def test_an_unsafe_member_anywhere_is_refused_and_nothing_leaves_the_target(
    tmp_path_factory, safe, hostile, as_link, position, fmt
):
    work = tmp_path_factory.mktemp("hostile")
    # A file named outside, or a link pointing outside (then a file written through it).
    bad = (
        [("link", "escape", hostile), ("file", "escape/x", b"evil")]
        if as_link
        else [("file", hostile, b"evil")]
    )
    position = min(position, len(safe))
    members = safe[:position] + bad + safe[position:]
    archive = work / "m.tar.gz"
    with tarfile.open(archive, "w:gz", format=_FORMATS[fmt]) as tar:
        for kind, name, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                assert isinstance(payload, bytes)
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            else:
                info.type, info.linkname = tarfile.SYMTYPE, str(payload)
                tar.addfile(info)
    outside = hostile if hostile.startswith("/") else None
    assert outside is None or not os.path.lexists(outside)
    before = sorted(os.listdir(work))
    target = work / "box" / "target"
    target.mkdir(parents=True)
    with pytest.raises(errors.ArchiveError):
        _archive.extract_file(str(archive), str(target))
    assert sorted(os.listdir(work)) == sorted([*before, "box"])
    assert os.listdir(work / "box") == ["target"]
    assert outside is None or not os.path.lexists(outside)

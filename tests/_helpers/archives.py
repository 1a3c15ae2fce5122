"""Build small module archives inside the tests (deterministic, optionally hostile)."""

from __future__ import annotations

import io
import os
import tarfile

MODEL_FILES = {
    "saved_model.pb": b"\x08\x01" * 64,
    "variables/variables.index": b"index-bytes",
    "variables/variables.data-00000-of-00001": bytes(range(256)) * 8,
}


def make_tar_gz(
    path: str | os.PathLike[str],
    files: dict[str, bytes] | None = None,
    *,
    compression: str = "gz",
    folders: bool = False,
) -> str:
    """Writes a tar archive with `files` (default: a fake SavedModel) and returns its path.

    The archive holds the files only (tfhub extracts it; tensorflow_hub cannot when a file is
    in a folder); with `folders`, each file's folders come first as folder members, as
    `tar czf` and `tarfile.add` write them.
    """
    files = MODEL_FILES if files is None else files
    mode = "w" if compression == "" else f"w:{compression}"
    written: set[str] = set()
    with tarfile.open(path, mode) as archive:
        for name, data in files.items():
            parts = name.split("/")[:-1] if folders else []
            for depth in range(1, len(parts) + 1):
                folder = "/".join(parts[:depth])
                if folder not in written:
                    written.add(folder)
                    member = tarfile.TarInfo(folder)
                    member.type, member.mode, member.mtime = tarfile.DIRTYPE, 0o755, 0
                    archive.addfile(member)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return os.fspath(path)


def add_members(path: str | os.PathLike[str], members: list[tarfile.TarInfo]) -> str:
    """Writes a .tar.gz with one good file then the given (possibly hostile) members."""
    with tarfile.open(path, "w:gz") as archive:
        good = tarfile.TarInfo("saved_model.pb")
        good.size = 3
        archive.addfile(good, io.BytesIO(b"abc"))
        for member in members:
            data = io.BytesIO(b"x" * member.size) if member.isfile() else None
            archive.addfile(member, data)
    return os.fspath(path)


def write_tree(folder: str | os.PathLike[str], files: dict[str, bytes] | None = None) -> str:
    """Writes `files` ({relative path: content}; MODEL_FILES by default) below `folder`, making
    the folders; returns `folder` as a string."""
    for rel, data in (MODEL_FILES if files is None else files).items():
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
    return os.fspath(folder)


def read_tree(folder: str | os.PathLike[str]) -> dict[str, bytes]:
    """Returns {relative path: content} of every file below `folder`."""
    found = {}
    for dirpath, _, filenames in os.walk(folder):
        for filename in filenames:
            full = os.path.join(dirpath, filename)
            found[os.path.relpath(full, folder).replace(os.sep, "/")] = open(full, "rb").read()
    return found


def tensorflow_hub_entry(cache_dir: str | os.PathLike[str], handle: str) -> str:
    """Makes the cache entry tensorflow_hub leaves for `handle`: its folder, named sha1 of the
    handle as given (credentials included), with a saved_model.pb, and its descriptor; no
    manifest. Returns the folder."""
    import hashlib

    folder = os.path.join(os.fspath(cache_dir), hashlib.sha1(handle.encode("utf8")).hexdigest())
    os.makedirs(folder)
    with open(os.path.join(folder, "saved_model.pb"), "wb") as pb:
        pb.write(b"\x08\x01")
    with open(folder + ".descriptor.txt", "w", encoding="utf-8") as descriptor:
        descriptor.write(f"Module: {handle}\nDownload Time: 2024-01-01 00:00:00\n")
    return folder

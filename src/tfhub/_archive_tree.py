"""Where each archive member may go: names checked, links followed in memory, never on disk.

The extraction target starts empty (or is scanned once), and every folder, file and link in it
is made by the extraction, so the tree on disk is known without asking the disk. `Tree` keeps
that tree in memory and resolves each member's path against it, following the archive's own
links (what they point to once extracted, not what exists now). A member whose path leaves the
target through any chain of links is refused before anything is created; folders are created
one component at a time at their resolved (link-free) place, so no write ever goes through a
link. Links are re-checked at the end, against the final tree.
"""

from __future__ import annotations

import os
import posixpath
import tarfile

from . import errors

MAX_LINK_HOPS = 40  # As the Linux kernel's ELOOP limit.
# Path components one resolution may take from link targets. Linux allows 40 targets of 4,095
# bytes each; walked in Python for every member, that was ~60 ms per member (a 4 KB archive of
# 440 members took 12 s, and TFHUB_MAX_ARCHIVE_MEMBERS of them would take hours). Models hold
# few links, with short targets (upstream refused every link).
MAX_LINK_PARTS = 256
NAME_MAX = 255  # Bytes per path component on common filesystems.
PATH_MAX = 4000  # Bytes of a relative path (Linux's PATH_MAX is 4096 with the target's path).
# Folders nested deeper than this are refused: Python 3.11's shutil.rmtree and os.walk recurse
# once per level, so a tree 1,000 deep (2,000 bytes of "a/a/...") could not be removed or
# scanned (RecursionError). Models nest a few levels.
MAX_DEPTH = 200


class _Escape(Exception):
    """A path that leaves the target."""


class _Loop(Exception):
    """A path that follows too many links, or links too long; args[0] says which."""


_IN_A_LOOP = "a loop of links"
_TOO_LONG = (
    f"a chain of links whose targets add up to more than {MAX_LINK_PARTS} path components (refused)"
)


class _BelowFile(Exception):
    """A path that goes through a regular file."""


def normalized_name(member: tarfile.TarInfo) -> str:
    """Returns the member's normalized relative name ("." for the root), or raises if unsafe.

    Raises:
        tfhub.errors.UnsafeArchiveError: for absolute paths, `..`, hard links, sparse files and
            special files (devices, fifos, unknown types).
        tfhub.errors.ArchiveError: for a name too long for the filesystem, or a name or link
            target with a NUL byte.
    """
    name = member.name
    if member.type == tarfile.REGTYPE and _is_plain(name) and member.sparse is None:
        return name  # The common case, decided in a few string checks.
    if "\0" in name or "\0" in member.linkname:  # Only a pax record can hold one.
        raise errors.ArchiveError(
            f"Archive member {name[:200]!r} has a NUL byte in its name or link target, which "
            "no filesystem can hold."
        )
    if name.startswith(("/", "\\")) or (len(name) > 2 and name[1] == ":" and name[2] in "/\\"):
        raise errors.UnsafeArchiveError(f"Archive member {name!r} has an absolute path.")
    norm = posixpath.normpath(name.replace("\\", "/"))
    if norm == ".." or norm.startswith("../") or "/../" in f"/{norm}/":
        raise errors.UnsafeArchiveError(f"Archive member {name!r} points outside the module (..).")
    if member.islnk():
        raise errors.UnsafeArchiveError(f"Archive member {name!r} is a hard link (refused).")
    if member.type == tarfile.GNUTYPE_SPARSE or member.sparse is not None:
        raise errors.UnsafeArchiveError(
            f"Archive member {name!r} is a sparse file (refused: it could expand without bound)."
        )
    if member.issym():
        _check_link_name(member, norm)
    elif not (member.isfile() or member.isdir()):
        raise errors.UnsafeArchiveError(
            f"Archive member {name!r} is a special file (device, fifo or type {member.type!r})."
        )
    _check_length(name, norm)
    return norm


def _is_plain(name: str) -> bool:
    """True for a non-empty ASCII relative name with no NUL, no ".", ".." or empty component,
    that fits a name."""
    return (
        0 < len(name) <= NAME_MAX
        and name.isascii()
        and "\0" not in name
        and "\\" not in name
        and ":" not in name
        and "//" not in name
        and "/." not in "/" + name
        and not name.startswith("/")
        and not name.endswith("/")
    )


def _check_link_name(member: tarfile.TarInfo, norm: str) -> None:
    link = member.linkname.replace("\\", "/")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(norm), link))
    if not link or link.startswith("/") or resolved == ".." or resolved.startswith("../"):
        raise errors.UnsafeArchiveError(
            f"Archive member {member.name!r} is a link pointing outside the module "
            f"({member.linkname!r})."
        )


def _check_length(name: str, norm: str) -> None:
    encoded = os.fsencode(norm)
    if len(encoded) > PATH_MAX or any(len(part) > NAME_MAX for part in encoded.split(b"/")):
        raise errors.ArchiveError(
            f"Archive member {name[:80]!r}... has a name too long for the filesystem "
            f"({len(encoded)} bytes; at most {NAME_MAX} per folder or file name)."
        )


def check_depth(member_name: str, folder: str) -> None:
    """Refuses to create the resolved relative `folder` if it is nested too deep.

    Raises:
        tfhub.errors.ArchiveError: naming the member, if `folder` is deeper than MAX_DEPTH.
    """
    depth = folder.count("/") + 1
    if depth > MAX_DEPTH:
        raise errors.ArchiveError(
            f"Archive member {member_name[:100]!r}... would make folders {depth} levels deep; "
            f"at most {MAX_DEPTH} are allowed (deeper trees cannot be removed). Ask the "
            "publisher for an archive of the model folder as saved."
        )


class Tree:
    """The extraction target's folders, files and links, as the archive has made them so far.

    Paths are relative, '/'-separated and resolved (no component is a link); "" is the target.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.dirs: set[str] = {""}
        self.links: dict[str, str] = {}
        self._link_members: dict[str, str] = {}  # Resolved path -> member name, for errors.
        self.files: set[str] = set()
        self._parent_memo: dict[str, str] = {}
        self._scan_existing()

    def _scan_existing(self) -> None:
        """Records what the target already holds (nothing, for a fresh temporary folder)."""
        for dirpath, dirnames, filenames in os.walk(self.target):
            rel = os.path.relpath(dirpath, self.target).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    self.links[prefix + name] = os.readlink(path)
                elif name in dirnames:
                    self.dirs.add(prefix + name)
                else:
                    self.files.add(prefix + name)

    def kind(self, path: str) -> str | None:
        """Returns "dir", "file", "link" or None (not made yet) for a resolved path."""
        if path in self.dirs:
            return "dir"
        if path in self.files:
            return "file"
        if path in self.links:
            return "link"
        return None

    def place(self, member_name: str, norm: str) -> tuple[str, list[str]]:
        """Returns (resolved path of the member, parent folders to create first, outermost first).

        Raises:
            tfhub.errors.UnsafeArchiveError: if the member's folder leaves the target through
                links, or the links loop.
            tfhub.errors.ArchiveError: if the member's folder goes through a regular file.
        """
        parent_name, _, leaf = norm.rpartition("/")
        parent = self._parent_memo.get(parent_name)
        if parent is None:
            parts = parent_name.split("/") if parent_name else []
            parent = "/".join(self._walk(member_name, parts))
            if len(self._parent_memo) < 100_000:
                self._parent_memo[parent_name] = parent
        if parent in self.files:
            raise errors.ArchiveError(
                f"Archive member {member_name!r} is below {parent!r}, which is a file "
                "(duplicate member names?)."
            )
        missing = []
        if parent not in self.dirs:
            check_depth(member_name, parent)
            parts = parent.split("/")
            missing = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            missing = [path for path in missing if path not in self.dirs]
        return (f"{parent}/{leaf}" if parent else leaf), missing

    def _walk(self, member_name: str, parts: list[str], *, base: str = "") -> list[str]:
        try:
            return self.resolve(parts, base=base)
        except _Escape:
            raise errors.UnsafeArchiveError(
                f"Archive member {member_name!r} would be written through a link outside the "
                "module."
            ) from None
        except _Loop as err:
            raise errors.UnsafeArchiveError(
                f"Archive member {member_name!r} goes through {err.args[0]}."
            ) from None
        except _BelowFile as err:
            raise errors.ArchiveError(
                f"Archive member {member_name!r} is below {err.args[0]!r}, which is a file "
                "(duplicate member names?)."
            ) from None

    def resolve(self, parts: list[str], *, base: str = "") -> list[str]:
        """Resolves `parts` from the folder `base`, following the tree's links.

        Components not made yet count as folders (so `missing/..` is `.`), as they will be.

        Raises:
            _Escape, _Loop, _BelowFile.
        """
        out = base.split("/") if base else []
        pending = list(reversed(parts))
        hops, budget = 0, MAX_LINK_PARTS
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if not out:
                    raise _Escape()
                out.pop()
                continue
            out.append(part)
            key = "/".join(out)
            link = self.links.get(key)
            if link is not None:
                hops += 1
                if hops > MAX_LINK_HOPS:
                    raise _Loop(_IN_A_LOOP)
                if link.startswith("/"):
                    raise _Escape()
                out.pop()
                targets = link.split("/")
                budget -= len(targets)
                if budget < 0:
                    raise _Loop(_TOO_LONG)
                pending.extend(reversed(targets))
            elif pending and key in self.files:
                raise _BelowFile(key)
        return out

    def add_dirs(self, paths: list[str]) -> None:
        for path in paths:
            self.dirs.add(path)

    def add_link(self, member_name: str, path: str, linkname: str) -> None:
        """Records a link at `path`, refusing it if what it points to leaves the target.

        Raises:
            tfhub.errors.UnsafeArchiveError: naming the member.
        """
        self.links[path] = linkname
        self._link_members[path] = member_name
        self._parent_memo.clear()  # Folder names may resolve elsewhere now.
        self.check_link(member_name, path)

    def check_link(self, member_name: str, path: str) -> None:
        """Refuses the link at `path` if it resolves outside the target (through any links)."""
        parent = path.rpartition("/")[0]
        parts = self.links[path].split("/")
        try:
            if len(parts) > MAX_LINK_PARTS:
                raise _Loop(_TOO_LONG)
            self.resolve(parts, base=parent)
        except _Loop as err:
            raise errors.UnsafeArchiveError(
                f"Archive member {member_name!r} is a link in {err.args[0]}."
            ) from None
        except _Escape:
            raise errors.UnsafeArchiveError(
                f"Archive member {member_name!r} is a link pointing outside the module "
                f"({self.links[path]!r}, through other links of the archive)."
            ) from None
        except _BelowFile:
            pass  # A dangling link below a file points nowhere; it is harmless.

    def check_all_links(self) -> None:
        """After extraction: every link still resolves inside (later links may change paths)."""
        for path in list(self.links):
            self.check_link(self._link_members.get(path, path), path)

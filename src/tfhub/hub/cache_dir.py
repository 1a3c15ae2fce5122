"""The folder where `tfhub serve` packs folder versions (`--cache-dir`): made if missing (mode
0700), checked once at start, and used by its real path from then on.

The server sends the archives it finds there, so a folder another user may write into would let
them plant the archive of any folder version: `check_cache_dir` refuses a folder others may
write (o+w), one owned by another user unless it is a team folder (group-writable, of one of
this process's groups), a symlink another user owns (they could re-point it), and a folder
below a parent a stranger may rename it in (owned by another user than root, or writable by
every user or a group not ours without the sticky bit: they could put a folder of theirs in
its place). `shared_parents` (`tfhub serve --cache-dir-shared-parents`) lets the parents be
writable by others, for a pod whose processes are all trusted (a Kubernetes emptyDir: 0777,
root's, no sticky bit); the cache folder itself must then be this user's, mode 0700.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import tempfile

from .. import errors
from ..utils.paths import non_folder_kind
from ..utils.users import login_name
from . import userns

logger = logging.getLogger(__name__)


def default_cache_dir(root: str) -> str:
    """<tempdir>/tfhub-serve-<uid>: packed archives of folder versions (not inside ROOT)."""
    user = getattr(os, "getuid", lambda: 0)()
    return os.path.join(tempfile.gettempdir(), f"tfhub-serve-{user}")


# The folders `check_cache_dir` took in this process: real path -> their identity then
# (st_dev, st_ino, st_uid, st_gid: an inode number is reused once its folder is removed).
_TAKEN: dict[str, tuple[int, ...]] = {}
# Whether each folder `check_cache_dir` checked may be a team folder (its parents too).
_TEAM: dict[str, bool] = {}
# The real paths of the cache folders taken with `shared_parents` (for `recheck`).
_SHARED_TAKEN: set[str] = set()


def check_cache_dir(
    path: str, *, team: bool = True, make: bool = True, shared_parents: bool = False
) -> str:
    """Makes the folder where folder versions are packed, if missing (mode 0700), checks it, and
    returns its real path, which the server uses from then on (a link is not followed again per
    request: whoever may re-point it could point it at a folder of planted archives).

    The server sends the archives it finds there, so the folder must be one no stranger may
    write into: a folder this process may write into (else every download of a folder version
    was a 500, its cause only in the server log), not writable by others (o+w: any local user
    could plant the archive of any folder version), and owned by this user, or shared with it
    as a team folder (group-writable, its group one of this process's groups: mode 2775). No
    name on the path as given may be a symlink another user (not root) owns: they could
    re-point it. Every folder above its real path must be one only this user or root may
    rename things in (`_parent_problem`), checked after the folders were made (the parents
    `makedirs` made too). With `team` False (the default folder, which any local user could
    make first in /tmp), a team folder, or a group-writable parent, is refused too: the
    default folder must be this user's all the way. With `shared_parents` (`tfhub serve
    --cache-dir-shared-parents`: a Kubernetes emptyDir is mounted 0777, root's, and a non-root
    pod cannot chmod it), parents writable by every user or a group without the sticky bit are
    taken (any process that may write there could then put its own folder in place of the
    cache: only for a pod whose processes are all trusted); a parent owned by another user
    than this one or root is still refused, and the folder must be this user's alone (0700).
    With `make` False (a server in a program, which may never pack a folder version:
    `create_app`), a missing folder is not made here but by `recheck` before the first pack,
    which checks its parents then; its path is returned as it will be.

    Raises:
        tfhub.errors.ServeConfigError: naming --cache-dir, the condition that failed and the fix.
    """
    _check_path_links(path)
    real = os.path.realpath(path)  # Not strict: parents missing now are made by this user.
    _raise_for_parents(path, real, team=team, shared=shared_parents, made=False)  # Now and after.
    if not make and not os.path.lexists(path):
        _remember(real, team=team, shared=shared_parents)
        return real
    try:
        _make_private(path)
        real = os.path.realpath(path, strict=True)
    except OSError as err:
        problem = f"{err.strerror or err}"
        if os.path.lexists(path) and not os.path.isdir(path):  # A file, a link to nothing.
            problem = f"it {non_folder_kind(path)}"
    else:
        _raise_for_parents(
            path, real, team=team, shared=shared_parents, made=True
        )  # Made ones too.
        if not os.access(real, os.W_OK | os.X_OK):
            problem = "this user cannot write into it"
        else:
            _check_cache_dir_owner(path, real, team=team, shared=shared_parents)
            _TAKEN[real] = _identity(os.stat(real))
            _remember(real, team=team, shared=shared_parents)
            return real
    raise errors.ServeConfigError(
        f"Cannot pack folder versions into {path}: {problem}. Give --cache-dir a folder this "
        "user can write (it is made if missing).",
        option="--cache-dir",
    )


def _remember(real: str, *, team: bool, shared: bool) -> None:
    """Keeps how the cache folder `real` was checked, for `recheck`."""
    _TEAM[real] = team
    if shared:
        _SHARED_TAKEN.add(real)
    else:
        _SHARED_TAKEN.discard(real)


def _check_path_links(path: str) -> None:
    """Refuses a cache folder whose path, as given, goes through a symlink (any name on it, not
    only the last) owned by another user than this one or root: they may re-point it.

    Raises:
        tfhub.errors.ServeConfigError: naming the link, its owner and its target.
    """
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: no owner to check.
        return
    given = os.path.abspath(path)
    names = [name for name in given.split(os.sep) if name]
    for end in range(1, len(names) + 1):
        link = os.sep + os.path.join(*names[:end])
        try:
            info = os.lstat(link)
        except OSError:  # Missing (made by `check_cache_dir`), or not reachable: fails there.
            return
        if not stat.S_ISLNK(info.st_mode) or info.st_uid in (getuid(), 0):
            continue
        what = "it is" if link == given else f"{link} on its path is"
        raise errors.ServeConfigError(
            f"Cannot pack folder versions into {path}: {what} a symlink owned by "
            f"{_user_name(info.st_uid)}, not this user ({_user_name(getuid())}), who may point "
            "it at another folder at any time, and the server sends the archives it finds "
            "there. Remove it (or ask its owner to), or give --cache-dir a folder of your own "
            f"(mkdir -m 700 DIR). Received: cache_dir={path!r} ({link} -> "
            f"{os.readlink(link)!r})",
            option="--cache-dir",
        )


def _raise_for_parents(path: str, real: str, *, team: bool, shared: bool, made: bool) -> None:
    """Raises if a folder above `real` (the cache folder's real path) lets a stranger rename
    what it holds (`parents_problem`).

    Raises:
        tfhub.errors.ServeConfigError: naming the parent, its owner and mode, and the fixes
            this user can apply.
    """
    found = parents_problem(real, team=team, made=made, shared=shared)
    if found is None:
        return
    parent, problem = found
    raise errors.ServeConfigError(
        f"Cannot pack folder versions into {path}: the folder {parent} above it {problem}, so "
        "another user could rename the folders below it and put a folder of theirs, holding "
        "archives of their own, in place of the cache. Give --cache-dir a folder below one "
        "only this user or root may write (in your home folder: --cache-dir "
        f"~/.cache/tfhub-serve){_parent_fixes(parent)}. Received: cache_dir={path!r}",
        option="--cache-dir",
    )


def _parent_fixes(parent: str) -> str:
    """The other fixes of the refused folder `parent` where only its write bits refuse it
    (its owner would pass: `_parent_problem` with `shared`), as this user may apply them: a
    chmod of its own folder, or its owner's, or --cache-dir-shared-parents; "" for another
    user's folder, a missing one or a symlink (only another folder helps)."""
    try:
        info = os.lstat(parent)
    except OSError:
        return ""
    if not stat.S_ISDIR(info.st_mode) or _parent_problem(parent, info, team=True, shared=True):
        return ""
    owner = info.st_uid
    if owner == os.getuid():
        fix = f"; or 'chmod o-w,g-w {parent}' (or 'chmod +t {parent}', shared as /tmp is)"
    else:
        fix = f"; or its owner ({_login(owner)}) may 'chmod +t {parent}'"
    return (
        f"{fix}; or, where every process that may write there is trusted (a Kubernetes "
        "emptyDir, mounted 0777 without the sticky bit, which a non-root pod cannot chmod), "
        "pass --cache-dir-shared-parents (docs/hub.md)"
    )


def parents_problem(
    real: str, *, team: bool, made: bool = True, shared: bool = False
) -> tuple[str, str] | None:
    """The first folder above `real` (a real path) that lets a stranger rename what it holds,
    and why (`_parent_problem`), or None. `made`: the folders were made already (a missing one
    is a problem: it changed); else a missing parent is fine (this process makes it, and
    `recheck` checks it then). `shared`: parents writable by others are fine (`shared_parents`).
    A few `lstat` per call: `recheck` runs it before every pack."""
    if getattr(os, "getuid", None) is None:  # Windows: no owner or mode bits to check.
        return None
    parent, above = os.path.dirname(real), real
    while parent != above:
        try:
            info = os.lstat(parent)
        except FileNotFoundError:
            if made:
                return parent, "is missing now (removed since it was made)"
            info = None
        except OSError as err:
            return parent, f"cannot be checked ({err.strerror or err})"
        if info is not None and stat.S_ISLNK(info.st_mode):
            return parent, "is a symlink now (put in place of a folder since it was checked)"
        problem = None if info is None else _parent_problem(parent, info, team=team, shared=shared)
        if problem is not None:
            return parent, problem
        parent, above = os.path.dirname(parent), parent
    return None


def _parent_problem(
    parent: str, info: os.stat_result, *, team: bool, shared: bool = False
) -> str | None:
    """Why the folder `parent` above the cache folder (`info`: its lstat) lets a stranger
    rename what it holds, or None: owned by another user (not root: a teammate is no exception,
    as a uid says nothing of its groups), or writable by every user, or by a group (with
    `team`: a group not this process's) without the sticky bit (which lets only an entry's
    owner rename it); with `shared` (`shared_parents`), only the owner counts. In a user
    namespace, an owner shown as the overflow uid is accepted as root's
    (`userns.unmapped_owner`). Mode bits only: an ACL granting write is not seen."""
    mode = stat.S_IMODE(info.st_mode)
    owner = info.st_uid
    if owner not in (os.getuid(), 0) and not userns.unmapped_owner(owner, parent):
        return f"is owned by {_user_name(owner)}, not this user or root (mode {mode:04o})"
    if shared or mode & stat.S_ISVTX:
        return None
    if mode & stat.S_IWOTH:
        return f"is writable by every user (o+w) without the sticky bit (mode {mode:04o})"
    if mode & stat.S_IWGRP and not (team and _is_my_group(info.st_gid)):
        if not team:  # The default folder: this user's all the way, not a group's.
            return (
                f"is writable by the group {info.st_gid} (g+w) without the sticky bit (mode "
                f"{mode:04o}), and the default cache folder must be this user's alone"
            )
        return (
            f"is writable by the group {info.st_gid} (g+w), not one of this user's, without "
            f"the sticky bit (mode {mode:04o})"
        )
    return None


def _check_cache_dir_owner(path: str, real: str, *, team: bool, shared: bool) -> None:
    """Refuses a cache folder (`real`: its real path) writable by others, or owned by another
    user unless it is a team folder: group-writable, its group one of this process's groups;
    with `shared` (parents writable by others), one not this user's alone (mode 0700).

    Raises:
        tfhub.errors.ServeConfigError: naming the folder, its owner, group and mode, which
            condition failed and the fix.
    """
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: no owner or mode bits to check.
        return
    info = os.stat(real)
    mode = stat.S_IMODE(info.st_mode)
    shown = path if path == real else f"{path} (its real path {real})"
    problems = _cache_dir_problems(info, real, team=team, shared=shared)
    if not problems:
        return
    why = "; and ".join(problems)
    raise errors.ServeConfigError(
        f"Cannot pack folder versions into {shown}: {why}, or give --cache-dir another folder "
        f"(mkdir -m 700 DIR). It has owner {_user_name(info.st_uid)}, group {info.st_gid}, "
        f"mode {mode:04o}. Received: cache_dir={path!r}",
        option="--cache-dir",
    )


def _cache_dir_problems(info: os.stat_result, real: str, *, team: bool, shared: bool) -> list[str]:
    """What lets a stranger write into the cache folder `real` (`info`: its stat), each with
    its fix: owned by another user and no team folder of ours (`team`), writable by others, or
    (`shared`: parents writable by others) not this user's alone."""
    mode, me = stat.S_IMODE(info.st_mode), os.getuid()
    problems = []
    teamed = team and not shared and mode & stat.S_IWGRP and _is_my_group(info.st_gid)
    if info.st_uid != me and not teamed:
        problems.append(
            f"it is owned by {_user_name(info.st_uid)}, not this user ({_user_name(me)}), and "
            "is no team folder shared with one of this user's groups (group-writable, e.g. "
            f"mode 2775); if it is meant to be this user's, 'chown {_login(me)} {real}'; if "
            "another user made it, remove it"
        )
    if mode & stat.S_IWOTH:
        problems.append(
            "it is writable by every user (o+w), so any local user could plant the archive of "
            f"any folder version there; 'chmod o-w {real}'"
        )
    elif shared and mode & 0o077:
        problems.append(
            "with --cache-dir-shared-parents it must be this user's alone (mode 0700), as "
            f"others may write its parents; 'chmod 700 {real}'"
        )
    return problems


def _make_private(path: str) -> None:
    """Makes the folder `path` and its missing parents, each mode 0700 whatever the umask
    (`os.makedirs` gives the parents the umask's mode: 0777 under umask 000, which the parent
    check then refuses).

    Raises:
        OSError: if a folder cannot be made (a file in the way, no permission, a full disk);
            FileExistsError if `path` is a file (or a link to one), as `os.makedirs` raises.
    """
    missing = []
    current = os.path.abspath(path)
    while not os.path.lexists(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)  # The umask only takes bits away: 0700 or less.
        except FileExistsError:  # Made meanwhile (another worker): checked after, as any.
            if not os.path.isdir(folder):
                raise
    if os.path.lexists(path) and not os.path.isdir(path):  # As os.makedirs refuses it.
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)


def recheck(real: str) -> str | None:
    """Why the cache folder `real` (taken by `check_cache_dir` at start) may not be used now,
    or None, making it again (mode 0700) if it vanished (a cleaner of /tmp removed it), or at
    the first pack (`create_app` makes none): it must be a folder (no symlink), writable by no
    other user (taken with `shared_parents`: this user's alone, 0700) and writable by this one (each
    with its fix), and the folder taken at start or one this user owns (a folder another user
    put in its place is refused), and every folder above it (those just made too) one no
    stranger may rename it in (`parents_problem`: a parent another user made meanwhile is
    refused).
    """
    getuid = getattr(os, "getuid", None)
    try:
        _make_private(real)  # Its parents too: `create_app` made none.
    except OSError as err:
        return f"it cannot be made again ({err.strerror or err})"
    if getuid is None:  # Windows: no owner or mode bits to check.
        return None
    shared = real in _SHARED_TAKEN
    found = parents_problem(real, team=_TEAM.get(real, False), shared=shared)
    if found is not None:
        return f"the folder {found[0]} above it {found[1]}"
    info = os.lstat(real)
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISDIR(info.st_mode):
        return "it is no folder now (a symlink or a file put in its place)"
    if mode & stat.S_IWOTH:
        return f"it is writable by every user now (o+w, mode {mode:04o}): 'chmod o-w {real}'"
    if shared and mode & 0o077:
        return (
            f"it is not this user's alone now (mode {mode:04o}), as "
            f"--cache-dir-shared-parents needs: 'chmod 700 {real}'"
        )
    if not os.access(real, os.W_OK | os.X_OK):
        return (
            f"this user ({_user_name(getuid())}) cannot write into it now (mode {mode:04o}): "
            f"'chmod u+rwx {real}' as its owner, or give --cache-dir a folder this user can write"
        )
    if info.st_uid != getuid() and _TAKEN.get(real) != _identity(info):
        return f"it is another folder now, owned by {_user_name(info.st_uid)}"
    return None


def _identity(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_dev, info.st_ino, info.st_uid, info.st_gid)


def _is_my_group(gid: int) -> bool:
    """True if `gid` is this process's group or one of its supplementary groups, and not the
    overflow gid of a user namespace (`userns.shows_unmapped_gid`), which says nothing of
    which group a folder has."""
    mine = gid == os.getgid() or gid in os.getgroups()
    return mine and not userns.shows_unmapped_gid(gid)


def _login(uid: int) -> str:
    """The user's name, or its uid as text for a user without a name (what `chown` takes)."""
    name = _user_name(uid)
    return name.split(" (uid ")[0] if " (uid " in name else str(uid)


def _user_name(uid: int) -> str:
    """`name (uid N)`, or `uid N` for a user without a name."""
    name = login_name(uid)
    return f"{name} (uid {uid})" if name else f"uid {uid}"

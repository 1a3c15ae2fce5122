"""The temporaries of the tools' atomic writes: their names beside the output
(`.<name>.tmp-<token>`, `.<name>.old-<token>`), the leftovers of killed writes (removed, or the
old output put back), and the parent folders a write made (removed again if it failed).

Used by `tfhub.tools.atomic_output`, which the module docstring there explains.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import uuid

from ..utils import live_files
from ..utils.paths import make_folders
from .output_errors import not_written, reason_of

logger = logging.getLogger(__name__)


def beside(target: str, kind: str, token: str) -> str:
    """`.<name>.<kind>-<token>` beside `target`: one write's temporary ("tmp") or the old
    output it moved aside ("old"); `token` (`new_token`) is the write's, no other's."""
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.{kind}-{token}")


def new_token() -> str:
    """A new write's token: 12 random hex digits, no other write's."""
    return uuid.uuid4().hex[:12]


def _leftover_pattern(name: str, kinds: str) -> re.Pattern[str]:
    """The names `beside` gives the output `name`'s temporaries of `kinds` ("tmp|old")."""
    return re.compile(rf"\.{re.escape(name)}\.(?:{kinds})-([0-9a-f]{{12}})")


def moved_aside(path: str) -> str | None:
    """The previous output of `path` that a write killed between its two renames left aside
    (`.<name>.old-<token>`, which the next write of `path` puts back first), or None.

    Args:
        path: the output, as the user named it.

    Returns:
        The moved-aside copy, spelled beside `path` as given.
    """
    parent, name = os.path.split(os.path.abspath(path))
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return None
    pattern = _leftover_pattern(name, "old")
    aside = [entry for entry in names if pattern.fullmatch(entry)]
    return os.path.join(os.path.dirname(path), aside[0]) if aside else None


def remove_leftovers(target: str) -> None:
    """Removes what killed writes of `target` left beside it (SIGKILL, the OOM killer, a power
    loss: no `finally` ran): `.<name>.tmp-<token>`, and `.<name>.old-<token>` once `target`
    exists. A temporary a live write holds (`utils.live_files`) stays. If a
    write was killed between moving the old output aside and renaming the new one into place,
    the old output is put back: the output is then as it was before that write.
    """
    folder, name = os.path.split(target)
    pattern = _leftover_pattern(name, "tmp|old")
    tokens = {entry[-12:] for entry in live_files.matching(folder, pattern)}
    for token in sorted(tokens):
        tmp, old = beside(target, "tmp", token), beside(target, "old", token)
        if os.path.lexists(tmp) and not live_files.abandoned(tmp):
            continue
        if os.path.lexists(old) and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(old, target)
                logger.warning("Put back %s, moved aside by a write that was killed.", target)
        logger.info("Removing %s's leftovers of a killed write (%s).", target, token)
        remove(tmp)
        if os.path.lexists(target):
            remove(old)


def remove(path: str) -> None:
    """Removes a file, link or folder tree if there is one; what stays is logged, not raised."""
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(path)
    if os.path.lexists(path):
        logger.warning("Could not remove the temporary %s: remove it by hand.", path)


def make_missing_folders(folder: str) -> list[str]:
    """Creates `folder` and its missing parents (`make_folders`); returns those it created,
    deepest first, as `remove_created` takes them."""
    return list(reversed(make_folders(folder)))


def remove_created(created: list[str]) -> None:
    """Removes the folders a failed write created (deepest first) that are still empty."""
    for folder in created:
        try:
            os.rmdir(folder)
        except OSError as err:  # Someone else's files are in it: it is theirs now.
            logger.debug("Keeping the folder %s: %s", folder, reason_of(err))


def start_folder(
    target: str, tmp: str, path: str, *, what: str, flag: str | None
) -> tuple[list[str], int]:
    """Makes the temporary folder `tmp` of a write of `target` (its missing parents first,
    leftovers of killed writes removed) and holds it as live (`utils.live_files`).

    Returns:
        (the parent folders made, outermost first; the held descriptor of `tmp`).

    Raises:
        tfhub.errors.OutputNotWritableError: naming `path`, if a folder cannot be made.
    """
    created: list[str] = []
    live = -1
    try:
        created = make_missing_folders(os.path.dirname(target))
        remove_leftovers(target)
        os.mkdir(tmp)
        live = os.open(tmp, os.O_RDONLY)
        live_files.hold(live)
    except OSError as err:  # Undone here: the caller never sees what was made.
        if live >= 0:
            os.close(live)
        remove(tmp)
        remove_created(created)
        raise not_written(err, path, what=what, flag=flag) from err
    return created, live

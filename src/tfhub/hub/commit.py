"""Putting a staged publish in place, all or nothing, also when the process is killed.

A publish stages its files (archive, signature summary, doc, a new publisher doc) in a hidden
staging folder beside the doc, then renames them into place, moving the files they replace
aside into the staging folder first. Before the first rename, the whole plan is written to
`JOURNAL` in the staging folder; it is removed after the last one. A staging folder left with
its journal is a publish killed half-way (SIGKILL, power loss): `roll_back` undoes the renames
that were made, newest first, so the version is again what it was before that publish began,
but for a publisher doc it put in place new that another doc of the publisher will need once
every killed publish of that publisher is rolled back, in any order (a model of that publisher
published meanwhile found it and wrote none; `_needed`): that one stays.
A rename was made if its target exists and its source does not, which needs no other record.

Every rename moves something into or out of the staging folder, and the journal names paths
relative to the model folder: `read_journal` (so `roll_back`, and the server's view of what
the roll-back will leave, `settled`) refuses a journal naming a path outside that model folder
other than its publisher doc, through a symlink then `..`, or a rename that does not touch the
staging folder (a hub folder may come from a fork).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import Callable, MutableSet
from pathlib import Path

from ..utils.regular_files import read_regular
from ..utils.warn_once import WarnedOnce
from . import docs_layout

logger = logging.getLogger(__name__)
_Exists = Callable[[Path], bool]

JOURNAL = "journal.json"


def commit(
    moves: list[tuple[Path, Path]],
    staging: Path,
    *,
    stale: list[Path],
    publisher_doc: Path | None = None,
) -> None:
    """Renames staged files into place; the files they replace, and `stale` ones, go aside.

    Args:
        moves: (staged file, its place) pairs, in the order to rename them.
        staging: the staging folder (beside the doc); replaced files are moved into it.
        stale: paths to move aside whether or not a move replaces them (a model folder
            `<version>/` replaced by an archive).
        publisher_doc: the publisher doc of the model folder, if `moves` may put it in place:
            undone, it stays if another doc of its publisher needs it by then (as `roll_back`).

    Raises:
        OSError: a rename failed; the renames made are undone first.
    """
    renames = _plan(moves, staging, stale=stale)
    _write_journal(staging, renames)
    done = 0
    try:
        for source, dest in renames:
            os.replace(source, dest)
            done += 1
        (staging / JOURNAL).unlink()  # The publish is complete: nothing to undo.
    except BaseException:
        _undo(renames[:done], exists=Path.exists, move=os.replace, publisher_doc=publisher_doc)
        raise


def _plan(
    moves: list[tuple[Path, Path]], staging: Path, *, stale: list[Path]
) -> list[tuple[Path, Path]]:
    """The renames of a commit: each existing stale path and replaced file aside (into
    `staging`), then each staged file into place."""
    renames: list[tuple[Path, Path]] = []
    for path in stale:
        if path.exists():
            renames.append((path, staging / f"old-{len(renames)}-{path.name}"))
    for source, dest in moves:
        if dest.exists():
            renames.append((dest, staging / f"old-{len(renames)}-{dest.name}"))
        renames.append((source, dest))
    return renames


def _write_journal(staging: Path, renames: list[tuple[Path, Path]]) -> None:
    """Writes the plan, durable before the first rename, paths relative to the model folder."""
    folder = staging.parent
    entries = [[os.path.relpath(a, folder), os.path.relpath(b, folder)] for a, b in renames]
    partial = staging / (JOURNAL + ".partial")
    with open(partial, "w", encoding="utf-8") as file:
        json.dump({"schema": 1, "renames": entries}, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, staging / JOURNAL)


def roll_back(staging: Path, *, docs: Path) -> bool:
    """Undoes the renames of a publish killed during its commit (see the module docstring).

    Call it only while holding the model folder's publish lock.

    Args:
        staging: a staging folder a dead publish left.
        docs: ROOT/assets/docs: no journal may name a path outside it.

    Returns:
        True if there was a journal and its renames were undone; False if there was none (the
        publish was killed before its commit, or after it was complete), or it is unreadable
        or names paths it may not (then nothing is renamed, and `leftovers.remove_leftovers`
        keeps the folder with a warning: what the publish moved aside may be in it).
    """
    renames = read_journal(staging, docs=docs)
    if renames is None:
        return False
    publisher_doc = docs_layout.publisher_doc_of(staging.parent, docs)
    _undo(renames, exists=Path.exists, move=os.replace, publisher_doc=publisher_doc)
    logger.warning(
        "Rolled back a publish into %s that was interrupted while putting its files in place: "
        "the version is as it was before it",
        staging.parent,
    )
    return True


def after_roll_back(
    renames: list[tuple[Path, Path]], path: Path, *, publisher_doc: Path | None
) -> Path | None:
    """Which file now holds what `path` will hold once `roll_back` has undone these renames,
    without renaming anything: `path` itself, the file a killed publish moved aside (into its
    staging folder), or None if the roll-back leaves nothing there (a file that publish put in
    place new). The renames are replayed as `roll_back` makes them, newest first.

    Args:
        renames: a journal's renames (`read_journal`).
        path: a file the journal may name.
        publisher_doc: the publisher doc of the journal's model folder
            (`docs_layout.publisher_doc_of`; None if it has none): kept if another doc of that
            publisher needs it, as `roll_back` keeps it.
    """
    moved: dict[Path, Path | None] = {}  # Path -> the file holding its content by then.

    def holder(place: Path) -> Path | None:
        if place in moved:
            return moved[place]
        return place if place.exists() else None

    def move(dest: Path, source: Path) -> None:
        moved[source], moved[dest] = holder(dest), None

    def exists(place: Path) -> bool:
        return holder(place) is not None

    _undo(renames, exists=exists, move=move, publisher_doc=publisher_doc)
    return holder(path)


def _undo(
    renames: list[tuple[Path, Path]],
    *,
    exists: _Exists,
    move: Callable[[Path, Path], None],
    publisher_doc: Path | None,
) -> None:
    """Undoes the renames that were made, newest first (`move(dest, source)`): a rename was
    made if its target exists and its source does not (the one home of that rule: `roll_back`
    renames, `after_roll_back` replays without renaming, and `commit` puts back on failure).

    A publisher doc the publish put in place new (none was there: no rename moved one
    aside) stays if another doc of that publisher exists by then (`_needed`): another model
    published meanwhile found it there and wrote none of its own, or one published at the
    same time had its own replaced by it; removing it would leave that model without one.
    Other killed publishes of that publisher count as rolled back (`_needed`), so the answer
    does not depend on which is rolled back first, and the server's view agrees."""
    publisher_doc = None if publisher_doc is None else _normal(publisher_doc)
    for index in reversed(range(len(renames))):
        source, dest = renames[index]
        if not exists(dest) or exists(source):
            continue
        if _normal(dest) == publisher_doc and all(a != dest for a, _ in renames[:index]):
            if _needed(dest, renames, exists=exists):
                logger.info("Kept %s: other docs of its publisher need it", dest)
                continue
        move(dest, source)


def _needed(publisher_doc: Path, renames: list[tuple[Path, Path]], *, exists: _Exists) -> bool:
    """True if a doc of the publisher other than `publisher_doc` will be there once every
    killed publish below the publisher's folder is rolled back, in whatever order: a doc this
    journal names or one on disk below the publisher's folder (as `exists` says: on disk, or
    as the replay of this roll-back leaves it), but a doc another journal names as that
    journal's roll-back leaves it (`after_roll_back`: one it moved aside comes back, one it
    put in place new goes), and any `.md` file in a staging folder whose journal cannot be
    followed (kept, with what it moved aside). The same answer before and after the other
    roll-backs, so neither their order nor the server's view (`settled`) differs."""
    folder = publisher_doc.parent
    others, unfollowed = _other_journals(folder, renames)
    if unfollowed:
        return True

    def will_exist(path: Path) -> bool:
        for other in others:
            if any(path in pair for pair in other):
                return after_roll_back(other, path, publisher_doc=None) is not None
        return exists(path)

    journals = [renames, *others]
    named = (p for j in journals for pair in j for p in pair if _is_doc_below(p, folder))
    candidates = itertools.chain(named, docs_layout.iter_doc_files(folder))
    return any(path != publisher_doc and will_exist(path) for path in candidates)


# The journals `_needed` could not follow, warned about once (a server asks on each request).
_UNFOLLOWED: WarnedOnce[Path] = WarnedOnce(1024)


def _other_journals(
    folder: Path, renames: list[tuple[Path, Path]]
) -> tuple[list[list[tuple[Path, Path]]], bool]:
    """The renames of the journals of the staging folders below a publisher's folder but the
    one of `renames`, in sorted order, and True if a staging folder holding `.md` files has a
    journal that cannot be followed (`read_journal`)."""
    own = {path.parent for pair in renames for path in pair}
    journals: list[list[tuple[Path, Path]]] = []
    for current, subdirs, _ in os.walk(folder):
        subdirs.sort()
        for name in subdirs:
            staging = Path(current) / name
            if name[:1] != "." or ".publish-" not in name or staging in own:
                continue
            if staging.is_symlink() or not os.path.lexists(staging / JOURNAL):
                continue
            found = read_journal(staging, docs=folder.parent, warned=_UNFOLLOWED)
            if found is not None:
                journals.append(found)
            elif _holds_docs(staging):
                return journals, True
        subdirs[:] = [name for name in subdirs if name[:1] != "."]
    return journals, False


def _holds_docs(staging: Path) -> bool:
    """True if a staging folder holds a `.md` file, or cannot be listed (it may)."""
    try:
        return any(name.endswith(".md") for name in os.listdir(staging))
    except OSError:
        return True


def _is_doc_below(path: Path, folder: Path) -> bool:
    """True if `path` may be a doc below `folder`: a `.md` file, no hidden part (a staging
    folder) on the way."""
    if path.suffix != ".md" or folder not in path.parents:
        return False
    return not any(part.startswith(".") for part in path.relative_to(folder).parts)


# A journal is read with bounds: a publish renames at most 9 paths (the model folder
# `<version>/` aside, then archive, signature summary, publisher doc and doc, each with the
# file it replaces aside: 1 + 4 * 2), in about 100 bytes each. A hub folder may come from
# elsewhere, so a journal beyond these bounds (or not a regular file: a FIFO would block) is
# garbled: it is ignored, never a reason for the server (or `tfhub validate`) to fail.
MAX_RENAMES = 64
MAX_JOURNAL_BYTES = 64 * 1024


def read_journal(
    staging: Path, *, docs: Path, warned: MutableSet[Path] | None = None
) -> list[tuple[Path, Path]] | None:
    """The renames of the journal in `staging` (paths without `..`), or None: no journal, or
    one not to follow (a path not directly in its model folder or staging folder, other than
    its publisher doc, through a symlink then `..`, or a rename that does not touch `staging`:
    `_Confinement`), or garbled:
    not a regular file, over `MAX_JOURNAL_BYTES` or `MAX_RENAMES`, not JSON, a NUL in a path.

    Args:
        staging: a staging folder.
        docs: ROOT/assets/docs.
        warned: the journals already warned about: a journal not followed is named in a
            warning only once per set (a server reads journals on each request: a bounded
            `utils.warn_once.WarnedOnce`); None: warn.
    """
    journal = staging / JOURNAL
    try:
        data = json.loads(_bounded_text(journal))
        entries = data["renames"]
        if not isinstance(entries, list) or len(entries) > MAX_RENAMES:
            raise ValueError(f"'renames' is not a list of at most {MAX_RENAMES} renames")
        renames = [(staging.parent / a, staging.parent / b) for a, b in entries]
        if any("\0" in str(path) for pair in renames for path in pair):
            raise ValueError("a path holds a NUL character")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as err:
        _warn_once(warned, journal, "Ignoring the unreadable publish journal %s: %s", err)
        return None
    confined = _Confinement(staging, docs)
    for pair in renames:
        problem = confined.problem(pair)
        if problem:
            _warn_once(warned, journal, "Ignoring the publish journal %s: %s", problem)
            return None
    return [(_normal(a), _normal(b)) for a, b in renames]


def _normal(path: Path) -> Path:
    """A journal's path without `..` parts (`model/../../acme.md`, a publisher doc)."""
    return Path(os.path.normpath(path))


class _Confinement:
    """Where the renames of a journal may lie: directly in its model folder (the staging
    folder's parent, `docs/<publisher>/models/<model>`) or in the staging folder, or at that
    folder's publisher doc `docs/<publisher>/<publisher>.md` (a publish names nothing else),
    and each rename moves something into or out of the staging folder. A path must name, as
    text (`..` dropped), the file it names through the filesystem: a symlink then `..` (the two
    differ) could make a reader of the text (the server) and a renamer (the roll-back) act on
    different files, one of them outside ROOT."""

    def __init__(self, staging: Path, docs: Path) -> None:
        self.staging = os.path.realpath(staging)
        self.folder = os.path.realpath(staging.parent)
        publisher_doc = docs_layout.publisher_doc_of(self.folder, os.path.realpath(docs))
        self.publisher_doc = None if publisher_doc is None else os.fspath(publisher_doc)

    def problem(self, pair: tuple[Path, Path]) -> str | None:
        """What is wrong with one rename of the journal, None if nothing."""
        real = [os.path.realpath(path) for path in pair]
        for path, real_path in zip(pair, real, strict=True):
            if os.path.realpath(_normal(path)) != real_path:
                return f"{path} goes through a symlink then '..'"
            in_folder = os.path.dirname(real_path) in (self.folder, self.staging)
            if self.publisher_doc is None or not (in_folder or real_path == self.publisher_doc):
                return (
                    f"{path} is not in its model folder {self.folder} (nor its publisher doc)"
                    if self.publisher_doc
                    else f"its folder {self.folder} is not a model folder"
                )
        if not any(os.path.dirname(path) == self.staging for path in real):
            return f"the rename {pair} does not touch its staging folder"
        return None


def _bounded_text(journal: Path) -> str:
    """The text of a journal: a regular file (opened without blocking, not through a symlink)
    of at most `MAX_JOURNAL_BYTES`; else OSError or ValueError (FileNotFoundError: none)."""
    data = read_regular(journal, limit=MAX_JOURNAL_BYTES, follow_links=False)
    if data is None:
        raise ValueError("it is not a regular file")
    if len(data) > MAX_JOURNAL_BYTES:
        raise ValueError(f"it is larger than {MAX_JOURNAL_BYTES} bytes")
    return data.decode("utf-8")


def _warn_once(warned: MutableSet[Path] | None, journal: Path, message: str, *args: object) -> None:
    if warned is None or journal not in warned:
        logger.warning(message, journal, *args)
    if warned is not None:
        warned.add(journal)

"""A hub folder as the server shows it: as the roll-back of interrupted publishes will leave it.

A publish (or mirror) killed while it renames its files into place leaves its staging folder
with a journal (`commit`), and the version half old, half new (the new archive beside the old
doc, the old archive moved aside, the doc aside) until `tfhub validate` or the next publish into
that folder rolls it back (`commit.roll_back`). The server only reads ROOT, so it rolls nothing
back: it reads each file from where the roll-back will bring it back (`commit.after_roll_back`:
the old archive, summary or doc kept aside in the staging folder) and leaves out what the
roll-back removes. A publish that is alive has a journal only while it renames (milliseconds):
its version is shown as the old one until its last rename.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .. import errors
from ..utils.warn_once import WarnedOnce
from . import commit, confinement, docs_layout
from . import leftovers as leftovers_lib
from . import staging as staging_lib
from .docs_format import DocFile, parse_text
from .docs_text import decode_doc
from .served_doc import without_long_values

logger = logging.getLogger(__name__)
Renames = list[tuple[Path, Path]]
# How many journals (and staging folders) a server remembers having warned about.
MAX_WARNED = 1024
# The journals a server warned about (one warning each, not one per request), bounded: the
# one seen longest ago is forgotten first (`utils.warn_once`, the one home of such memories).
_WARNED: WarnedOnce[Path] = WarnedOnce(MAX_WARNED)
# The most bytes of a doc the server reads (as `publish --doc` reads: a doc's body is shown up to
# 65,536 characters); a larger one (a file swapped in since it was published) is not served.
MAX_DOC_BYTES = 64 * 1024 * 1024
NOT_SERVED = "the doc is not served"
# Journals followed in one model folder: publishes into it take turns (its lock), and each
# rolls back the journal a killed one left, so more than one is rare; each costs a request
# a read of up to 64 KiB and its renames' checks (100 of them made a download take 1 s).
MAX_JOURNALS = 4


class Settled:
    """The journals of interrupted publishes below ROOT/assets/docs, each model folder's read
    once: build one per scan, or one per request (journals come and go), passed to every
    version it shows (`Version.archive_file`): a model page lists its folder once, not 2-3
    times per version."""

    def __init__(self, docs: Path) -> None:
        """`docs`: ROOT/assets/docs (a journal naming a path outside it is not followed)."""
        self.docs = docs
        self._journals: dict[str, list[Renames]] = {}  # By model folder (a str: cheaper).

    def journals(self, folder: Path) -> list[Renames]:
        """The renames of each journal in the staging folders of a model folder."""
        return self._journals_in(os.fspath(folder))

    def _journals_in(self, folder: str) -> list[Renames]:
        found = self._journals.get(folder)
        if found is None:
            found = []
            # Oldest journal first: the roll-backs run newest first, so a file ends as the
            # oldest journal naming it leaves it (`file`, `docs_of` take that one).
            leftovers = leftovers_lib.newest_journal_first(leftovers_lib.leftovers(Path(folder)))
            for staging in reversed(leftovers):
                if not staging.is_dir():  # A publish's lock file.
                    continue
                if len(found) == MAX_JOURNALS:
                    if _WARNED.first_time(staging):
                        logger.warning(
                            "Ignoring the publish journal in %s: a model folder's first %d are "
                            "followed, no more (run tfhub validate to roll them back)",
                            staging,
                            MAX_JOURNALS,
                        )
                else:
                    renames = commit.read_journal(staging, docs=self.docs, warned=_WARNED)
                    if renames:
                        found.append(renames)
            self._journals[folder] = found
        return found

    def file(self, path: Path) -> Path | None:
        """The file that holds what `path` will hold once rolled back: `path` itself when no
        journal names it (whether it exists or not), a file a killed publish moved aside into
        its staging folder, or None if the roll-back removes `path` (a file that publish put in
        place new). A file a journal points to is checked to lie inside ROOT/assets/docs
        (None if not; `commit.read_journal` confines journals, this holds if the files move
        after)."""
        for renames in self._journals_in(os.path.dirname(path)):
            if any(path in pair for pair in renames):
                # A file of a model folder: never its publisher doc (`docs_of` shows that).
                holder = commit.after_roll_back(renames, path, publisher_doc=None)
                return self._inside(holder)
        return path

    def _inside(self, holder: Path | None) -> Path | None:
        """`holder` if it is a file or folder inside ROOT/assets/docs (real path), else None."""
        if holder is None or not confinement.inside(holder, self.docs):
            return None
        return holder

    def docs_of(self, listed: list[DocFile], root: Path) -> list[DocFile]:
        """`docs_format.list_docs(root)` as the roll-backs will leave it: a doc a killed publish
        moved aside (or replaced) read from its staging folder, one it put in place new left out
        (but a publisher doc another doc of that publisher needs, as `commit.roll_back`).

        Args:
            listed: the docs `list_docs` found.
            root: the hub folder they were listed in (its real path, as the catalog's).
        """
        by_path = {doc.path: doc for doc in listed}
        for folder in self._folders_with_leftovers():
            publisher_doc = docs_layout.publisher_doc_of(folder, self.docs)
            decided: set[Path] = set()  # By an older journal: its roll-back runs last.
            for renames in self.journals(folder):
                named = {p for pair in renames for p in pair}
                # Only the docs of this model folder, and its publisher doc.
                targets = {p for p in named if p.parent == folder or p == publisher_doc}
                for target in sorted(p for p in targets if p.suffix == ".md"):
                    if target in decided:
                        continue
                    decided.add(target)
                    by_path.pop(target, None)
                    holder = self._inside(
                        commit.after_roll_back(renames, target, publisher_doc=publisher_doc)
                    )
                    doc = None if holder is None else served_doc(holder, target, root)
                    if doc is not None:
                        by_path[target] = doc
        return [by_path[path] for path in sorted(by_path)]

    def _folders_with_leftovers(self) -> list[Path]:
        """The folders below ROOT/assets/docs holding a staging folder (hidden folders are not
        looked into; a model folder's `variables/` and `assets/` are, which costs less than
        asking each folder whether it is a model)."""
        found = []
        for folder, subdirs, _ in os.walk(self.docs):
            if any(staging_lib.STAGING_INFIX in name for name in subdirs if name[:1] == "."):
                found.append(Path(folder))
            subdirs[:] = [name for name in subdirs if name[:1] != "."]
        return found


def served_doc(
    holder: Path, target: Path, root: Path, *, real_root: str | None = None
) -> DocFile | None:
    """The doc in the file `holder`, parsed as the doc at `target` and served as the scan serves
    docs (`without_long_values`); None, with a warning, if it is gone, refused or cannot be
    read. The file is opened inside ROOT first (`confinement.read_inside`): a doc swapped for a
    symlink out of ROOT (to a secret, to /dev/zero) or for a FIFO is never read, and at most
    `MAX_DOC_BYTES` are.

    Args:
        holder: the file to read (the doc itself, or the copy a killed publish moved aside).
        target: the doc's place in the hub (its handle and paths come from there).
        root: ROOT (its real path): the file read must lie inside it.
        real_root: `os.path.realpath(root)`, if the caller has it (a scan: once for all docs).
    """
    rel_path, shown = docs_layout.relative_paths(target, root)
    try:
        data = confinement.read_inside(
            holder, root, limit=MAX_DOC_BYTES, refused=NOT_SERVED, real_root=real_root
        )
    except OSError as err:
        warn_unreadable(shown, err)
        return None
    if data is None:  # Gone since it was listed, or refused (a warning said why).
        return None
    return doc_from_bytes(data, holder=holder, target=target, rel_path=rel_path, shown=shown)


def doc_from_bytes(
    data: bytes, *, holder: Path, target: Path, rel_path: str, shown: str
) -> DocFile | None:
    """The doc whose first bytes `data` (at most `MAX_DOC_BYTES` + 1) were read from `holder`,
    parsed as the doc at `target` (`rel_path`, `shown`: its paths, `docs_layout.relative_paths`)
    and served as the scan serves docs (`without_long_values`); None, with a warning, if it is
    larger than `MAX_DOC_BYTES`, not UTF-8 or no doc."""
    if len(data) > MAX_DOC_BYTES:
        logger.warning(
            "Skipping a doc (not served): %s is larger than %d MiB (a doc's body is shown "
            "up to 65,536 characters): publish it again",
            shown,
            MAX_DOC_BYTES >> 20,
        )
        return None
    try:
        text = decode_doc(data, path=os.fspath(holder), shown=shown)
        doc = parse_text(text, path=target, rel_path=rel_path, display_path=shown)
    except OSError as err:
        warn_unreadable(shown, err)
        return None
    except errors.DocFormatError as err:
        logger.warning("Skipping a doc (not served): %s", err)
        return None
    return without_long_values(doc)  # As the scan serves every doc (`list_docs`).


def warn_unreadable(shown: str, err: OSError) -> None:
    """Warns that the doc shown as `shown` is not served: it could not be read (`err`)."""
    logger.warning(
        "Skipping a doc (not served): %s:0: cannot read the documentation file: %s", shown, err
    )

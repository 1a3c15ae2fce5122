"""What `tfhub cache verify` and `tfhub cache list` say of an entry while other processes work on
the cache: an install in progress is not damage.

An install that replaces an entry (`tfhub import --force`, a download over a damaged entry)
writes the new manifest before it renames the new folder into place, and a removal renames the
folder aside before deleting it: for that moment, the entry checked against its manifest looks
damaged (files missing or of other sizes), or gone. So damage found is checked again: an entry
whose download or removal holds its lock is reported as busy (tensorflow_hub's lock file only
for a missing or empty folder: `locks.install_running`), one that is complete on the
second look (the install ended meanwhile) as fine, and one whose folder is gone with all its
bookkeeping (removed meanwhile) as gone; only what stays damaged with nobody at work is damage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from . import health, listing, locks, owners


class Verdict(NamedTuple):
    """What a check found for one entry."""

    # "ok", "damaged", "busy" (a download or removal of it is running), "gone", "foreign"
    # (`verify_entry` only: another user's entry this user may not read, so cannot check).
    state: str
    damage: str | None  # What the check found ("busy": what it found while the work ran).
    hashed: bool = False  # Whether content hashes were compared (verify --deep).


def settle(module_path: str, problem: str | None, check: Callable[[], str | None]) -> Verdict:
    """Settles damage found by `check` (`problem`, its first answer) against work in progress.

    Args:
        module_path: the entry's folder.
        problem: what `check` found a first time (None: the entry is fine).
        check: checks the entry again.

    Returns:
        The verdict.
    """
    if problem is None:
        return Verdict("ok", None)
    if locks.install_running(module_path):
        return Verdict("busy", problem)
    problem = check()  # A download or removal that ended since the first check.
    if problem is None:
        return Verdict("ok", None)
    if not listing.has_remains(module_path):
        return Verdict("gone", problem)
    return Verdict("damaged", problem)


def verify_entry(module_path: str, *, deep: bool = False) -> Verdict:
    """Checks every file of an entry (`health.full_damage`; with `deep`, `health.deep_damage`),
    not mistaking an install or removal in progress for damage.

    Args:
        module_path: the entry's folder.
        deep: also compare content hashes.

    Returns:
        The verdict (`hashed`: whether content hashes were compared); "foreign" for another
        user's entry that this user may not read (`owners.foreign_owner`), which it cannot check.
    """
    hashed = False

    def check() -> str | None:
        nonlocal hashed
        if not deep:
            return health.full_damage(module_path)
        problem, hashed = health.deep_damage(module_path)
        return problem

    verdict = settle(module_path, check(), check)
    owner = (
        owners.foreign_owner(module_path, verdict.damage) if verdict.state == "damaged" else None
    )
    if owner is not None:  # Not damage: its owner may check it (`tfhub cache prune` leaves it).
        return Verdict("foreign", f"{verdict.damage}; another user's entry ({owner})")
    return verdict._replace(hashed=hashed)


def entry_damage(item: listing.CacheEntry) -> Verdict:
    """Settles the damage `listing.entry` found for `tfhub cache list` (bounded check)."""
    return settle(item.path, item.damage, lambda: health.damage(item.path))

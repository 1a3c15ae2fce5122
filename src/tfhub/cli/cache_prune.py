"""`tfhub cache prune [--dry-run]`: what it would do or did, one line per item (parse and print
only: `tfhub.cache.prune` plans and removes). `tfhub.cli.cache` runs it with the local cache
folder; only `prune` imports this module."""

from __future__ import annotations

import os

from .. import cache, errors
from ..cache import prune as prune_policy
from ..program.stdout import WorkReport
from ..utils.printable import escaped


def prune(root: str, *, dry_run: bool) -> int:
    """Removes (or, with `dry_run`, lists) the damaged entries and leftovers of the cache `root`.

    Args:
        root: the local cache folder.
        dry_run: only print what would be removed, left or finished.

    Returns:
        0, the command's exit code.

    Raises:
        tfhub.errors.CacheError: if an item could not be removed (the others were tried); it
            names how many and the first one's failure.
    """
    if dry_run:
        _print_plan(root, prune_policy.plan(root))
        return 0
    results = prune_policy.prune(root)
    lines = WorkReport()  # A line that cannot be written hides no failure raised below.
    _print_results(root, results, lines)
    failed = [result for result in results if result.outcome == "failed"]
    if failed:
        raise errors.CacheError(
            f"{len(failed)} item(s) of the cache {escaped(root)} could not be removed; the first: "
            f"{failed[0].detail}",
            path=root,
        )
    lines.finish()
    return 0


def _print_plan(root: str, items: list[prune_policy.PruneItem]) -> None:
    """Prints `would remove|leave|finish PATH (why)` per item, or that there is nothing."""
    for item in items:
        verb = "would leave" if prune_policy.left_as_is(item) else "would remove"
        if item.kind == prune_policy.INSTALL:
            verb = "would finish"
        print(f"{verb} {escaped(item.path)} ({escaped(_prune_reason(item))})")
    if not items:
        print(f"Nothing to prune in {escaped(root)}.")


def _print_results(root: str, results: list[prune_policy.PruneResult], lines: WorkReport) -> None:
    """Says in `lines` what prune did with each item (a removed entry says it in its own words,
    then its damage, as the dry run does), or that there was nothing. Texts from the entries (a
    file name of the archive in the damage) are printed escaped, as `cache list` prints them."""
    for result in results:
        if result.outcome == "removed" and result.item.kind != "damaged entry":
            lines.say(f"removed {escaped(result.item.path)} ({result.item.kind})")
        elif result.outcome == "removed":
            lines.say(_removed_entry_line(result))
        else:
            lines.say(f"{result.outcome} {escaped(result.item.path)}: {escaped(result.detail)}")
    if not results:
        lines.say(f"Nothing to prune in {escaped(root)}.")


def _removed_entry_line(result: prune_policy.PruneResult) -> str:
    """`removed PATH (damaged entry: why)`, in the removal's own words; a link's in one pair of
    parentheses: "removed the link PATH (damaged entry: it is a link to T, which does not
    exist)", with "; its target was kept" when its target is still there after the run (not
    removed with it, as a damaged entry of the same cache may be; one this user may not
    reach is)."""
    reason = escaped(_prune_reason(result.item))
    if result.removed != "link":
        return f"{result.detail} ({reason})"
    kept = "; its target was kept" if _still_there(result.link_target) else ""
    return f"removed the link {escaped(result.item.path)} ({reason}{kept})"


def _still_there(path: str) -> bool:
    """Whether `path` exists: anything but "no such file" (a path this user may not reach
    counts as there); False for ""."""
    if not path:
        return False
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:  # Permission denied, a loop: it is not known to be gone.
        return True
    return True


def _prune_reason(item: prune_policy.PruneItem) -> str:
    """Why `prune --dry-run` lists `item` (a `prune.PruneItem`): its kind and reason; for an
    entry of another user's that this user may not read, that it is not checked, not damage
    (as `cache verify` says), and whose it is."""
    owner = None
    if item.kind == "damaged entry":
        owner = cache.owners.foreign_owner(item.path, item.reason)
    if owner is None:
        return f"{item.kind}: {item.reason}"
    return (
        f"not checked: {item.reason}; another user's entry ({owner}), not damage: its owner "
        "can check it"
    )

"""`tfhub cache list|info|verify|rm|prune`: look after the cache folder (parse and print only)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from .. import cache, constants, errors
from ..help_text import HelpFormatter, environment
from ..utils.paths import human_size
from ..utils.printable import escaped
from ._parsers import add_command, add_documented_parser, cache_text, help_when_bare

CACHE_ENV = environment(
    constants.TFHUB_CACHE_DIR, constants.TFHUB_LOCK_TIMEOUT, constants.TFHUB_DEBUG
)
# list, info, verify and prune wait for no lock (an entry being installed or removed is BUSY,
# or skipped), so TFHUB_LOCK_TIMEOUT does not apply to them.
_NO_WAIT_ENV = environment(constants.TFHUB_CACHE_DIR, constants.TFHUB_DEBUG)


def _add_action(
    actions: Any,
    name: str,
    *,
    run: Callable[[argparse.Namespace], int],
    switch: tuple[str, str] | None = None,
    env: str = CACHE_ENV,
    **documented: str,
) -> argparse.ArgumentParser:
    """Adds `tfhub cache NAME`, run by `run`.

    Args:
        actions: the subparsers object of `tfhub cache`.
        name: the action's name.
        run: what runs it.
        switch: its one on/off option, if it has one: (the option, its help line).
        env: the `environment:` section of its help (`environment(...)`).
        **documented: `help`, `description`, `examples` (as `add_documented_parser` takes them).

    Returns:
        The new parser.
    """
    parser = add_documented_parser(actions, name, environment=env, **documented)
    if switch is not None:
        option, help_line = switch
        parser.add_argument(option, action="store_true", help=help_line)
    parser.set_defaults(run=run)
    return parser


def add_commands(commands: Any) -> None:
    """Adds `tfhub cache ...` to the `tfhub` parser."""
    parser = add_command(
        commands,
        "cache",
        description="List, check and clean the cache folder (shared with tensorflow_hub).",
        epilog=CACHE_ENV,
        formatter_class=HelpFormatter,
    )
    actions = parser.add_subparsers(dest="cache_command", metavar="ACTION")
    help_when_bare(parser)
    _add_list(actions)
    _add_info(actions)
    _add_verify(actions)
    _add_rm(actions)
    _add_prune(actions)


def _add_list(actions: Any) -> None:
    """Adds `tfhub cache list [--json]`."""
    _add_action(
        actions,
        "list",
        env=_NO_WAIT_ENV,
        run=run_list,
        switch=("--json", "print a JSON list instead"),
        help="one line per entry: folder, size, time, handle",
        description="Print one line per entry: FOLDER, SIZE, DOWNLOAD-TIME, HANDLE (tab-"
        "separated; an entry is marked damaged if resolve's quick check finds it so: the "
        "manifest's sample of files, with their sizes; `tfhub cache verify` checks every "
        "file; another user's entry that this user may not read is marked not checked). Sizes "
        "come from the manifests: fast.",
        examples="  tfhub cache list\n  tfhub cache list --json",
    )


def _add_info(actions: Any) -> None:
    """Adds `tfhub cache info`."""
    _add_action(
        actions,
        "info",
        env=_NO_WAIT_ENV,
        run=run_info,
        help="where the cache is and how big",
        description="Print the cache folder, whether it is writable, its entries, total size, "
        "damaged entries and leftovers. Damaged entries are those resolve's quick check finds "
        "(the manifest's sample of files, with their sizes); `tfhub cache verify` checks every "
        "file. Other users' entries that this user may not read are not checked (not damage) "
        "and counted apart.",
        examples="  tfhub cache info",
    )


def _add_verify(actions: Any) -> None:
    """Adds `tfhub cache verify [--deep]`."""
    _add_action(
        actions,
        "verify",
        env=_NO_WAIT_ENV,
        run=run_verify,
        switch=("--deep", "also compare content hashes"),
        help="check every entry; exit 1 if one is damaged (or cannot be checked)",
        description="Check every file of every entry against its manifest (sizes; with --deep "
        "also content hashes). Exit 1 if an entry is damaged (`tfhub cache prune` removes it; "
        "one whose content alone differs, found by --deep: `tfhub cache rm`) or NOT CHECKED "
        "(another user's, which this user may not read).",
        examples="  tfhub cache verify\n  tfhub cache verify --deep",
    )


def _add_rm(actions: Any) -> None:
    """Adds `tfhub cache rm HANDLE_OR_FOLDER... | --all`, whose usage is checked before it runs."""
    remove = _add_action(
        actions,
        "rm",
        run=run_rm,
        switch=("--all", "remove every entry of the cache"),
        help="remove entries, by handle or folder name",
        description="Remove entries (the folder, descriptor and manifest), each under its lock: "
        "a download of the same entry is waited for. A symlinked entry is removed as a link. "
        "--all removes every entry so (safe while other processes use the cache, unlike "
        "rm -rf of the folder).",
        examples="  tfhub cache rm https://host/models/m/1\n  tfhub cache rm FOLDER_NAME\n"
        "  tfhub cache rm --all",
    )
    remove.add_argument("entries", nargs="*", metavar="HANDLE_OR_FOLDER", type=cache_text)
    remove.set_defaults(usage_problem=rm_usage_problem)


def _add_prune(actions: Any) -> None:
    """Adds `tfhub cache prune [--dry-run]`."""
    _add_action(
        actions,
        "prune",
        env=_NO_WAIT_ENV,
        run=run_prune,
        switch=("--dry-run", "only print what would go"),
        help="remove damaged entries and leftovers of downloads",
        description="Remove damaged entries, temporary folders of interrupted downloads, "
        "bookkeeping of removed entries and lock files nobody holds (including tensorflow_hub's "
        "of dead processes). Entries being downloaded are skipped.",
        examples="  tfhub cache prune --dry-run\n  tfhub cache prune",
    )


def _local_root() -> str:
    """Returns the cache folder, if it is local.

    Raises:
        tfhub.errors.CacheError: for a cache on a tf.io.gfile filesystem (gs://, ram://), or
            one this user can neither list nor create (`tfhub.cache.root_folder.root_error`).
    """
    root = cache.cache_dir()
    if cache.is_remote(root):
        raise errors.CacheError(
            f"`tfhub cache` manages local cache folders; {escaped(root)} is on a tf.io.gfile "
            "filesystem. "
            "Use that filesystem's tools (e.g. gsutil) there, or point TFHUB_CACHE_DIR at a "
            "local folder.",
            path=root,
        )
    problem = cache.root_folder.root_error(root)
    if problem is not None:
        raise problem
    return root


def run_list(args: argparse.Namespace) -> int:
    """Prints `FOLDER  SIZE  DOWNLOAD_TIME  HANDLE` per entry (tab-separated), or JSON."""
    root = _local_root()
    listed = _settled_scan(root)
    if args.json:
        rows = [{**item.entry._asdict(), "not_checked": item.not_checked} for item in listed]
        print(json.dumps(rows, indent=1))
        return 0
    if not listed:
        print(f"The cache {escaped(root)} is empty.")
    for item, not_checked in listed:  # A descriptor another tool wrote may hold tabs or escapes.
        state = "" if item.damage is None else f"  [damaged: {escaped(item.damage)}]"
        if not_checked is not None:
            state = f"  [not checked: {escaped(not_checked)}]"
        print(
            f"{item.name}\t{human_size(item.size)}\t{escaped(item.download_time or '-')}\t"
            f"{escaped(item.handle or '-')}{state}"
        )
    return 0


class _Listed(NamedTuple):
    """An entry as `list` and `info` show it."""

    # Its damage as resolve's quick check finds it (None: none, or not checked).
    entry: cache.listing.CacheEntry
    # Why it was not checked, for another user's entry that this user may not read (not
    # damage, as `cache verify`'s NOT CHECKED: rf55e-F2); None for every other entry.
    not_checked: str | None


def _settled_scan(root: str) -> list[_Listed]:
    """`cache.scan`, without the entries removed meanwhile, with no damage for an entry
    another process is installing or removing (see `tfhub.cache.verify`), and for another
    user's entry that this user may not read (`owners.foreign_owner`) what stopped the check
    instead of damage."""
    from ..cache import verify

    listed = []
    for item in cache.scan(root):
        verdict = verify.entry_damage(item)
        if verdict.state == "gone":
            continue
        damage = verdict.damage if verdict.state == "damaged" else None
        owner = cache.owners.foreign_owner(item.path, damage)
        if owner is None:
            listed.append(_Listed(item._replace(damage=damage), None))
        else:
            not_checked = f"{damage}; another user's entry ({owner})"
            listed.append(_Listed(item._replace(damage=None), not_checked))
    return listed


def run_info(args: argparse.Namespace) -> int:
    """Prints the cache folder, its entry count, total size and leftovers."""
    root = _local_root()
    listed = _settled_scan(root)
    entries = [item.entry for item in listed]
    print(f"cache folder: {escaped(root)}")
    print(f"writable: {cache.root_folder.writable_text(root)}")
    print(f"entries: {len(entries)}")
    print(f"total size: {human_size(sum(item.size for item in entries))}")
    print(f"damaged entries: {sum(item.damage is not None for item in entries)}")
    not_checked = sum(item.not_checked is not None for item in listed)
    if not_checked:  # Not damage, but not known to be whole either (as `cache verify` says).
        print(f"not checked (other users' entries this user may not read): {not_checked}")
    from ..cache import prune as prune_policy

    items = prune_policy.leftover_items(root)
    print(f"leftovers: {sum(not item.leave for item in items)}")
    others = sum(item.leave for item in items)
    if others:  # Not this user's to prune (as `cache verify` and `cache prune` say).
        print(
            "other users' leftovers (this user may not delete them; their owners' `tfhub cache "
            f"prune` removes them): {others}"
        )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Prints OK or the damage of each entry; returns 1 if any entry is damaged (or, being
    another user's that this user may not read, could not be checked).

    An entry another process is installing or removing is BUSY (not damage), one removed
    meanwhile is GONE, another user's that this user may not read NOT CHECKED (see
    `tfhub.cache.verify`).
    """
    from ..cache import verify

    root = _local_root()
    paths = cache.listing.entry_paths(root)
    if not paths:
        print(f"The cache {escaped(root)} is empty: nothing to verify.")
    damaged = 0
    for path in paths:
        verdict = verify.verify_entry(path, deep=args.deep)
        handle = cache.read_descriptor_handle(path) or "-"
        print(  # Escaped as by `list`: a descriptor another tool wrote may hold tabs or escapes.
            f"{os.path.basename(path)}\t{escaped(_verdict_text(verdict, path, deep=args.deep))}\t"
            f"{escaped(handle)}"
        )
        # An entry it may not check is not known to be whole: exit 1 too.
        damaged += verdict.state in ("damaged", "foreign")
    _print_leftovers(root)
    return 1 if damaged else 0


def _print_leftovers(root: str) -> None:
    """Says what `tfhub cache prune` would do with what interrupted work left in `root`: the
    folder of an install killed before its last rename is put in place, the rest removed."""
    from ..cache import prune as prune_policy

    items = prune_policy.leftover_items(root)  # The entries were checked just before.
    for item in items:
        if item.kind == prune_policy.INSTALL:
            print(
                f"{escaped(item.path)}: the complete new folder of "
                f"{os.path.basename(item.path).split('.', 1)[0]}, whose install was killed before "
                "its last rename: `tfhub cache prune` (or the next download of the entry) puts "
                "it in place."
            )
    leftovers = [item.path for item in items if item.kind != prune_policy.INSTALL]
    others = [item.path for item in items if item.leave]
    leftovers = [path for path in leftovers if path not in others]
    if leftovers:  # Not damage (no entry is wrong), but not a clean cache either.
        print(
            f"{len(leftovers)} leftover(s) of interrupted downloads or removed entries "
            f"(e.g. {escaped(leftovers[0])}): `tfhub cache prune` removes them."
        )
    if others:
        print(
            f"{len(others)} leftover(s) of other users' interrupted downloads or removed "
            f"entries that this user may not delete (e.g. {escaped(others[0])}): their owners' "
            "`tfhub cache prune` removes them."
        )


def _verdict_text(verdict: Any, path: str, *, deep: bool) -> str:
    """`OK`, `DAMAGED: ...`, `BUSY: ...`, `GONE: ...` or `NOT CHECKED: ...` (another user's
    entry this user may not read) for `verify`'s line of the entry `path`.

    With `deep`, OK says what was checked: content hashes; sizes only (an entry of an earlier
    tfhub: no hashes recorded); or, for an entry without a manifest (tensorflow_hub's), that
    no sizes were recorded either, so only its files' presence was checked.
    """
    if verdict.state == "ok":
        if not deep:
            return "OK"
        if verdict.hashed:
            return "OK (content hashes checked)"
        if cache.bookkeeping.read_manifest(path) is None:
            return "OK (presence only: no sizes or hashes recorded, as by tensorflow_hub)"
        return "OK (sizes only: no hashes recorded)"
    if verdict.state == "busy":
        return "BUSY: another process is installing or removing it (not checked)"
    if verdict.state == "gone":
        return "GONE: another process removed it meanwhile"
    if verdict.state == "foreign":
        return (
            f"NOT CHECKED: {verdict.damage}, not damage: its owner can check it "
            "(`tfhub cache prune` leaves it)"
        )
    blocked = cache.owners.entry_deletion_blocker(path)
    if blocked is not None:  # This user's prune leaves it (rf56d-F2): say whose prune does not.
        return (
            f"DAMAGED: {verdict.damage}; another user's ({blocked[1].owner}), which this user "
            "may not delete: its owner's `tfhub cache prune` removes it"
        )
    return f"DAMAGED: {verdict.damage}"


def rm_usage_problem(args: argparse.Namespace) -> str | None:
    """The usage error of `tfhub cache rm` given neither entries nor --all, or both (None if
    neither): `tfhub` says it with rm's usage, as argparse says a missing argument."""
    if not args.entries and not args.all:
        return (
            "`tfhub cache rm` needs the handles or entry folder names to remove (as `tfhub "
            "cache list` shows them), or --all for every entry."
        )
    if args.entries and args.all:
        return (
            f"`tfhub cache rm --all` removes every entry: give it no handle. Received: "
            f"{args.entries}"
        )
    return None


def run_rm(args: argparse.Namespace) -> int:
    """Removes each entry (or, with --all, every entry) under its lock; an entry named twice
    (`rm H H`, a handle and its folder name) once.

    Raises:
        tfhub.errors.ArgumentError: for both entries and --all, or neither (`tfhub` reports
            these as usage errors before running the command: `rm_usage_problem`).
        tfhub.errors.ModelNotFoundError: if a named entry is not in the cache (the others are
            removed).
    """
    problem = rm_usage_problem(args)
    if problem is not None:
        raise errors.ArgumentError(problem)
    from . import cache_rm  # Only for rm: `cache list` imports no other module of tfhub.cli.

    root = _local_root()
    if args.all:
        return cache_rm.remove_all(root)
    return cache_rm.remove_each(args.entries, root)


def run_prune(args: argparse.Namespace) -> int:
    """Removes (or lists, with --dry-run) damaged entries and leftovers of downloads.

    Raises:
        tfhub.errors.CacheError: if an item could not be removed (`cache_prune.prune`).
    """
    from . import cache_prune  # Only for prune, as cache_rm for rm.

    return cache_prune.prune(_local_root(), dry_run=args.dry_run)

"""`tfhub cache list|info|verify|rm|prune`: look after the cache folder."""

from __future__ import annotations

import argparse
import os
from typing import Any

from .. import cache, handles


def add_commands(commands: Any) -> None:
    """Adds `tfhub cache ...` to the `tfhub` parser."""
    parser = commands.add_parser("cache", help="list, check and clean the cache")
    sub = parser.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="one line per entry: folder, size, time, handle")
    listing.add_argument("--json", action="store_true", help="print a JSON list instead")
    listing.set_defaults(run=run_list)
    sub.add_parser("info", help="where the cache is and how big").set_defaults(run=run_info)
    verify = sub.add_parser("verify", help="check every entry; exit 1 if one is damaged")
    verify.set_defaults(run=run_verify)
    remove = sub.add_parser("rm", help="remove entries, by handle or folder name")
    remove.add_argument("entries", nargs="+", metavar="HANDLE_OR_FOLDER")
    remove.set_defaults(run=run_rm)
    prune = sub.add_parser("prune", help="remove damaged entries and leftovers of downloads")
    prune.add_argument("--dry-run", action="store_true", help="only print what would go")
    prune.set_defaults(run=run_prune)


def human_size(size: int) -> str:
    """Returns a size like "1.2 MB"."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def run_list(args: argparse.Namespace) -> int:
    """Prints `FOLDER  SIZE  DOWNLOAD_TIME  HANDLE` per entry (tab-separated), or JSON."""
    if args.json:
        import dataclasses
        import json

        print(json.dumps([dataclasses.asdict(item) for item in cache.scan()], indent=1))
        return 0
    for item in cache.scan():
        state = "" if item.damage is None else f"  [damaged: {item.damage}]"
        print(
            f"{item.name}\t{human_size(item.size)}\t{item.download_time or '-'}\t"
            f"{item.handle or '-'}{state}"
        )
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Prints the cache folder, its entry count, total size and leftovers."""
    root = cache.cache_dir()
    entries = cache.scan(root)
    writable = os.access(root, os.W_OK) if os.path.isdir(root) else "not created yet"
    print(f"cache folder: {root}")
    print(f"writable: {writable}")
    print(f"entries: {len(entries)}")
    print(f"total size: {human_size(sum(item.size for item in entries))}")
    print(f"damaged entries: {sum(item.damage is not None for item in entries)}")
    print(f"leftovers: {len(cache.leftovers(root))}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Prints OK or the damage of each entry; returns 1 if any entry is damaged."""
    damaged = 0
    for item in cache.scan():
        print(
            f"{item.name}\t{'OK' if item.damage is None else 'DAMAGED: ' + item.damage}\t"
            f"{item.handle or '-'}"
        )
        damaged += item.damage is not None
    return 1 if damaged else 0


def _entry_path(name_or_handle: str) -> str:
    """Returns the entry of a folder name or handle (a Kaggle URL: tfhub's key, else as given)."""
    root = cache.cache_dir()
    if len(name_or_handle) == 40 and os.path.isdir(os.path.join(root, name_or_handle)):
        return os.path.join(root, name_or_handle)
    path = cache.module_dir(handles.cache_handle(name_or_handle), root=root)
    as_given = cache.module_dir(name_or_handle, root=root)  # tensorflow_hub's key.
    return as_given if not os.path.lexists(path) and os.path.lexists(as_given) else path


def run_rm(args: argparse.Namespace) -> int:
    """Removes each entry; returns 1 if one of them is not in the cache."""
    from .. import errors

    missing = []
    for name in args.entries:
        path = _entry_path(name)
        if not os.path.lexists(path):
            missing.append(name)
            continue
        cache.remove(path)
        print(f"removed {path}")
    if missing:
        raise errors.ModelNotFoundError(f"Not in the cache {cache.cache_dir()}: {missing}")
    return 0


def run_prune(args: argparse.Namespace) -> int:
    """Removes damaged entries and the leftovers of interrupted downloads."""
    doomed = [item.path for item in cache.scan() if item.damage is not None]
    doomed += cache.leftovers()
    for path in doomed:
        print(f"{'would remove' if args.dry_run else 'removed'} {path}")
        if args.dry_run:
            continue
        if os.path.isdir(path) and not path.endswith(cache.TMP_SUFFIX):
            cache.remove(path)
        elif os.path.isdir(path):
            cache.remove_tree(path)
        else:
            os.remove(path)
    return 0

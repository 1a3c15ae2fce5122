"""`tfhub inspect HANDLE`: format, tags, signatures and variables of a model (uses TensorFlow)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..model_info import describe
from ..resolvers import resolve


def add_commands(commands: Any) -> None:
    """Adds `tfhub inspect` to the `tfhub` parser."""
    parser = commands.add_parser("inspect", help="show a model's format, signatures, variables")
    parser.add_argument("handle")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_inspect)


def format_text(info: dict[str, Any]) -> str:
    """Renders `describe`'s result for people."""
    lines = [f"path: {info['path']}", f"format: {info['format']}"]
    for meta in info["meta_graphs"]:
        lines.append(f"tags: {meta['tags']}")
        for name, sig in meta["signatures"].items():
            lines.append(f"  signature {name!r}:")
            for kind in ("inputs", "outputs"):
                for key, spec in sig[kind].items():
                    shape = "unknown" if spec["shape"] is None else spec["shape"]
                    lines.append(f"    {kind[:-1]} {key!r}: {spec['dtype']} shape={shape}")
    variables = info["variables"]
    lines.append(f"variables: {variables['count']} ({variables['bytes']} bytes)")
    lines.append(f"files: {info['files_bytes']} bytes")
    return "\n".join(lines)


def run_inspect(args: argparse.Namespace) -> int:
    """Resolves the handle and prints its description."""
    info = describe(resolve(args.handle))
    print(json.dumps(info, indent=1) if args.json else format_text(info))
    return 0

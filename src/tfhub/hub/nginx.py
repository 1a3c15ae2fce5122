"""An nginx configuration that serves a hub folder's archives itself and proxies the rest.

The ROOT layout is static, so the protocol mapping of versioned archive URLs is a rewrite:
nginx sends `ROOT/assets/docs/<publisher>/models/<model>/<version>.tar.gz` with sendfile,
and `tfhub serve` (stateless, any number of replicas) answers everything else.
"""

from __future__ import annotations

import os
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")


def nginx_config(root: str, *, upstream: str, listen: str) -> str:
    """Renders the nginx `server` block (plus its `map` and `upstream`) for a hub folder.

    Args:
        root: the hub folder (absolute path, as nginx reads it).
        upstream: `host:port` of `tfhub serve`.
        listen: nginx's `listen` value, e.g. "80" or "127.0.0.1:8080".

    Returns:
        The configuration text.
    """
    text = TEMPLATE.read_text(encoding="utf-8")
    port = upstream.rsplit(":", 1)[-1]
    replacements = {
        "@ROOT@": os.path.abspath(root),
        "@UPSTREAM@": upstream,
        "@UPSTREAM_PORT@": port,
        "@LISTEN@": listen,
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text

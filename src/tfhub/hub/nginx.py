"""An nginx configuration that serves a hub folder's archives itself and proxies the rest.

The ROOT layout is static, so the protocol mapping of versioned archive URLs is a rewrite:
nginx sends `ROOT/assets/docs/<publisher>/models/<model>/<version>.tar.gz` with sendfile,
and `tfhub serve` (stateless, any number of replicas) answers everything else.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .. import errors
from .middleware import SECURITY_HEADERS
from .settings import base_path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
_PATH_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")


def nginx_config(root: str, *, upstream: str, listen: str, base_url: str | None = None) -> str:
    """Renders the nginx `server` block (plus its `map` and `upstream`) for a hub folder.

    Args:
        root: the hub folder (absolute path, as nginx reads it).
        upstream: `host:port` of `tfhub serve`.
        listen: nginx's `listen` value, e.g. "80" or "127.0.0.1:8080".
        base_url: `tfhub serve --base-url`; its path (e.g. "/hub") prefixes the locations.

    Returns:
        The configuration text.
    """
    text = TEMPLATE.read_text(encoding="utf-8")
    port = upstream.rsplit(":", 1)[-1]
    prefix = base_path(base_url)
    if not _PATH_PREFIX.fullmatch(prefix):
        raise errors.ServeConfigError(
            "The path of --base-url must be plain segments (letters, digits, '.', '_', '~', "
            f"'-') to go into an nginx config. Received: {base_url!r}",
            option="--base-url",
        )
    replacements = {
        "@ROOT@": os.path.abspath(root),
        "@UPSTREAM@": upstream,
        "@UPSTREAM_PORT@": port,
        "@LISTEN@": listen,
        "@PREFIX_RE@": re.escape(prefix),
        "@PREFIX@": prefix,
        "@SECURITY_HEADERS@": "\n".join(
            f'        add_header {name} "{value}" always;'
            for name, value in SECURITY_HEADERS.items()
        ),
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text

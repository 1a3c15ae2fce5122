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
# What ends or escapes an nginx value or line: `;`, braces, quotes, `#`, `\`, `$` (a variable),
# and control characters (a newline would end the config's comment lines too).
_NGINX_SPECIAL = re.compile(r"[;{}\"'#\\$\x00-\x1f\x7f]")
# What a double-quoted nginx value cannot hold as written (the hub folder's path is quoted).
_UNQUOTABLE = re.compile(r"[\"\\$\x00-\x1f\x7f]")


_AUTH_NOTES = {
    True: "nginx asks tfhub serve (/api/auth) to check the bearer token (401/403) before it\n"
    "# sends an archive itself (with `tfhub serve --token-file`; an open hub answers 204).\n"
    "# For an open hub only, comment out the two auth_request lines: nginx then sends the\n"
    "# archives even while tfhub serve is down.",
    False: "Made for an open hub: nginx sends the archives to anyone. With `tfhub serve\n"
    "# --token-file`, uncomment the two auth_request lines (`tfhub serve --print-nginx-config`\n"
    "# prints them on) so that nginx asks tfhub serve to check the token first.",
}


def nginx_config(
    root: str, *, upstream: str, listen: str, base_url: str | None = None, auth: bool = True
) -> str:
    """Renders the nginx `server` block (plus its `map` and `upstream`) for a hub folder.

    Args:
        root: the hub folder (absolute path, as nginx reads it).
        upstream: `host:port` of `tfhub serve`.
        listen: nginx's `listen` value, e.g. "80" or "127.0.0.1:8080".
        base_url: `tfhub serve --base-url`; its path (e.g. "/hub") prefixes the locations.
        auth: nginx asks `tfhub serve` to check the token (`auth_request`) before it sends an
            archive itself, and marks archives `private` (for no shared cache). The safe
            default: without it, the archives of a hub with `--token-file` are open to anyone.
            False (an open hub only): nginx sends archives even while `tfhub serve` is down.

    Returns:
        The configuration text.

    Raises:
        tfhub.errors.ServeConfigError: a LISTEN or an upstream (`--host`) that would break
            the config, a ROOT path the config cannot quote, or a `--base-url` path that is not
            plain segments.
    """
    _check_listen(listen)
    _check_upstream(upstream)
    root = _quotable_root(root)
    text = TEMPLATE.read_text(encoding="utf-8")
    port = upstream.rsplit(":", 1)[-1]
    prefix = _plain_prefix(base_url)
    replacements = {
        "@ROOT@": root,
        "@UPSTREAM@": upstream,
        "@UPSTREAM_PORT@": port,
        "@LISTEN@": listen,
        "@PREFIX_RE@": re.escape(prefix),
        "@PREFIX@": prefix,
        "@AUTH_NOTE@": _AUTH_NOTES[auth],
        "@AUTH@": "" if auth else "# ",
        "@ARCHIVE_CACHE@": "private" if auth else "public",
        "@SECURITY_HEADERS@": "\n".join(
            f'        add_header {name} "{value}" always;'
            for name, value in SECURITY_HEADERS.items()
        ),
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text


def _quotable_root(root: str) -> str:
    """The absolute path of the hub folder, which the config quotes.

    Raises:
        tfhub.errors.ServeConfigError: for a path holding a character the config cannot quote.
    """
    root = os.path.abspath(root)
    if _UNQUOTABLE.search(root):
        raise errors.ServeConfigError(
            "The hub folder's path holds a character an nginx config cannot quote (one of "
            "'\"', '\\', '$' or a control character): move the hub folder to a path without "
            f"them (or link one to it) and serve that. Received: {root!r}",
            option="ROOT",
        )
    return root


def _plain_prefix(base_url: str | None) -> str:
    """The path of --base-url (`settings.base_path`), which prefixes the config's locations.

    Raises:
        tfhub.errors.ServeConfigError: for a path that is not plain segments.
    """
    prefix = base_path(base_url)
    if not _PATH_PREFIX.fullmatch(prefix):
        raise errors.ServeConfigError(
            "The path of --base-url must be plain segments (letters, digits, '.', '_', '~', "
            f"'-') to go into an nginx config. Received: {base_url!r}",
            option="--base-url",
        )
    return prefix


def _check_listen(listen: str) -> None:
    """Refuses a LISTEN that would end or break the config's `listen` line (nginx's own values,
    `80`, `127.0.0.1:8080`, `[::1]:80`, `443 ssl`, `unix:/run/hub.sock`, pass)."""
    if not listen.strip() or _NGINX_SPECIAL.search(listen):
        raise errors.ServeConfigError(
            "--print-nginx-config takes nginx's `listen` value: a port or address:port, e.g. 80 "
            "or 127.0.0.1:8080, optionally with parameters (443 ssl), without ';', braces, "
            f"quotes, '#', '$', '\\' or control characters. Received: {listen!r}",
            option="--print-nginx-config",
        )
    port = _listen_port(listen.split()[0])
    if port is not None and not 0 < port < 65536:
        raise errors.ServeConfigError(
            f"--print-nginx-config's port must be between 1 and 65535 (nginx refuses the config "
            f"otherwise). Received: {listen!r}",
            option="--print-nginx-config",
        )


def _listen_port(address: str) -> int | None:
    """The port of nginx's `listen` address (`80`, `127.0.0.1:8080`, `[::1]:80`, `*:80`), or None
    where it names none (`unix:/path`, `localhost`: nginx's default 80)."""
    if address.startswith("unix:"):
        return None
    port = address.rpartition(":")[2] if ":" in address.rpartition("]")[2] else address
    return int(port) if port.isascii() and port.isdigit() else None


def _check_upstream(upstream: str) -> None:
    """Refuses an upstream that would end or break the config's `server host:port;` line (a
    `--host` with `;`, braces, quotes, spaces: it was pasted into the config as given)."""
    if " " not in upstream and not _NGINX_SPECIAL.search(upstream):
        return
    raise errors.ServeConfigError(
        "--host must be an address or name of the machine tfhub serve runs on, e.g. 127.0.0.1 "
        "or ::1, without spaces, ';', braces, quotes, '#', '$', '\\' or control characters "
        f"(nginx's config names it as the upstream). Received: {upstream!r}",
        option="--host",
    )

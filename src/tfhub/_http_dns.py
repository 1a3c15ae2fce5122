"""Host names resolved within a connection's connect timeout.

`socket.getaddrinfo` has no timeout: a resolver that does not answer holds it for the system's
own limits (glibc: 5 s a try, 2 tries, up to 3 name servers: up to half a minute) for every
attempt of a download. `resolve_within` asks it in a thread and waits at most the connect
timeout (TFHUB_HTTP_TIMEOUT, or what is left of the retry budget); `_http_watch`'s
connections connect to the addresses it found, in order, as urllib3 does. A lookup that timed
out keeps its thread until the system resolver gives up; while it runs, later lookups of the
same name join it rather than start another (handles in a row on a dead resolver left a thread
each). Nothing is cached: once a lookup ends, the next one asks the resolver again.
"""

from __future__ import annotations

import socket
from typing import Any

from .utils.threads import Call, joined


def resolve_within(connection: Any, host: Any) -> list[str]:
    """The addresses of `host` (at `connection`'s port), resolved in a thread within the
    connection's connect timeout; [] when there is nothing to bound (an IP address, a name
    IDNA cannot encode, no timeout, not urllib3 2).

    Raises:
        urllib3.exceptions.NameResolutionError: the name does not resolve, or no answer came
            within the timeout (requests reports a connection error naming DNS; retried).
    """
    from urllib3.exceptions import NameResolutionError

    seconds = getattr(connection, "timeout", None)
    if not isinstance(host, str) or not isinstance(seconds, (int, float)) or _is_address(host):
        return []
    try:
        host.encode("idna")
    except UnicodeError:  # urllib3 says the name is not valid.
        return []
    lookup = _join(host, connection.port)
    if not lookup.done.wait(seconds):
        why = socket.gaierror(f"no answer from the DNS resolver within {seconds:g} s")
        raise NameResolutionError(connection.host, connection, why)
    if isinstance(lookup.error, socket.gaierror):
        raise NameResolutionError(connection.host, connection, lookup.error) from lookup.error
    if lookup.error is not None:
        return []  # urllib3 resolves again and raises its own error for it.
    return list(dict.fromkeys(str(entry[4][0]) for entry in lookup.value))


def _join(host: str, port: int) -> Call:
    """The lookup of `host` (at `port`, as urllib3 asks it) under way, or a new one started:
    `socket.getaddrinfo` in a "tfhub-dns" thread."""
    from urllib3.util.connection import allowed_gai_family

    family = int(allowed_gai_family())
    return joined(
        ("dns", host, port, family),
        lambda: socket.getaddrinfo(host, port, family, socket.SOCK_STREAM),
        name="tfhub-dns",
    )


def _is_address(host: str) -> bool:
    """Whether `host` is an IP address (nothing to resolve)."""
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True

"""Host names resolved within a connection's connect timeout.

`socket.getaddrinfo` has no timeout: a resolver that does not answer holds it for the system's
own limits (glibc: 5 s a try, 2 tries, up to 3 name servers: up to half a minute) for every
attempt of a download. `resolve_within` asks it in a thread and waits at most the connect
timeout (TFHUB_HTTP_TIMEOUT, or what is left of the retry budget); `_http_watch`'s
connections connect to the addresses it found, in order, as urllib3 does.
"""

from __future__ import annotations

import socket
import threading
from typing import Any


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
    found: list[Any] = []
    args = (found, host, connection.port)
    thread = threading.Thread(target=_resolve_into, args=args, daemon=True, name="tfhub-dns")
    thread.start()
    thread.join(seconds)  # A resolver that does not answer keeps the thread until it gives up.
    if not found:
        why = socket.gaierror(f"no answer from the DNS resolver within {seconds:g} s")
        raise NameResolutionError(connection.host, connection, why)
    if isinstance(found[0], socket.gaierror):
        raise NameResolutionError(connection.host, connection, found[0]) from found[0]
    if isinstance(found[0], Exception):
        return []  # urllib3 resolves again and raises its own error for it.
    return list(dict.fromkeys(str(entry[4][0]) for entry in found[0]))


def _resolve_into(found: list[Any], host: str, port: int) -> None:
    """Appends getaddrinfo's answer for `host` (as urllib3 asks it), or its error, to `found`."""
    from urllib3.util.connection import allowed_gai_family

    try:
        found.append(socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM))
    except Exception as err:  # Handed to the connecting thread.
        found.append(err)


def _is_address(host: str) -> bool:
    """Whether `host` is an IP address (nothing to resolve)."""
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True

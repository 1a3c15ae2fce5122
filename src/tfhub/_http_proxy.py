"""Which proxy a request goes through, as tfhub names it in its messages.

requests picks the proxy of a URL from HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY;
`proxy_for` says which one it picks (none for this machine's loopback, which tfhub never sends
through a proxy), with its credentials redacted.
"""

from __future__ import annotations

from . import handles
from .utils.redact import redact


def proxy_for(url: str) -> str:
    """The proxy requests sends `url` through (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, less
    NO_PROXY; none for a loopback URL), credentials redacted; "" for none."""
    return shown_proxy(raw_proxy_for(url))


def shown_proxy(proxy: str) -> str:
    """A proxy setting with its credentials redacted, also when it has no scheme
    (`user:password@proxy:3128`, which requests cannot use)."""
    if proxy and "://" not in proxy:
        return redact(f"http://{proxy}").removeprefix("http://")
    return redact(proxy)


def raw_proxy_for(url: str) -> str:
    """`proxy_for` with its credentials: only to compare with what requests says."""
    import requests

    if handles.is_loopback_url(url):
        return ""
    return requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url)) or ""


def names_proxy(text: str, proxy: str) -> bool:
    """Whether an error's text names the proxy: its whole URL (urllib3 2.7), or only its host
    and port (urllib3 2.8: "Failed to parse: '[::1:3128' is not a valid host or port")."""
    address = proxy.split("://", 1)[-1]
    host = address.rsplit("@", 1)[-1].split("/", 1)[0]
    return any(part and part in text for part in (proxy, address, host))

"""Serve a folder with tfhub's hub server (`tfhub serve`'s app) in a thread of this process.

`serve_models(root)` is used by `tfhub demo` and the benchmarks: it answers the hosting
protocol over `root` on 127.0.0.1 (a free port by default): `/a/b?tf-hub-format=compressed`
is `root/a/b.tar.gz` (tfhub.dev's bucket layout), and a hub folder in tfhub.dev's publishing
layout (`root/assets/docs/...`) gets its model pages, search and API as well. For a server
that other machines use, run `tfhub serve ROOT` (worker processes, auth, access log).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hub.runner import BackgroundServer


@contextmanager
def serve_models(
    root: str, *, host: str = "127.0.0.1", port: int = 0, access_log: bool = False
) -> Iterator[BackgroundServer]:
    """Serves `root` over HTTP while the block runs.

    Args:
        root: the folder to serve; `root/a/b.tar.gz` is the model `URL/a/b`.
        host: the address to listen on (loopback by default; an IPv6 one such as ::1 too).
        port: the port; 0 picks a free one.
        access_log: log one line per request to the `tfhub.hub.access` logger.

    Yields:
        The running server (`url(path)` gives an address, `port` the port).

    Raises:
        tfhub.errors.ServeConfigError: (a ValueError) if `root` is not a folder, `host` is not
            an address of this machine or `port` is in use (`.option` names which).
        tfhub.errors.MissingDependencyError: (an ImportError) if the hub extra is not
            installed, naming what to install.
    """
    from .hub import APP_MODULES
    from .utils.lazy import require

    require(*APP_MODULES, "uvicorn", purpose="serving models")
    from .hub.runner import BackgroundServer
    from .hub.settings import ServeSettings

    settings = ServeSettings(root=os.path.abspath(root), access_log=access_log)
    with BackgroundServer(settings, host=host, port=port) as server:
        yield server

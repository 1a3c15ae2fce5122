"""`tfhub serve ROOT`: serve a hub folder (tfhub.dev's layout) over HTTP."""

from __future__ import annotations

import argparse
import logging
import os
from typing import TYPE_CHECKING, Any

from .. import constants
from ..help_text import environment
from ..program.signals import stop_signal_was_the_end
from ..utils.lazy import require
from ..utils.paths import home_expanded
from ._parsers import add_documented_parser

if TYPE_CHECKING:
    from ..hub.settings import ServeSettings

logger = logging.getLogger(__name__)


def add_commands(commands: Any) -> None:
    """Adds `tfhub serve` to the `tfhub` parser."""
    parser = add_documented_parser(
        commands,
        "serve",
        description="Serve a hub folder (tfhub.dev's layout) over HTTP: models by the hosting "
        "protocol (what hub.load and tensorflow_hub download), pages, search and a JSON API. "
        "Read-only; SIGINT or SIGTERM stops it gracefully (exit 0). See docs/hub.md.",
        examples="  tfhub serve hub/\n"
        "  tfhub serve hub/ --host 0.0.0.0 --workers 4 --base-url https://hub.corp.example\n"
        "  tfhub serve hub/ --token-file tokens.txt   # clients set TFHUB_TOKEN, TFHUB_TOKEN_HOST\n"
        "  tfhub serve hub/ --print-nginx-config 80 > /etc/nginx/conf.d/hub.conf",
        environment=environment(constants.TFHUB_DEBUG),
    )
    parser.add_argument("root", metavar="ROOT", help="the hub folder (holding assets/docs/...)")
    _add_listening_options(parser)
    _add_content_options(parser)
    _add_running_options(parser)
    parser.set_defaults(run=run_command)


def _add_listening_options(parser: argparse.ArgumentParser) -> None:
    """Adds where the server listens and who may ask: --host, --port, --workers, --token-file."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help=f"worker processes (1; at most {constants.SERVE_WORKERS_PER_CPU} per CPU)",
    )
    parser.add_argument(
        "--token-file",
        type=home_expanded,
        help="require 'Authorization: Bearer <token>' with a token of this file",
    )


def _add_content_options(parser: argparse.ArgumentParser) -> None:
    """Adds what the answers say and where packed versions go: --base-url,
    --uncompressed-base, --cache-dir, --cache-dir-shared-parents."""
    parser.add_argument("--base-url", help="the public URL of the hub, used in the pages' snippets")
    parser.add_argument(
        "--uncompressed-base",
        help="answer ?tf-hub-format=uncompressed with 303 to BASE/<publisher>/<model>/<version> "
        "(e.g. gs://bucket/hub); without it such requests get 406",
    )
    parser.add_argument(
        "--cache-dir", default="", type=home_expanded, help="where folder versions are packed"
    )
    parser.add_argument(
        "--cache-dir-shared-parents",
        action="store_true",
        help="let the folders above the cache folder be writable by every user without the "
        "sticky bit (a Kubernetes emptyDir, which a non-root pod cannot chmod): only where "
        "every process that may write there is trusted; the cache folder stays this user's, 0700",
    )


def _add_running_options(parser: argparse.ArgumentParser) -> None:
    """Adds how it runs: --server, --no-access-log, --rescan, --stop-timeout,
    --print-nginx-config."""
    parser.add_argument(
        "--server", choices=("granian", "uvicorn"), default="granian", help="ASGI server (granian)"
    )
    parser.add_argument("--no-access-log", action="store_true", help="no line per request")
    parser.add_argument(
        "--rescan",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="check ROOT for new or changed docs this often (30; 0: never)",
    )
    parser.add_argument(
        "--stop-timeout",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="on SIGINT or SIGTERM, let the downloads in flight go on this long, then cut "
        "them (20; 0 to 86400)",
    )
    parser.add_argument(
        "--print-nginx-config",
        metavar="LISTEN",
        help="print an nginx config (listening on LISTEN, e.g. 80) that serves the archives "
        "itself and proxies the rest to this server, then exit",
    )


def run_command(args: argparse.Namespace) -> int:
    """Serves until interrupted (or prints the nginx config).

    Raises:
        tfhub.errors.ServeConfigError: as `hub.runner.serve` (`check_options`).
    """
    if args.print_nginx_config is not None:  # An empty LISTEN is refused, not served.
        return _print_nginx_config(args)
    from ..hub import APP_MODULES

    require(*APP_MODULES, args.server, purpose="tfhub serve")
    from ..hub.runner import serve
    from ..hub.settings import host_port

    settings = _serve_settings(args)

    def announce() -> None:  # Once the options passed their checks.
        url = f"http://{host_port(args.host, args.port)}/"  # [::1] for IPv6: it opens.
        public = f" (public URL {args.base_url})" if args.base_url else ""
        print(f"tfhub: serving {settings.root} at {url}{public}", flush=True)

    serve(
        settings,
        host=args.host,
        port=args.port,
        workers=args.workers,
        server=args.server,
        on_ready=announce,
        stop_timeout=args.stop_timeout,
    )
    # The server returned: a stop signal (SIGINT, SIGTERM, SIGHUP) stopped it gracefully, which
    # is how `tfhub serve` ends (exit 0), not a command cut short (uvicorn raises the signal
    # again once it has stopped).
    stop_signal_was_the_end()
    return 0


def _print_nginx_config(args: argparse.Namespace) -> int:
    """Prints the nginx config `--print-nginx-config LISTEN` asks for; returns 0.

    Raises:
        tfhub.errors.ServeConfigError: for a --port out of range (`hub.settings.check_port`),
            or what `hub.nginx.nginx_config` refuses.
    """
    from ..hub.nginx import nginx_config
    from ..hub.settings import check_port, host_port

    check_port(args.port)
    upstream = host_port(args.host, args.port)
    listen = args.print_nginx_config
    print(nginx_config(args.root, upstream=upstream, listen=listen, base_url=args.base_url))
    return 0


def _serve_settings(args: argparse.Namespace) -> ServeSettings:
    """The `ServeSettings` of the options: paths made absolute, an empty --cache-dir kept empty."""
    from ..hub.settings import ServeSettings

    return ServeSettings(
        root=os.path.abspath(args.root),
        base_url=args.base_url,
        uncompressed_base=args.uncompressed_base,
        token_file=os.path.abspath(args.token_file) if args.token_file else None,
        cache_dir=os.path.abspath(args.cache_dir) if args.cache_dir else "",
        access_log=not args.no_access_log,
        rescan_seconds=args.rescan,
        cache_dir_shared_parents=args.cache_dir_shared_parents,
    )

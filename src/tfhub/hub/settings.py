"""How one `tfhub serve` is configured; passed to worker processes through one env variable.

Workers are separate processes started by the ASGI server, so the settings travel as JSON in
`TFHUB_SERVE_SETTINGS`; every worker builds the same read-only state from them (stateless).
The options are checked here (`check_settings`: ROOT, the token file, --base-url,
--uncompressed-base, --rescan), by the parent before any worker starts and by each worker.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from .. import errors
from ..utils import urls
from ..utils.paths import non_folder_kind
from . import cache_dir
from .docs_layout import docs_dir

# The token file's reading is `token_file`'s; its names stay importable from here.
from .token_file import MAX_TOKEN_FILE_BYTES as MAX_TOKEN_FILE_BYTES
from .token_file import TokenFile, warn_if_readable_by_others
from .token_file import _file_stamp as _file_stamp
from .token_file import read_tokens as read_tokens

logger = logging.getLogger(__name__)
SETTINGS_ENV = "TFHUB_SERVE_SETTINGS"


@dataclass(frozen=True)
class ServeSettings:
    """Options of `tfhub serve`.

    Attributes:
        root: the hub folder (tfhub.dev's layout).
        base_url: the public URL clients use (for snippets); None: taken from each request.
        uncompressed_base: where `?tf-hub-format=uncompressed` points (e.g. gs://bucket/hub),
            the model then read at `<base>/<publisher>/<model>/<version>`; None: answer 406.
        token_file: a file of bearer tokens, one a line (`#` comments); None: no auth.
        cache_dir: where archives of folder versions are packed (once, shared by workers).
        access_log: log one line per request to the `tfhub.hub.access` logger.
        rescan_seconds: how often each worker checks ROOT for new docs (0: never).
        cache_dir_shared_parents: let the folders above the cache folder be writable by
            others without the sticky bit (a Kubernetes emptyDir; `check_cache_dir`).
    """

    root: str
    base_url: str | None = None
    uncompressed_base: str | None = None
    token_file: str | None = None
    cache_dir: str = ""
    access_log: bool = True
    rescan_seconds: float = 30.0
    cache_dir_shared_parents: bool = False

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServeSettings:
        """Reads the settings a parent `tfhub serve` left in TFHUB_SERVE_SETTINGS.

        Raises:
            tfhub.errors.TFHubError: if it is not set, or not what `to_env` writes (set by
                hand, or by another tfhub version).
        """
        raw = os.environ.get(SETTINGS_ENV)
        if not raw:
            raise errors.TFHubError(
                f"{SETTINGS_ENV} is not set: start the server with tfhub serve."
            )
        try:
            values = json.loads(raw)
            return cls(**values)
        except (ValueError, TypeError) as err:  # Not JSON, not an object, an unknown key.
            raise errors.TFHubError(
                f"{SETTINGS_ENV} does not hold the settings `tfhub serve` writes ({err}): start "
                "the server with tfhub serve, which sets it."
            ) from err


def check_port(port: int) -> None:
    """Refuses a TCP port outside 1-65535 (serving and the nginx config alike).

    Raises:
        tfhub.errors.ServeConfigError: naming --port and the value received.
    """
    if not 0 < port < 65536:
        raise errors.ServeConfigError(
            f"--port must be between 1 and 65535. Received: {port}", option="--port"
        )


def host_port(host: str, port: int) -> str:
    """`host:port` as a URL or nginx's `proxy_pass` writes it: an IPv6 address (`::1`) in
    brackets (RFC 3986), `[::1]:8000`; else `127.0.0.1:8000`."""
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}"


def base_path(base_url: str | None) -> str:
    """The path of `--base-url` as written (percent-encoded), without a trailing slash: "/hub"
    for https://corp.example/hub/, "" for none or a URL without a path."""
    return urlsplit(base_url or "").path.rstrip("/")


def check_uncompressed_base(base: str) -> None:
    """Refuses an --uncompressed-base no client can follow: the 303 answers of
    `?tf-hub-format=uncompressed` name `<base>/<publisher>/<model>/<version>`, and tfhub and
    tensorflow_hub read uncompressed models only from a gs:// folder (another base made every
    such request fail in the client, after a mere warning at start), and one with a query or
    fragment, which the 303 would give every client (`?X-Goog-Signature=...`).

    Raises:
        tfhub.errors.ServeConfigError: naming the option, the value and a valid example.
    """
    # A query or fragment (a signed URL's signature, a token) would be given to every client in
    # the 303's Location, with the handle's path pasted after it: refused, shown redacted (as
    # every tfhub error's message is).
    problem = _why_not_a_base(base)
    if problem is None:
        return
    raise errors.ServeConfigError(
        f"--uncompressed-base must be the gs:// folder of the hub's uncompressed models, e.g. "
        f"gs://bucket/hub, with no query or fragment: {problem} (tfhub and "
        "tensorflow_hub read uncompressed models only from gs://, with their own credentials; "
        f"without the option such requests get 406). Received: {base!r}",
        option="--uncompressed-base",
    )


def _why_not_a_base(base: str) -> str | None:
    """What makes `base` no --uncompressed-base, or None if it is one."""
    if base.startswith("gs://") and ("?" in base or "#" in base):
        return "it has a query or fragment"
    return urls.gcs_folder_problem(base)


def check_root(settings: ServeSettings) -> None:
    """Checks that ROOT is a folder whose docs folder, if it has one, the server's user may
    list (at start and before each rescan: one it may not list keeps the previous scan).

    Raises:
        tfhub.errors.ServeConfigError: if it is not (caused by a FileNotFoundError if it does
            not exist: `tfhub serve` then exits 7, not found), or the server's user may not
            reach or list ROOT/assets/docs (caused by the PermissionError).
    """
    if os.path.isdir(settings.root):
        _check_docs_listable(settings.root)
        return
    missing: FileNotFoundError | None = None
    try:
        os.stat(settings.root)
    except FileNotFoundError as err:
        missing = err
    except OSError:  # There, but not a folder this process can see into.
        pass
    why = "no such folder" if missing else "not a folder"
    if os.path.islink(settings.root):  # A share not mounted, a folder moved away, a loop.
        why = f"it {non_folder_kind(settings.root)}"
    raise errors.ServeConfigError(
        f"Cannot serve {settings.root}: {why}. Give the hub folder (the one holding "
        "assets/docs/<publisher>/...).",
        option="ROOT",
    ) from missing


def _check_docs_listable(root: str) -> None:
    """Refuses a ROOT whose assets/docs the server's user may not reach or list (another
    user's 0700 folder on the way): the start ended in a bare `Permission denied`, and a rescan
    served an empty hub. ROOT and assets need only search permission (`x`), as files are
    opened; a ROOT without assets/docs is fine (an empty hub, served with a warning)."""
    docs = docs_dir(root)
    try:
        with os.scandir(docs):
            return
    except (FileNotFoundError, NotADirectoryError):
        return
    except PermissionError as err:
        ways = [root, os.path.join(root, "assets")]
        closed = next((way for way in ways if not os.access(way, os.X_OK)), os.fspath(docs))
        raise errors.ServeConfigError(
            f"Cannot serve {root}: the server's user may not read {closed} "
            f"({err.strerror or err}). Let it, as the folder's owner: 'chmod a+rX {closed}' "
            "(or run the server as a user that may read the hub).",
            option="ROOT",
        ) from err


def check_settings(settings: ServeSettings, *, started: bool = False) -> TokenFile | None:
    """Checks what can be checked without scanning ROOT; returns the tokens (None: no auth).
    With `started` (a worker of a server whose parent checked all this at start), a token file
    emptied since refuses every token instead (`TokenFile`).

    Raises:
        tfhub.errors.ServeConfigError: if ROOT is not a folder, the token file is unusable, or
            --base-url, --uncompressed-base or --rescan has a value it cannot have.
    """
    check_root(settings)
    if settings.base_url:
        check_base_url(settings.base_url)
    if settings.uncompressed_base is not None:
        check_uncompressed_base(settings.uncompressed_base)
    if not 0 <= settings.rescan_seconds < math.inf:  # Also refuses NaN.
        raise errors.ServeConfigError(
            "--rescan must be a number of seconds, or 0 to never look for new docs. Received: "
            f"{settings.rescan_seconds}",
            option="--rescan",
        )
    return TokenFile(settings.token_file, started=started) if settings.token_file else None


def check_base_url(base_url: str) -> None:
    """Refuses a --base-url the pages cannot put paths after: not http(s), not a URL, or one
    with a query, a fragment or credentials (`https://hub.example.com/?x=1` gave page links
    such as `https://hub.example.com/?x=1/acme/emb/1`), no host or a bad port (`https://`
    gave links such as `https:/acme/emb/1`), or a `.` or `..` path segment.

    Args:
        base_url: the --base-url option as given.

    Raises:
        tfhub.errors.ServeConfigError: naming the option, for such a URL.
    """
    example = "--base-url must be the hub's public http(s) URL, e.g. https://hub.example.com"
    try:
        parts = urlsplit(base_url)
    except ValueError:  # An unclosed IPv6 host: https://[::1
        parts = None
    if parts is None or not base_url.startswith(("http://", "https://")):
        problem = ""
    elif "?" in base_url or "#" in base_url:
        problem = " with no query or fragment ('?' or '#': the pages add paths after it)"
    elif "@" in parts.netloc:
        problem = " with no credentials (user:password@: pages would show them to every visitor)"
    elif urls.server_problem(base_url) is not None:
        problem = " with a host and, if any, a port from 1 to 65535 (pages link its pages there)"
    elif {".", ".."} & set(parts.path.split("/")):
        problem = " with no '.' or '..' path segment (browsers resolve them: links would break)"
    else:
        return
    raise errors.ServeConfigError(
        f"{example}{problem}. Received: {base_url!r}", option="--base-url"
    )


def warn_about_settings(settings: ServeSettings) -> None:
    """Logs a warning for each setting that works but is likely a mistake (a token file every
    user may read). Called once, by the parent process (`runner.check_options`), not by each
    worker as `check_settings` is."""
    if settings.token_file:
        warn_if_readable_by_others(settings.token_file)
    if settings.cache_dir_shared_parents:
        logger.warning(
            "--cache-dir-shared-parents: the folders above the cache folder %s may be writable "
            "by every user without the sticky bit (a Kubernetes emptyDir): any process that "
            "may write there could rename the cache folder away and put a folder of its own, "
            "holding archives the server then sends, in its place between two checks. Use it "
            "only where every such process is trusted; the cache folder itself must be this "
            "user's, mode 0700",
            settings.cache_dir or cache_dir.default_cache_dir(settings.root),
        )

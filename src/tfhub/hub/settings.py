"""How one `tfhub serve` is configured; passed to worker processes through one env variable.

Workers are separate processes started by the ASGI server, so the settings travel as JSON in
`TFHUB_SERVE_SETTINGS`; every worker builds the same read-only state from them (stateless).
The options are checked here (`check_settings`: ROOT, the token file, --base-url,
--uncompressed-base, --rescan), by the parent before any worker starts and by each worker.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import stat
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from .. import errors
from ..utils import urls
from ..utils.regular_files import read_regular
from . import cache_dir
from .docs_layout import docs_dir

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


# The most a token file may hold (about 20,000 tokens): a larger one is a mistake, not read.
MAX_TOKEN_FILE_BYTES = 1 << 20


def read_tokens(path: str) -> frozenset[str]:
    """Reads a token file: one token a line; blank lines and `#` comments ignored, spaces and
    CRLF line ends around a token too, and the byte order mark an editor may put first.

    Raises:
        tfhub.errors.ServeConfigError: if the file cannot be read, is no regular file, is
            larger than `MAX_TOKEN_FILE_BYTES` or holds no token.
    """
    try:
        data = _token_file_bytes(path)
    except OSError as err:
        raise errors.ServeConfigError(
            f"Cannot read the token file {path}: {err}. Give a readable text file with one token "
            "a line.",
            option="--token-file",
        ) from err
    try:
        with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig") as text:
            lines = [line.strip() for line in text]
    except UnicodeDecodeError as err:  # Neither its message nor its `object` (the file) shown.
        raise errors.ServeConfigError(
            f"Cannot read the token file {path}: it is not UTF-8 text (at byte {err.start}). "
            "Save it as UTF-8, one token a line.",
            option="--token-file",
        ) from None
    tokens = frozenset(line for line in lines if line and not line.startswith("#"))
    if not tokens:
        raise errors.ServeConfigError(
            f"The token file {path} holds no token (one a line; '#' starts a comment).",
            option="--token-file",
        )
    return tokens


def _token_file_bytes(path: str) -> bytes:
    """The bytes of a token file, opened without waiting (a named pipe in its place made the
    server wait for a writer for ever, at start or in a worker's event loop) and read only if
    it is a regular file of at most `MAX_TOKEN_FILE_BYTES` (`/dev/zero` was read for ever).

    Raises:
        OSError: if it cannot be opened or read.
        tfhub.errors.ServeConfigError: if it is no regular file (a named pipe, `<(...)`, a
            device: none can be read again when it changes) or is larger.
    """
    data = read_regular(path, limit=MAX_TOKEN_FILE_BYTES)
    if data is None:
        raise errors.ServeConfigError(
            f"The token file {path} is not a regular file (a named pipe, `<(...)` or a "
            "device): the server reads it again whenever it changes, which only a file "
            "allows. Write the tokens into a file, one a line, readable by the server's "
            "user only (chmod 600), and give that file.",
            option="--token-file",
        )
    if len(data) > MAX_TOKEN_FILE_BYTES:
        raise errors.ServeConfigError(
            f"The token file {path} is larger than {MAX_TOKEN_FILE_BYTES:,} bytes: it is not "
            "read. Give a file of tokens, one a line.",
            option="--token-file",
        )
    return data


def warn_if_readable_by_others(path: str) -> None:
    """Logs a warning if every user of the machine may read the token file (mode `o+r`)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if os.name == "posix" and mode & stat.S_IROTH:
        logger.warning(
            "The token file %s is readable by every user of this machine (mode %o): anyone "
            "logged in can read the tokens. Run: chmod o-rwx %s",
            path,
            stat.S_IMODE(mode),
            path,
        )


# A file written within this long before it was read may be written again with the same size
# and timestamp (filesystems keep coarse times): it is read again at each call until it is older.
_RACY_NS = 2_000_000_000


def _file_stamp(path: str) -> tuple[int, ...] | None:
    """What changes when a file is written, replaced or made unreadable (its mtime last); None
    if it is gone."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_ctime_ns, info.st_mtime_ns)


def _racy(stamp: tuple[int, ...] | None) -> bool:
    """True if the file changed so recently that a change to come may keep its stamp."""
    return stamp is not None and time.time_ns() - stamp[-1] < _RACY_NS


class TokenFile:
    """The tokens of `--token-file`, read again whenever the file changes while serving.

    A token removed from the file is refused from the next request on. While the file is
    empty, missing or unreadable, no token is accepted (the safe side: emptying the file
    revokes every token), with a warning, until it holds tokens again.
    """

    def __init__(self, path: str, *, started: bool = False) -> None:
        """Reads the file.

        Args:
            path: the token file.
            started: the server was started already (a worker of `tfhub serve`, whose parent
                checked the file at start): a file emptied or removed since refuses every
                token, with a warning, as it does for a running worker, instead of raising
                (a worker that started late died, and granian stopped the whole server).

        Raises:
            tfhub.errors.ServeConfigError: if it cannot be read or holds no token at start (a
                mistake to report; later, the same state only refuses every token).
        """
        self.path = path
        self._stamp = _file_stamp(path)  # Before reading: a write meanwhile is read next time.
        self._racy = _racy(self._stamp)
        self._warned = ""
        try:
            self._tokens = read_tokens(path)
        except errors.ServeConfigError as err:
            if not started:
                raise
            logger.warning("%s Every token is refused until it holds tokens again.", err)
            self._warned, self._tokens = str(err), frozenset()

    def tokens(self) -> frozenset[str]:
        """The tokens the file holds now (read again if it changed since the last read)."""
        stamp = _file_stamp(self.path)
        if stamp != self._stamp or self._racy:
            self._stamp, self._racy = stamp, _racy(stamp)
            self._tokens = self._read_again()
        return self._tokens

    def _read_again(self) -> frozenset[str]:
        try:
            tokens = read_tokens(self.path)
        except errors.ServeConfigError as err:
            if str(err) != self._warned:  # Once per state, not at each racy read.
                logger.warning("%s Every token is refused until it holds tokens again.", err)
                self._warned = str(err)
            return frozenset()
        self._warned = ""
        if tokens != self._tokens:
            logger.info("Read the changed token file %s: %d token(s)", self.path, len(tokens))
        return tokens


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
    raise errors.ServeConfigError(
        f"Cannot serve {settings.root}: {'no such folder' if missing else 'not a folder'}. Give "
        "the hub folder (the one holding assets/docs/<publisher>/...).",
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

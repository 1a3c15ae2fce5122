"""How one `tfhub serve` is configured; passed to worker processes through one env variable.

Workers are separate processes started by the ASGI server, so the settings travel as JSON in
`TFHUB_SERVE_SETTINGS`; every worker builds the same read-only state from them (stateless).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from .. import errors

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
    """

    root: str
    base_url: str | None = None
    uncompressed_base: str | None = None
    token_file: str | None = None
    cache_dir: str = ""
    access_log: bool = True
    rescan_seconds: float = 30.0

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServeSettings:
        """Reads the settings a parent `tfhub serve` left in TFHUB_SERVE_SETTINGS."""
        raw = os.environ.get(SETTINGS_ENV)
        if not raw:
            raise errors.TFHubError(
                f"{SETTINGS_ENV} is not set: start the server with tfhub serve."
            )
        return cls(**json.loads(raw))


def base_path(base_url: str | None) -> str:
    """The path of `--base-url` as written (percent-encoded), without a trailing slash: "/hub"
    for https://corp.example/hub/, "" for none or a URL without a path."""
    return urlsplit(base_url or "").path.rstrip("/")


def default_cache_dir(root: str) -> str:
    """<tempdir>/tfhub-serve-<uid>: packed archives of folder versions (not inside ROOT)."""
    user = getattr(os, "getuid", lambda: 0)()
    return os.path.join(tempfile.gettempdir(), f"tfhub-serve-{user}")


def read_tokens(path: str) -> frozenset[str]:
    """Reads a token file: one token a line; blank lines and `#` comments ignored.

    Raises:
        tfhub.errors.ServeConfigError: if the file cannot be read or holds no token.
    """
    try:
        with open(path, encoding="utf-8") as file:
            lines = [line.strip() for line in file]
    except (OSError, UnicodeDecodeError) as err:
        raise errors.ServeConfigError(
            f"Cannot read the token file {path}: {err}. Give a readable text file with one token "
            "a line.",
            option="--token-file",
        ) from err
    tokens = frozenset(line for line in lines if line and not line.startswith("#"))
    if not tokens:
        raise errors.ServeConfigError(
            f"The token file {path} holds no token (one a line; '#' starts a comment).",
            option="--token-file",
        )
    return tokens

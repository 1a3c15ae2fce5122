"""The bearer tokens of `tfhub serve --token-file`: the file read (a regular UTF-8 file of one
token a line, bounded, opened without waiting) and read again whenever it changes while serving
(`TokenFile`), and the warning for a token file every user may read. `settings` checks the
options with it; the middleware asks `TokenFile.tokens` at each request.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import time

from .. import errors
from ..utils.regular_files import read_regular

# The name these warnings had before the token file had a module of its own (`hub.settings`),
# kept for logging configurations that name it.
logger = logging.getLogger("tfhub.hub.settings")


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

"""The file writer process: creates the small files an extraction sends it, nothing else.

`_archive_writer.WriterProcess` runs this file's source with `python -I -S -c`, so it imports no
tfhub (whichever copy is installed) and nothing but builtin modules: it starts in ~10 ms. It
reads length-prefixed `marshal` batches of (relative path, bytes, overwrite) on stdin and creates
each file relative to the extraction root, an open folder fd it inherited (`dir_fd`), with
O_CREAT|O_EXCL (O_TRUNC to overwrite)|O_NOFOLLOW. The parent has decided every path in memory
(no `..`, no component that is a link, folders made first); the worker refuses absolute paths
and `..` once more. An empty batch asks for an acknowledgement ("ok"). At the first failure it
answers (path, errno, strerror) and writes nothing more; when its stdin closes (the parent is
done, or was killed) or its parent is gone, it exits: it never outlives the extraction.
"""

from __future__ import annotations

import marshal
import os
import sys

FILE_FLAGS = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def read_exact(fd: int, size: int) -> bytes:
    """Reads `size` bytes from `fd`; fewer only if the pipe closed first."""
    parts = []
    while size > 0:
        data = os.read(fd, min(size, 1 << 20))
        if not data:
            break
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


def _answer(fd: int, value: str | tuple[str, int, str]) -> None:
    data = marshal.dumps(value)
    data = len(data).to_bytes(4, "little") + data
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        pass  # The parent has stopped listening (it is failing or gone).


def write_batch(root: int, items: list[tuple[str, bytes, bool]]) -> tuple[str, int, str] | None:
    """Creates the files of one batch, in order; returns (path, errno, strerror) of a failure."""
    new, overwrite = FILE_FLAGS | os.O_EXCL, FILE_FLAGS | os.O_TRUNC
    open_, write, close = os.open, os.write, os.close
    for path, data, replace in items:
        if path[:1] == "/" or "/../" in f"/{path}/":
            return path, 1, "refused: not a relative path inside the target"  # EPERM
        try:
            fd = open_(path, overwrite if replace else new, 0o666, dir_fd=root)
            try:
                while data:
                    data = data[write(fd, data) :]
            finally:
                close(fd)
        except OSError as err:
            return path, err.errno or 5, err.strerror or str(err)  # 5: EIO
        except ValueError as err:  # A NUL in the path (the parent refuses those first).
            return path, 22, str(err)  # EINVAL: an ArchiveError naming the member.
    return None


def serve(root: int, parent: int, requests: int = 0, answers: int = 1) -> None:
    """Writes the batches read from `requests` until it closes, or its parent is gone.

    After a failed write it answers the failure once, then reads and drops what the parent still
    sends until it closes the pipe: the parent never writes into a closed pipe (which kills a
    process that has restored SIGPIPE's default action). Batches still in the pipe when the
    parent dies (killed) are not written: the next download of the entry may already be
    removing the temporary folder they would go into.

    Args:
        root: the extraction root's open folder fd.
        parent: the extracting process's pid (given: the worker may start after its death).
        requests, answers: the pipes' fds.
    """
    failure: tuple[str, int, str] | None = None
    while True:
        head = read_exact(requests, 4)
        if len(head) < 4:
            return  # The parent closed the pipe (done, or killed): nothing more to do.
        size = int.from_bytes(head, "little")
        body = read_exact(requests, size)
        if len(body) < size:
            return  # Cut short: the parent was killed while sending.
        if os.getppid() != parent:
            return  # Killed: what it sent is for nobody (a new parent: init or a subreaper).
        items = marshal.loads(body)
        if not items:
            _answer(answers, failure or "ok")
        elif failure is None:
            failure = write_batch(root, items)
            if failure is not None:
                _answer(answers, failure)  # At once: the parent may notice before it asks.


if __name__ == "__main__":
    import _signal  # Builtin; `signal` would import enum. Ctrl-C is the parent's to handle.

    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    serve(int(sys.argv[1]), parent=int(sys.argv[2]))

"""absl's `--flagfile=FILE` on the tools' command lines: each directive replaced by the flags
its file holds, read by absl itself as `FLAGS(argv)` read them for upstream's tools, plus what
absl left to do (a UTF-8 byte-order mark an editor saved, a nested directive behind one, the
loop such lines could make). `end_of_flags` says where the flags of a command line end (`--`).
absl is imported only when a command line has a directive; nothing here imports TensorFlow.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .. import errors
from ..utils.lazy import import_optional
from ..utils.printable import BOM


def end_of_flags(argv: Sequence[str]) -> int:
    """The index of the first `--` in `argv` (after which nothing is a flag), else its length."""
    return list(argv).index("--") if "--" in argv else len(argv)


def with_flagfiles_read(argv: Sequence[str]) -> list[str]:
    """Returns `argv` with each absl flagfile directive before a `--` (`--flagfile=FILE`,
    `-flagfile=FILE`, `--flagfile FILE`) replaced by the flags its file holds, read by absl as
    `FLAGS(argv)` read them for upstream's tools: one flag a line, `#` and `//` comment lines,
    nested flagfiles, a leading `~` expanded; later flags win; a UTF-8 byte-order mark at a
    file's start is not part of its first line, which is read as any other line, a nested
    `--flagfile=FILE` too (`_without_boms`). absl is imported only when `argv` has such a
    directive.

    Raises:
        tfhub.errors.ToolFlagError: a flagfile that cannot be read, a directive without its
            file (`.flag` "flagfile"), or a flagfile whose byte-order-marked first line
            includes that file again.
    """
    return _flagfiles_read(argv, ())


def _flagfiles_read(argv: Sequence[str], chain: tuple[str, ...]) -> list[str]:
    """`with_flagfiles_read` of `argv`, reached through the byte-order-marked first lines of
    the flagfiles `chain` (their real paths, in the order they led here)."""
    end = end_of_flags(argv)
    directives = [arg for arg in argv[:end] if _is_flagfile_directive(arg)]
    if not directives:
        return list(argv)
    flags = import_optional("absl.flags", purpose="Reading --flagfile")
    try:
        read = flags.FlagValues().read_flags_from_files(list(argv))
    except (flags.Error, UnicodeDecodeError) as err:  # CantOpenFlagFileError, IllegalFlag...
        reason = str(err).removeprefix("ERROR:: ")
        if isinstance(err, UnicodeDecodeError):  # absl opens it in the locale's encoding.
            reason = (
                f"it is not {err.encoding} text (byte {err.start}: {err.reason}); save it as "
                "UTF-8 and run in a UTF-8 locale (LANG=C.UTF-8)"
            )
        raise errors.ToolFlagError(
            f"--flagfile cannot be read: {reason}. Give a file of flags, one a line "
            f"(`--image_dir=photos`). Received: {' '.join(directives)}",
            flag="flagfile",
            value=" ".join(directives),
        ) from None
    return _without_boms(read, argv, chain)


def _without_boms(read: Sequence[str], given: Sequence[str], chain: tuple[str, ...]) -> list[str]:
    """The flags absl `read` from `given` and its flagfiles, with the UTF-8 byte-order mark
    that an editor (Notepad) saves at the start of a file dropped from that file's first line,
    which absl keeps (a line it then reads as no flag, nor comment); a first line that is then
    blank or a comment (`#`, `//`) is dropped, as absl drops those, and a `--flagfile=FILE`
    (absl saw no directive in it) is replaced by the flags of FILE.

    Raises:
        tfhub.errors.ToolFlagError: such a FILE is one of the flagfiles of `chain`, the
            byte-order-marked directives that led here (a file read twice side by side is no
            loop, as absl reads it): they would be read for ever (`_refuse_a_loop`).
    """
    given_args = set(given)
    kept = []
    for arg in read:
        if arg.startswith(BOM) and arg not in given_args:
            arg = arg.removeprefix(BOM).strip()
            if not arg or arg.startswith(("#", "//")):
                continue
            if _is_flagfile_directive(arg):
                _refuse_a_loop(arg, chain)
                kept.extend(_flagfiles_read([arg], (*chain, _real_path(arg))))
                continue
        kept.append(arg)
    return kept


def _real_path(directive: str) -> str:
    """The real path of the file of a `--flagfile=FILE` directive ("" without `=FILE`)."""
    file = directive.partition("=")[2]
    return os.path.realpath(os.path.expanduser(file)) if file else ""


def _refuse_a_loop(directive: str, chain: tuple[str, ...]) -> None:
    """Refuses a `--flagfile=FILE` on a byte-order-marked first line of the last file of
    `chain` (the real paths of the files such lines led through) when FILE is in `chain`.

    Raises:
        tfhub.errors.ToolFlagError: naming the line's file, FILE, and the loop.
    """
    file = directive.partition("=")[2]
    real = _real_path(directive) if file else ""
    if real not in chain:
        return
    loop = " -> ".join((*chain[chain.index(real) :], real))
    raise errors.ToolFlagError(
        f"The first line of the flagfile {chain[-1]} (after the byte-order mark an editor "
        f"saved) names --flagfile={file}, which leads back to it ({loop}), so they would be "
        f"read for ever; remove one of those lines. Received: flagfile={file!r}",
        flag="flagfile",
        value=file,
    )


def _is_flagfile_directive(arg: str) -> bool:
    """Whether `arg` is absl's `--flagfile`/`-flagfile`, alone or with `=FILE`."""
    return arg.split("=", 1)[0] in ("--flagfile", "-flagfile")

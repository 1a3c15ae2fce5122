"""`--module_list`: module handles read from a text file, one a line."""

from __future__ import annotations

from ... import errors
from ...utils.paths import closed_descriptor, describe_descriptor, home_expanded


def read_module_list(path: str) -> list[str]:
    """Module handles of a file, one a line (a leading ~ expanded, as in --module); empty
    lines and lines starting with # ignored. A UTF-8 byte order mark, which Windows Notepad
    writes at the start, is not part of the first line.

    Raises:
        tfhub.errors.ToolFlagError: the file does not exist or is not UTF-8 text.
    """
    try:
        with open(path, encoding="utf-8-sig") as handle:
            lines = [line.strip() for line in handle]
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        closed = closed_descriptor(path)
        if closed is not None:  # /dev/stdin after `<&-`: "No such file" would mislead.
            reason = f"it names {describe_descriptor(closed)}, which is closed"
        raise errors.ToolFlagError(
            f"Cannot read the module list {path}: {reason}. Pass a UTF-8 text file with one "
            f"module per line, or name the modules with --module. Received: module_list={path!r}",
            flag="module_list",
            value=path,
        ) from err
    return [home_expanded(line) for line in lines if line and not line.startswith("#")]

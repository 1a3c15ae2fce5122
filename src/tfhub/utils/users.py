"""Which user a uid is, for messages about files of other users."""

from __future__ import annotations


def login_name(uid: int) -> str | None:
    """The login name of `uid`; None where the system names none (a uid without a passwd
    entry, as in containers) or has no `pwd` module (Windows)."""
    try:
        import pwd
    except ImportError:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None

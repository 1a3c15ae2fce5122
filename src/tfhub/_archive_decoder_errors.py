"""What is wrong with a compressed stream (gzip, bzip2, xz; a download's deflate or gzip
Content-Encoding) whose decompressor raised an error: the classes of the decompressors' errors
(`decompression_errors`), the words that say it (`corrupt_data_message`: corrupt, where, or
that it cannot be decompressed here and what to do), and the tfhub error that carries them
(`decoding_error`: an ArchiveError, or an UndecodableArchiveError when the error shows no damage).

`_archive_stream`'s decoder and `_http_encoding`'s inflater ask it; only their error paths do,
so nothing here runs while data decodes.
"""

from __future__ import annotations

from . import errors

# The compressions `_archive_kind.sniff` names, in the words of their tools.
COMPRESSIONS = {"gzip": "gzip", "bz2": "bzip2", "xz": "xz"}


def decoding_error(
    kind: str,
    err: BaseException,
    *,
    start: int,
    end: int,
    subject: str | None = None,
    of: str = "the archive",
) -> errors.ArchiveError:
    """The tfhub error for a `kind` decompressor's `err` on bytes `start` to `end` (excluded)
    of `of` (`corrupt_data_message`'s words; the caller raises it `from err`).

    Returns:
        An UndecodableArchiveError if `err` shows no damage (`shows_no_damage`: it says what
        to do instead of "damaged, try again"), else an ArchiveError.
    """
    message = corrupt_data_message(kind, err, start=start, end=end, subject=subject, of=of)
    if shows_no_damage(err):
        return errors.UndecodableArchiveError(message)
    return errors.ArchiveError(message)


def decompression_errors(kind: str) -> tuple[type[BaseException], ...]:
    """What `kind`'s decompressors raise for data they cannot decode: zlib's error and ISA-L's
    for "gzip" (and "deflate"), OSError for "bz2", LZMAError for "xz".

    ISA-L's class is taken from `isal.igzip_lib`, the module that decodes gzip (loaded
    already), not from `isal.isal_zlib`: importing a module while an error is handled fails
    when the process is out of file descriptors (EMFILE).
    """
    if kind == "bz2":
        return (OSError,)
    if kind == "xz":
        import lzma

        return (lzma.LZMAError,)
    import zlib  # Loaded already (gzip's); not `typing`, a file to open at EMFILE.

    try:
        from isal.igzip_lib import IsalError
    except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback.
        return (zlib.error,)
    error_class: type[BaseException] = IsalError  # type: ignore[assignment]  # Stub: an instance.
    return (zlib.error, error_class)


# How the decompression libraries (zlib, ISA-L) say a gzip trailer's CRC-32 or length is wrong.
_CHECKSUM_WORDS = ("checksum", "data check", "length check")
# An xz stream this liblzma cannot read though it may be sound: liblzma's words for an option
# or filter it does not know (a newer xz's), or a format it does not read.
_XZ_UNSUPPORTED = ("invalid or unsupported options", "input format not supported")
_RECOMPRESS = (
    "The archive may be sound: recompress its tar with a standard xz (`xz -6`) or with gzip "
    "(`tfhub pack FOLDER -o model.tar.gz`), or use a Python whose liblzma reads it."
)
_NO_MEMORY = (
    "The archive may be sound: free some memory (or use a machine with more), then try again."
)


def corrupt_data_message(
    kind: str,
    err: BaseException,
    *,
    start: int,
    end: int,
    subject: str | None = None,
    of: str = "the archive",
) -> str:
    """What is wrong with a `kind` stream ("gzip", "bz2", "xz", "deflate") whose decompressor
    raised `err` while decoding its bytes `start` to `end` (excluded) of `of`, in words. For
    data errors, not the library's: a checksum (a gzip trailer's) that does not match, or data
    that is not valid compressed data (the caller adds the archive's name and what to do). For
    an error that does not show the data is corrupt (an xz filter or option this liblzma does
    not support, zlib out of memory): that it cannot be decompressed here, the library's words,
    and what to do. `subject` names the stream (default: "The archive's gzip data"); the caller
    keeps `err` as the cause."""
    subject = subject or f"The archive's {COMPRESSIONS.get(kind, kind)} data"
    found = f"(found while decoding bytes {start}-{max(start, end - 1)} of {of})"
    advice = _not_corrupt_advice(err)
    if advice is not None:
        return f"{subject} cannot be decompressed here ({str(err)[:200]}) {found}. {advice}"
    said = str(err).lower()
    if any(words in said for words in _CHECKSUM_WORDS):
        where = "in its gzip trailer " if kind == "gzip" else ""
        what = f"the checksum {where}does not match the data it holds"
    else:
        what = "it is not valid compressed data"
    return f"{subject} is corrupt: {what} {found}."


def shows_no_damage(err: BaseException) -> bool:
    """Whether a decompressor's `err` does not show the data is corrupt (`corrupt_data_message`
    then says it cannot be decompressed here, and what to do)."""
    return _not_corrupt_advice(err) is not None


def _not_corrupt_advice(err: BaseException) -> str | None:
    """What to do when the decompressor's `err` does not show the data is corrupt: liblzma
    does not support the xz stream's options or format, or zlib ran out of memory (Error -4,
    Z_MEM_ERROR; ISA-L's -4 is a bad gzip header); None for a data error."""
    import lzma
    import zlib

    said = str(err).lower()
    if isinstance(err, lzma.LZMAError) and said.startswith(_XZ_UNSUPPORTED):
        return _RECOMPRESS
    if isinstance(err, zlib.error) and said.startswith("error -4 "):
        return _NO_MEMORY
    return None

"""`summaries_error`: the tool's error for a training that failed writing TensorBoard's
summaries (a full disk, a refused write, an unreachable gs:// bucket), which TensorBoard's
writer meets while `model.fit` runs."""

from __future__ import annotations

from ... import errors
from ...utils.paths import is_url
from ...utils.printable import op_message
from ...utils.refused_writes import failed_write
from .. import atomic_output


def summaries_error(
    err: Exception, summaries_dir: str | None
) -> errors.OutputNotWritableError | None:
    """The tool's error for a failure of training that is a refused write of the summaries
    (TensorBoard writes them while training runs: a full disk ends the run), or any error of
    TensorFlow's naming a URL (gs://) summaries folder (an unreachable or missing bucket);
    None otherwise."""
    if not summaries_dir:
        return None
    if is_url(summaries_dir):
        return _remote_summaries_error(err, summaries_dir)
    failed = failed_write(err, summaries_dir)
    if failed is None:
        return None
    return atomic_output.not_written(failed, summaries_dir, what="summaries dir")


def _remote_summaries_error(
    err: Exception, summaries_dir: str
) -> errors.OutputNotWritableError | None:
    """The error for TensorFlow's error `err` (an OpError) if its message names the URL
    `summaries_dir` (TensorBoard's writer reaches gs:// itself); None otherwise."""
    message = getattr(err, "message", None)
    if getattr(err, "error_code", None) is None or not isinstance(message, str):
        return None
    if summaries_dir.rstrip("/") + "/" not in message:
        return None
    reason = op_message(err)
    return atomic_output.not_writable(
        summaries_dir,
        f"TensorFlow's writer failed there ({type(err).__name__}: {reason})",
        what="summaries dir",
        todo="Check that the bucket exists and that this machine can reach it and may write "
        "there, or give a local folder.",
    )

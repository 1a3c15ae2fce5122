"""The conversion of make_image_classifier's SavedModel to a TFLite flatbuffer (builtin ops
only), a refusal being one error naming the ops TensorFlow Lite lacks."""

from __future__ import annotations

import re
import sys

from ... import constants, errors
from ...utils import native_stderr
from ..image_modules import cut_with_ellipsis


def tflite_bytes(saved_model_dir: str, *, output_file: str = "") -> bytes:
    """Converts a SavedModel to a TFLite flatbuffer (builtin ops only, no quantization).

    What the converter prints (dozens of MLIR lines on stderr when it refuses a model) is shown
    only with TFHUB_DEBUG, or when it fails otherwise; a refusal is one error naming the ops
    TensorFlow Lite lacks.

    Args:
        saved_model_dir: the SavedModel to convert.
        output_file: the .tflite file it is for, named in an error.

    Raises:
        tfhub.errors.TFLiteConversionError: the converter refused the model (TensorFlow's
            ConverterError is its cause).
    """
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir)
    failure: Exception | None = None
    with native_stderr.captured() as diagnostics:
        try:
            flatbuffer = bytes(converter.convert())
        except Exception as err:
            failure = err
    # tf.lite's ConverterError (not a public name): the model has ops TFLite cannot express.
    refused = type(failure).__name__ == "ConverterError"
    shown = constants.is_debug() or (failure is not None and not refused)
    if shown and sys.stderr is not None:  # (None: stderr closed.) Another failure: it may tell why.
        sys.stderr.write(diagnostics.text)
    if failure is None:
        return flatbuffer
    if not refused:
        raise failure
    raise _conversion_error(str(failure), output_file) from failure


# The converter's list of the ops it has no builtin for, e.g. "Custom ops: BesselI0e, Lgamma",
# or "TF Select ops: AsString, StringToNumber" (ops TensorFlow's own kernels could run).
_MISSING_OPS = re.compile(r"^(?:Custom|Flex|TF Select) ops: (.+)$", re.MULTILINE)


def _conversion_error(message: str, output_file: str) -> errors.TFLiteConversionError:
    """The error for a refused conversion: which ops, what was written, what to do."""
    ops = sorted({op.strip() for line in _MISSING_OPS.findall(message) for op in line.split(",")})
    if ops:
        why = f"TensorFlow Lite has no builtin op for {', '.join(ops)}"
    else:
        lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
        # Its first line (it may run on for a thousand characters of MLIR locations), cut.
        reason = cut_with_ellipsis(lines[0]) if lines else "no reason given"
        why = f"the converter failed ({reason})"
    return errors.TFLiteConversionError(
        f"Cannot convert the trained model to a .tflite file: {why}. The SavedModel and labels "
        "file, if asked for, are written. Leave out --tflite_output_file, or convert the "
        "SavedModel with TensorFlow's select ops (converter.target_spec.supported_ops = "
        "[tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]; the app then needs the "
        f"Flex delegate). Received: tflite_output_file={output_file!r}",
        ops=ops,
        path=output_file,
    )

"""Starter documentation files, filled in from a model's signature summary where possible.

`tfhub publish` writes one when no doc is given (and `tfhub mirror` when the hub has none): the
required metadata of a Module doc (asset-path, task, fine-tunable, format) and a body with a
usage snippet and the signatures, ready to be edited. A publisher's first model also gets a
starter publisher doc.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors
from .doc_handles import DocHandle
from .docs_format import doc_path
from .keras_call import TF1_HUB_FORMAT, keras_call, why_a_signature
from .signatures import ComponentInfo, SignatureSummary, TensorInfo

# Where the hub is, in starter docs; the server writes its own URL there on the pages.
HUB_URL_PLACEHOLDER = "https://HUB_HOST"


@dataclass(frozen=True)
class StarterInfo:
    """What the caller knows beyond the model: description, task, license (None: infer/omit)."""

    description: str | None = None
    task: str | None = None
    license: str | None = None
    source: str | None = None  # Where the model was mirrored from, quoted in the body.
    # The publisher doc for a publisher's first model (mirror: the source hub's; None: a
    # starter one); one with problems is replaced by a starter one (publish_doc).
    publisher_doc: str | None = None


def _inputs(summary: SignatureSummary) -> list[TensorInfo]:
    """The inputs of `__call__` (TF2) or else of the default signature."""
    if summary.call is not None and summary.call.input_signatures:
        return list(summary.call.input_signatures[0])
    for meta in summary.meta_graphs:
        for signature in meta.signatures:
            if signature.name in ("default", "serving_default"):
                return list(signature.inputs)
    return []


def infer_task(summary: SignatureSummary) -> str | None:
    """A tfhub.dev task guessed from the inputs: strings -> text-embedding, images -> image-..."""
    inputs = _inputs(summary)
    if len(inputs) != 1:
        return None
    tensor = inputs[0]
    if tensor.type is not None:  # A SparseTensor or RaggedTensor: no task of tfhub.dev's guessed.
        return None
    if tensor.dtype == "string":
        return "text-embedding"
    if tensor.dtype.startswith(("float", "uint8")) and tensor.shape is not None:
        if len(tensor.shape) == 4 and tensor.shape[-1] in (1, 3, None):
            return "image-feature-vector"
    return None


def _shape_text(tensor: TensorInfo | ComponentInfo) -> str:
    if tensor.shape is None:
        return "unknown rank"
    return "[" + ", ".join("?" if dim is None else str(dim) for dim in tensor.shape) + "]"


SIGNATURES_HEADING = "## Signatures"
_TABLE_HEADER = ["| Signature | Input / output | Name | Dtype | Shape |", "|---|---|---|---|---|"]


def starter_table_span(lines: list[str]) -> tuple[int, int] | None:
    """Where a doc's lines hold a table in the starter's shape, `[start, end)`: the table of
    the first `## Signatures` heading, after one blank line, whose first two lines are the
    starter's header; None if there is none. A line's trailing "\r" (a doc with CRLF line
    endings split on "\n") is not part of its text."""
    lines = [line.removesuffix("\r") for line in lines]
    if SIGNATURES_HEADING not in lines:
        return None
    start = lines.index(SIGNATURES_HEADING) + 2
    if lines[start - 1 : start] != [""] or lines[start : start + 2] != _TABLE_HEADER:
        return None
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return start, end


def signature_table(summary: SignatureSummary) -> list[str]:
    """The lines of the starter doc's Markdown table of the model's signatures."""
    lines = list(_TABLE_HEADER)
    for meta in summary.meta_graphs:
        for signature in meta.signatures:
            for kind, tensors in (("input", signature.inputs), ("output", signature.outputs)):
                for tensor in tensors:
                    dtype = f"{tensor.type} {tensor.dtype}" if tensor.type else tensor.dtype
                    lines.append(
                        f"| {signature.name} | {kind} | {tensor.name} | {dtype} "
                        f"| {_shape_text(tensor)} |"
                    )
                    lines.extend(  # A TF2 signature takes a composite as these dense tensors.
                        f"| {signature.name} | passed as | {part.key} ({part.part}) "
                        f"| {part.dtype} | {_shape_text(part)} |"
                        for part in tensor.components
                    )
    return lines


def fine_tunable(summary: SignatureSummary, *, trainable_variables: int | None = None) -> bool:
    """The starter doc's `fine-tunable`: whether a user can train the model's weights further.

    tfhub.dev's docs define it as "whether the model can be fine-tuned by the user", and
    upstream's Reusable SavedModel API (docs/reusable_saved_models.md) fine-tunes through the
    restored `__call__` and its `trainable_variables` (signatures "are not expressive enough to
    support fine-tuning"; upstream's hub.KerasLayer refuses `trainable=True` with `signature=`).
    So a TF2 (or TF1) SavedModel is fine-tunable only with a `__call__` and a trainable
    variable; a TF1 Hub module (`hub.Module(..., trainable=True)`) with a variable.

    Args:
        summary: the model's signature summary.
        trainable_variables: how many variables its `__call__` trains, if the caller knows
            (a loaded model tells); None counts all its variables.
    """
    if summary.format == TF1_HUB_FORMAT:
        return summary.variable_count > 0
    if summary.call is None:
        return False
    trainable = summary.variable_count if trainable_variables is None else trainable_variables
    return trainable > 0


def _usage_lines(handle: DocHandle, summary: SignatureSummary) -> list[str]:
    """The usage snippet: `hub.load`, and for a model that hub.KerasLayer does not call by its
    handle alone (a SavedModel without `__call__`; a TF1 Hub module without a `default`
    output of its `default` signature) the hub.KerasLayer call that `keras_call.keras_call`
    chooses, which the model page shows too."""
    url = f"{HUB_URL_PLACEHOLDER}/{handle}"
    lines = ["```python", "import tfhub as hub", "", f'model = hub.load("{url}")']
    call = keras_call(summary)
    if call is None:
        return [
            *lines,
            "# It has no __call__ and no signatures: hub.KerasLayer cannot use it.",
            "```",
        ]
    if call.signature is None:
        return [*lines, "```"]
    why = why_a_signature(call, tf1_hub=summary.format == TF1_HUB_FORMAT)
    why = why[0].upper() + why[1:]
    if call.tags is not None:  # hub.load(handle) loads that empty tag set too.
        lines.append(f"# {why}; call a signature of another tag set:")
    else:
        name = repr(call.signature)  # As `keywords` writes it.
        lines.append(f"# {why}: call a signature, model.signatures[{name}], or:")
    lines += ["layer = hub.KerasLayer(", f'    "{url}",']
    return [*lines, *(f"    {word}," for word in call.keywords()), ")", "```"]


def starter_module_doc(
    handle: DocHandle,
    summary: SignatureSummary,
    info: StarterInfo,
    *,
    asset_path: str,
    trainable_variables: int | None = None,
) -> str:
    """The text of a starter Module doc.

    Args:
        handle: the model's handle.
        summary: its signature summary (gives format, fine-tunable, inputs).
        info: description, task and license from the caller.
        asset_path: the asset-path value (the archive's name beside the doc).
        trainable_variables: how many variables the model's `__call__` trains, if known
            (`fine_tunable`).

    Returns:
        The Markdown text; it passes the validator.

    Raises:
        DocValidationError: if no task is given and none can be inferred from the inputs.
    """
    task = _task(handle, summary, info)
    # One line: a description of several lines (or with a heading in it) broke the doc.
    description = " ".join((info.description or "").split())
    description = description or f"{handle.model} (version {handle.version})."
    task = _one_line_value("task", task)
    lines = [f"# Module {handle}", description, "", f"<!-- asset-path: {asset_path} -->"]
    lines += [f"<!-- task: {task} -->"]
    tunable = fine_tunable(summary, trainable_variables=trainable_variables)
    lines += [f"<!-- fine-tunable: {'true' if tunable else 'false'} -->"]
    lines += [f"<!-- format: {summary.doc_format} -->"]
    if info.license:
        lines.append(f"<!-- license: {_one_line_value('license', info.license)} -->")
    lines += ["", "## Overview", ""]
    if info.source:
        lines += [f"Mirrored from `{info.source}`.", ""]
    lines += ["Describe what the model does, its training data and its license here.", ""]
    lines += ["## Usage", "", *_usage_lines(handle, summary), ""]
    lines += [SIGNATURES_HEADING, "", *signature_table(summary), ""]
    return "\n".join(lines)


def _task(handle: DocHandle, summary: SignatureSummary, info: StarterInfo) -> str:
    """The starter doc's task: the one given, else the one the model's inputs tell.

    Raises:
        DocValidationError: if no task is given and none can be inferred from the inputs.
    """
    task = info.task or infer_task(summary)
    if task is None:
        doc = doc_path("ROOT", handle).as_posix()
        todo = (
            "pass --task (e.g. --task text-classification; tfhub.dev tasks start with image-, "
            f"text-, audio- or video-), or give the model a doc, {doc} (`tfhub publish --doc "
            "FILE` puts FILE there; `tfhub mirror` keeps a doc already there)"
        )
        raise errors.DocValidationError(
            f"Cannot tell the task of {handle} from its inputs for the starter doc: {todo}.",
            problems=[
                f"{handle}: 'task' metadata cannot be inferred from the model's inputs: {todo}"
            ],
        )
    return task


def _one_line_value(key: str, value: str) -> str:
    """`value` stripped, as it can stand in `<!-- key: value -->`.

    Raises:
        DocValidationError: for a value of several lines, or one holding `-->` or `<!--`,
            which would end the metadata line early or start another one.
    """
    text = value.strip()
    if text and "\n" not in text and "\r" not in text and "-->" not in text and "<!--" not in text:
        return text
    reason = "is empty" if not text else "must be one line, without '<!--' or '-->'"
    message = (
        f"--{key} {reason}: the starter doc writes it as '<!-- {key}: VALUE -->'. "
        f"Received: {key}={value!r}"
    )
    raise errors.DocValidationError(message, problems=[message])


def starter_publisher_doc(publisher: str) -> str:
    """The text of a starter Publisher doc (`<publisher>/<publisher>.md`)."""
    return f"# Publisher {publisher}\nModels published by {publisher}.\n"

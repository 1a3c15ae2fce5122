"""Errors of the tools (tfhub.tools)."""

from __future__ import annotations

from ._base import TFHubError

# --- Tools (tfhub.tools) --------------------------------------------------------------------------


class ToolError(TFHubError):
    """Base of the tools' errors (never raised itself): keyword data become attributes and
    survive pickling."""

    def __init__(self, message: str, **data: object) -> None:
        super().__init__(message)
        self.__dict__.update(data)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self.args[0]) if self.args else "",), dict(self.__dict__))


class ImageFolderError(ToolError, ValueError):
    """An image folder that cannot be trained on (`.path`, `.problem`): missing, fewer than 2
    class sub-folders, an empty class, no readable image."""


class NotAnImageModuleError(ToolError, ValueError):
    """A module that is not an image feature-vector module (`.handle`, `.problem`): input not
    float images [batch, height, width, 3], or output not a [batch, dim] vector."""


class ModuleUnavailableError(ToolError, FileNotFoundError):
    """A tool's module handle that leads to no usable model (`.handle`, `.flag`, `.problem`,
    `.damaged`): the path does not exist, the folder holds no saved_model.pb (not a SavedModel
    or TF1 Hub module) or lacks a file it needs, or (`.damaged` True) its files are there but
    cannot be read. A FileNotFoundError (an OSError), as TensorFlow's loader raised."""


class ImageSizeError(ToolError, ValueError):
    """No usable image size (`.handle`, `.module_size`, `.requested`): a variable-size module
    without --image_size, or a requested size the module does not take; for a module that
    fails at the requested size but runs at another, `.works_at` (that size) and `.problem`
    (the module's own reason)."""


class OutputNotWritableError(ToolError, OSError):
    """An output path (`.path`, `.what`) that cannot be written; checked before training."""


class OutputTimeoutError(OutputNotWritableError, TimeoutError):
    """A remote output folder (gs://, `.path`, `.what`) whose check, removal or making gave no
    answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT; also a TimeoutError (a
    write's, not a download's: the `tfhub` command exits 1, not 4)."""


class TFLiteConversionError(ToolError, ValueError):
    """The trained model cannot become a .tflite file (`.ops`: the ops TensorFlow Lite has no
    builtin for, if the converter named them; `.path`: the .tflite file)."""


class AccuracyError(ToolError, AssertionError):
    """Validation accuracy below --assert_accuracy_at_least (`.accuracy`, `.expected`); the
    message starts with "ACCURACY FAILED", as upstream's AssertionError."""


class TrainingDivergedError(ToolError, FloatingPointError):
    """Training stopped at the end of an epoch whose loss or validation loss is NaN or
    infinite, or after which the model's weights are (`.loss`, NaN then; `.epoch` from 1,
    `.learning_rate`, `.handle`): it diverged, or the module returns NaN or infinity for some
    images. A FloatingPointError (an ArithmeticError)."""


class UnknownStrategyError(ToolError, ValueError):
    """A distribution strategy name that is not known (`.name`, `.available`)."""


class UnsupportedStrategyError(ToolError, ValueError):
    """A distribution strategy the Keras flavour in use cannot train with (`.strategy`,
    `.keras`): Keras 3 and a strategy over several workers (`.workers`), or a TF1 Hub module
    (`.handle`), whose variables TensorFlow loads outside any strategy, fine-tuned under one (or
    held by a tf_keras model under one)."""


class ToolFlagError(ToolError, ValueError):
    """A tool's flag that is missing or has an unusable value (`.flag`, `.value`), found before
    any work: e.g. --num_trees 0, --dataset "#3", no --module."""


# --- Tools: make_nearest_neighbour_index and module_search ---------------------------------------


class NotATextEmbeddingError(ToolError, ValueError):
    """A module that is not a text embedding (`.handle`, `.problem`): it does not map a batch of
    strings [batch] to float vectors [batch, dim]."""


class ProjectedDimError(ToolError, ValueError):
    """--projected_dim not below the embedding's size (`.projected_dim`, `.embedding_dim`)."""


class EmbeddingFilesError(ToolError, ValueError):
    """Input or embedding files that cannot be used (`.path`, `.problem`, and `.record`, the
    record's number in `.path` from 1, when one record is at fault): no file matches the
    pattern, no .tfrecords in the folder, records without `item`/`embedding`, an item that is
    not UTF-8, an empty embedding, mixed sizes, NaN or infinite values."""


class IndexFilesError(ToolError, ValueError):
    """An index folder that cannot be read (`.path`, `.problem`): missing or damaged files."""


class UnsafeFileError(ToolError, ValueError):
    """A Python pickle (upstream's format) read without --allow_pickle (`.path`)."""


class IndexDimensionError(ToolError, ValueError):
    """Query vectors whose size differs from the index's (`.index_dir`, `.index_dim`,
    `.query_dim`), e.g. another module or projection matrix than the index was built with."""


class ModuleMismatchError(ToolError, ValueError):
    """A query's module that is not the one the index's embeddings were made with, as the
    folder's record says (`.module_url`, the query's; `.recorded`, the record's; `.path`, the
    record; `.problem`, how they differ): the distances would mean nothing."""


class CorruptImageError(ToolError, ValueError):
    """Image files that cannot be decoded (`.paths`)."""


class DatasetUnavailableError(ToolError, ConnectionError):
    """A dataset name that is neither a local image folder nor available offline (`.dataset`)."""


class UnknownMeasureError(ToolError, NotImplementedError):
    """A distance measure module_search's utils do not compute (`.measure`, `.available`);
    a NotImplementedError, as upstream's."""


class PipelineError(ToolError, RuntimeError):
    """The Beam pipeline of `generate` failed on its runner (`.runner`, `.cause`: the last
    line of the runner's report, usually the worker's exception)."""

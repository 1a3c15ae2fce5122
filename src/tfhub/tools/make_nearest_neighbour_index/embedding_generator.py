"""`generate`: an Apache Beam pipeline from text lines to TFRecords of their embeddings.

Read lines (`beam.io.ReadFromText`) -> their items (split at a lone CR too, blank ones dropped,
a leading byte-order mark removed) -> batch them (`BatchElements`) -> embed each batch with the
module, loaded once per worker (`DoFn.setup`) -> optional random projection -> serialize
`tf.train.Example`s with `item` (the item, UTF-8 bytes) and `embedding` (floats) -> WriteToTFRecord
`<embed_output_dir>/emb-*.tfrecords`, as upstream's tool did. Beam's in-process FnApiRunner
(what the DirectRunner runs offline) unless the Beam options say otherwise (`--runner=FlinkRunner`,
`DataflowRunner`, `PrismRunner`, ...).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ... import errors
from . import beam_options, files, input_files, module_record
from .beam_logs import BEAM_FAILURE_LOGGERS as _BEAM_FAILURE_LOGGERS  # noqa: F401 (tests)
from .beam_logs import import_beam, quiet_failed_steps
from .beam_output import beam_folder, remove_beam_leftovers
from .generate_config import BATCH_SIZE as BATCH_SIZE
from .generate_config import GenerateConfig, check_seed
from .local_runner import DEFAULT_RUNNER as DEFAULT_RUNNER
from .local_runner import LOCAL_RUNNER, make_local_runner
from .local_runner import pipeline_options as pipeline_options
from .pipeline_errors import interrupted, pipeline_error, step_error
from .text_embedding import TextEmbedder, project

logger = logging.getLogger(__name__)


beam: Any = import_beam()


def random_projection_matrix(
    embedding_dim: int, projected_dim: int | None, *, seed: int | None = None
) -> np.ndarray | None:
    """A Gaussian random projection [embedding_dim, projected_dim] (entries N(0, 1/projected_dim)).

    Returns None without `projected_dim` or when it equals the embedding size.

    Raises:
        tfhub.errors.ProjectedDimError: if projected_dim is not positive or above embedding_dim.
        tfhub.errors.ArgumentTypeError / ArgumentError: `seed` is not None or an int >= 0
            (`generate_config.check_seed`).
    """
    check_seed(seed)
    if not projected_dim or projected_dim == embedding_dim:
        return None
    if projected_dim < 1 or projected_dim > embedding_dim:
        raise errors.ProjectedDimError(
            f"--projected_dim must be between 1 and the module's embedding size {embedding_dim} "
            f"(a projection cannot add dimensions). Received: projected_dim={projected_dim}",
            projected_dim=projected_dim,
            embedding_dim=embedding_dim,
        )
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0 / np.sqrt(projected_dim), (embedding_dim, projected_dim))


def to_examples(items: Sequence[str], vectors: np.ndarray) -> list[bytes]:
    """Serializes (item, embedding) pairs as upstream's `tf.train.Example`s."""
    from tensorflow.core.example import example_pb2

    examples = []
    for item, vector in zip(items, vectors, strict=True):
        example = example_pb2.Example()
        example.features.feature["item"].bytes_list.value.append(item.encode("utf-8"))
        example.features.feature["embedding"].float_list.value.extend(vector.tolist())
        examples.append(example.SerializeToString(deterministic=True))
    return examples


def generate_random_projection_weights(
    original_dim: int,
    projected_dim: int | None,
    output_dir: str,
    *,
    upstream_format: bool = False,
    seed: int | None = None,
) -> np.ndarray | None:
    """Upstream's helper: a random projection matrix [original_dim, projected_dim], written to
    `output_dir` (as `.npy`; also as upstream's pickle with `upstream_format`).

    Returns:
        The matrix, or None (nothing written) without `projected_dim` or when it equals
        `original_dim`.

    Raises:
        tfhub.errors.ProjectedDimError: projected_dim is not positive or above original_dim
            (upstream then skipped the projection without a word).
    """
    matrix = random_projection_matrix(original_dim, projected_dim, seed=seed)
    if matrix is not None:
        files.write_matrix(output_dir, matrix, upstream_pickle=upstream_format)
    return matrix


_embedders: dict[str, TextEmbedder] = {}


def generate_embeddings(
    items: Sequence[str], module_url: str, random_projection_matrix: np.ndarray | None = None
) -> tuple[Sequence[str], np.ndarray]:
    """Upstream's helper: embeds `items` with the module (loaded once per process and handle),
    projected by the matrix if given.

    Returns:
        (items, their float32 embeddings [len(items), dim]).

    Raises:
        tfhub.errors.NotATextEmbeddingError: the module does not embed text.
    """
    embedder = _embedders.get(module_url)
    if embedder is None:
        embedder = _embedders[module_url] = TextEmbedder(module_url)
    return items, project(embedder(items), random_projection_matrix)


def to_tf_example(entries: tuple[Sequence[str], np.ndarray]) -> list[bytes]:
    """Upstream's helper: `(items, embeddings)` as serialized `tf.train.Example`s."""
    items, vectors = entries
    return to_examples(items, np.asarray(vectors))


class EmbedDoFn(beam.DoFn):  # type: ignore[misc]
    """Embeds batches of lines; the module is loaded once per DoFn instance (worker)."""

    def __init__(self, module_url: str, matrix: np.ndarray | None) -> None:
        super().__init__()
        self._module_url = module_url
        self._matrix = matrix
        self._embedder: TextEmbedder | None = None

    def setup(self) -> None:
        self._embedder = TextEmbedder(self._module_url)

    def process(self, batch: list[str]) -> Iterator[bytes]:
        assert self._embedder is not None, "setup() not called"
        vectors = project(self._embedder(batch), self._matrix)
        yield from to_examples(batch, vectors)


def build_pipeline(pipeline: Any, config: GenerateConfig, matrix: Any, output_dir: str) -> None:
    """Adds the generate transforms to `pipeline`, writing into `output_dir`."""
    _ = (
        pipeline
        | "Read lines" >> beam.io.ReadFromText(config.data_file_pattern)
        | "Items" >> beam.FlatMap(input_files.items_of_line)
        | "Batch"
        >> beam.transforms.util.BatchElements(
            min_batch_size=config.batch_size, max_batch_size=config.batch_size
        )
        | "Embed" >> beam.ParDo(EmbedDoFn(config.module_url, matrix))
        | "Write TFRecords"
        >> beam.io.WriteToTFRecord(
            files.join(output_dir, files.EMBED_FILE_PREFIX),
            file_name_suffix=files.EMBED_FILE_SUFFIX,
        )
    )


def run(config: GenerateConfig | Any, beam_args: Sequence[str] = ()) -> int:
    """Runs the pipeline; a local output folder appears only when it succeeded, with the
    record of the module and projection that made the embeddings (`module_record`). A remote one
    (gs://...) keeps its old files until then (a new one, its empty folder marker): Beam writes a
    staging sub-folder of it (`files.output_folder`), whose files replace the old ones once the
    pipeline succeeded.

    Args:
        config: what to embed, with which module, and where to write; or, as upstream's
            `run(args)` took, an object with the flags as attributes (absl's `FLAGS`).
        beam_args: Beam pipeline options (e.g. ["--runner=FlinkRunner", ...]).

    Returns:
        The embedding size written (after projection).

    Raises:
        tfhub.errors.EmbeddingFilesError: no input file matches.
        tfhub.errors.NotATextEmbeddingError: the module does not embed text.
        tfhub.errors.ProjectedDimError: --projected_dim above the embedding size.
        tfhub.errors.OutputNotWritableError: the output folder cannot be written.
        tfhub.errors.PipelineError: the pipeline failed on its runner.
        tfhub.errors.ToolFlagError: an argument of `beam_args` is no Beam pipeline option.
    """
    if not isinstance(config, GenerateConfig):
        config = GenerateConfig.from_flags(config)
    beam_options.check_pipeline_args(
        beam_args, tool_flags=[field.name for field in dataclasses.fields(GenerateConfig)]
    )
    input_files.check(config.data_file_pattern)
    files.check_output_folder(config.embed_output_dir, flag="embed_output_dir")
    embedder = TextEmbedder(config.module_url)
    embedding_dim = embedder.dim
    matrix = random_projection_matrix(embedding_dim, config.projected_dim, seed=config.seed)
    record = module_record.ModuleRecord(
        module_record.ModuleIdentity.of(config.module_url, embedder.folder),
        embedding_dim,
        None if matrix is None else int(matrix.shape[1]),
    )
    options = pipeline_options(beam_args)
    with files.output_folder(config.embed_output_dir, flag="embed_output_dir") as output_dir:
        if matrix is not None:
            files.write_matrix(output_dir, matrix, upstream_pickle=config.upstream_format)
            logger.info("Random projection %s -> %s written.", embedding_dim, matrix.shape[1])
        module_record.write(output_dir, record, flag="embed_output_dir")
        with beam_folder(output_dir, config.embed_output_dir) as beam_dir:
            _run_pipeline(options, config, matrix, beam_dir)
        remove_beam_leftovers(output_dir)
    return embedding_dim if matrix is None else int(matrix.shape[1])


def _run_pipeline(options: Any, config: GenerateConfig, matrix: Any, output_dir: str) -> None:
    """Runs the pipeline to completion; a failure on the runner becomes one PipelineError.

    Raises:
        tfhub.errors.PipelineError: the pipeline failed on its runner.
        KeyboardInterrupt: Ctrl-C, also when a Beam worker received it.

    Beam's DoFn runner logs a failed step's traceback before the runner raises (and relays
    the record of a worker process's failed step): not shown (the error says the cause) unless
    TFHUB_DEBUG is set, and never for a Ctrl-C. A worker process also prints the traceback to
    its own stderr, which this process cannot quiet.
    """
    runner = str(options.get_all_options()["runner"])
    local = None  # Beam makes the runner that --runner names.
    if runner == LOCAL_RUNNER:
        local = make_local_runner(options)
        runner = f"{DEFAULT_RUNNER} ({LOCAL_RUNNER})"
    logger.info("Starting the Beam pipeline (%s).", runner)
    # The local runner's worker processes are beam_worker's: they print their own records.
    with quiet_failed_steps(drop_relayed=local is not None):
        try:
            with beam.Pipeline(runner=local, options=options) as pipeline:
                build_pipeline(pipeline, config, matrix, output_dir)
        except errors.TFHubError as err:
            raise step_error(err) from None
        except Exception as err:
            if interrupted(err):
                raise KeyboardInterrupt from err
            raise pipeline_error(err, runner, config) from err

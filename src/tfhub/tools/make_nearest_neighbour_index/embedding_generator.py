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

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ... import constants, errors
from ...utils.lazy import import_optional
from .. import atomic_output
from . import beam_options, files, input_files
from .flag_values import required
from .text_embedding import TextEmbedder, project

logger = logging.getLogger(__name__)


class _NoBigQueryClientWarning(logging.Filter):
    """Drops the warning `import apache_beam` logs on the root logger when Google's API client
    (apitools, Beam's `gcp` extra) is not installed: it is about BigQuery, which `generate`
    does not use, and it reads like a failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("apitools not found")


def _import_beam() -> Any:
    """Imports apache_beam without its warning about the BigQuery client.

    Raises:
        tfhub.errors.MissingDependencyError: if Apache Beam is not installed.
    """
    root, quiet = logging.getLogger(), _NoBigQueryClientWarning()
    root.addFilter(quiet)
    try:
        return import_optional("apache_beam", purpose="make_nearest_neighbour_index generate")
    finally:
        root.removeFilter(quiet)


beam: Any = _import_beam()

BATCH_SIZE = 1028  # Upstream's largest batch; every batch has this size (the last may be smaller).
DEFAULT_RUNNER = "DirectRunner"
# What runs a DirectRunner pipeline here. Beam's DirectRunner first tries Prism: it downloads
# a Go binary from GitHub (urlopen without a timeout, cached in ~/.apache_beam) and leaves an
# empty /tmp/beam-temp* folder per run; offline it falls back to the FnApiRunner, the in-process
# runner every test and benchmark of the tool ran on. The tool runs that one directly.
LOCAL_RUNNER = "FnApiRunner"


@dataclasses.dataclass(frozen=True)
class GenerateConfig:
    """What `generate` does (upstream's flags).

    Attributes:
        data_file_pattern: text files, one item per line (a glob; local or remote).
        module_url: the text-embedding module's handle.
        embed_output_dir: where the TFRecords (and projection matrix) go; replaced.
        projected_dim: if set and below the embedding size, project randomly to it.
        batch_size: the largest batch the module embeds at once.
        upstream_format: also write the matrix as upstream's pickle.
        seed: the seed of the random projection (None: a fresh one).
    """

    data_file_pattern: str
    module_url: str
    embed_output_dir: str
    projected_dim: int | None = None
    batch_size: int = BATCH_SIZE
    upstream_format: bool = False
    seed: int | None = None

    @classmethod
    def from_flags(cls, flags: Any) -> GenerateConfig:
        """The config of an object with upstream's flags as attributes (absl's `FLAGS`, an
        `argparse.Namespace`), as upstream's `run(args)` read them; the optional flags it lacks
        or leaves None take their defaults.

        Raises:
            tfhub.errors.ToolFlagError: data_file_pattern, module_url or embed_output_dir is
                absent or empty.
        """
        batch_size = getattr(flags, "batch_size", None)
        return cls(
            data_file_pattern=required(flags, "data_file_pattern", operation="generate"),
            module_url=required(flags, "module_url", operation="generate"),
            embed_output_dir=required(flags, "embed_output_dir", operation="generate"),
            projected_dim=getattr(flags, "projected_dim", None),
            batch_size=BATCH_SIZE if batch_size is None else batch_size,
            upstream_format=bool(getattr(flags, "upstream_format", False)),
            seed=getattr(flags, "seed", None),
        )


def random_projection_matrix(
    embedding_dim: int, projected_dim: int | None, *, seed: int | None = None
) -> np.ndarray | None:
    """A Gaussian random projection [embedding_dim, projected_dim] (entries N(0, 1/projected_dim)).

    Returns None without `projected_dim` or when it equals the embedding size.

    Raises:
        tfhub.errors.ProjectedDimError: if projected_dim is not positive or above embedding_dim.
    """
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


def _is_direct_runner(runner: object) -> bool:
    """Whether `runner` (a --runner value, None if not given) means Beam's DirectRunner."""
    if runner is None:
        return True
    name = runner.rsplit(".", 1)[-1].lower() if isinstance(runner, str) else ""
    return name in ("direct", "directrunner")


def pipeline_options(beam_args: Sequence[str]) -> Any:
    """Beam PipelineOptions from command-line style arguments: the FnApiRunner for the
    DirectRunner (`LOCAL_RUNNER`: nothing downloaded), and workers that log warnings and errors
    only (not ~20 INFO lines each about their gRPC channels), unless the arguments say
    otherwise."""
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    options = PipelineOptions(list(beam_args))
    if options.get_all_options().get("default_sdk_harness_log_level") is None:
        options = PipelineOptions([*beam_args, "--default_sdk_harness_log_level=WARNING"])
    standard = options.view_as(StandardOptions)
    if _is_direct_runner(standard.runner):
        standard.runner = LOCAL_RUNNER
    return options


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
    """Runs the pipeline; the output folder appears only when it succeeded.

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
    embedding_dim = TextEmbedder(config.module_url).dim
    matrix = random_projection_matrix(embedding_dim, config.projected_dim, seed=config.seed)
    options = pipeline_options(beam_args)
    with files.output_folder(config.embed_output_dir, flag="embed_output_dir") as output_dir:
        if matrix is not None:
            files.write_matrix(output_dir, matrix, upstream_pickle=config.upstream_format)
            logger.info("Random projection %s -> %s written.", embedding_dim, matrix.shape[1])
        with _beam_folder(output_dir, config.embed_output_dir) as beam_dir:
            _run_pipeline(options, config, matrix, beam_dir)
        _remove_beam_leftovers(output_dir)
    return embedding_dim if matrix is None else int(matrix.shape[1])


_GLOB_CHARACTERS = re.compile(r"[*?[]")


@contextlib.contextmanager
def _beam_folder(output_dir: str, embed_output_dir: str) -> Iterator[str]:
    """The path of `output_dir` to give Beam: itself, or, if it holds glob characters (`emb[1]`),
    a link to it from the temporary folder (removed afterwards). Beam finds the files it wrote
    with a glob of the folder's path and has no way to escape one: `[1]` then matched nothing
    and the write failed ("src and dst files do not exist").

    Args:
        output_dir: the folder to write into (local or remote).
        embed_output_dir: the folder as the user named it (for the error).

    Raises:
        tfhub.errors.OutputNotWritableError: the link cannot be made (a local folder with glob
            characters on a system without symbolic links).
    """
    if files.is_remote(output_dir) or not _GLOB_CHARACTERS.search(os.path.abspath(output_dir)):
        yield output_dir
        return
    link_dir = tempfile.mkdtemp(prefix="tfhub-emb-")
    try:
        link = os.path.join(link_dir, "out")
        failure = ""
        if _GLOB_CHARACTERS.search(link):
            failure = f"the temporary folder {link_dir} has glob characters too"
        else:
            try:
                os.symlink(os.path.abspath(output_dir), link, target_is_directory=True)
            except OSError as err:
                failure = str(err)
        if failure:
            raise atomic_output.not_writable(
                embed_output_dir,
                f"Beam cannot write to a path with glob characters (*?[) and the link around "
                f"it failed ({failure})",
                what=files.OUTPUT_FOLDERS["embed_output_dir"],
                flag="embed_output_dir",
                todo="Choose a folder without them.",
            )
        yield link
    finally:
        shutil.rmtree(link_dir, ignore_errors=True)


class _NoRelayedWorkerRecords(logging.Filter):
    """Drops the runner's relay of its worker processes' records ("Worker: severity: WARN
    timestamp {...} message: ..."): a `beam_worker` process prints each of its records on its
    own stderr, so every relayed one was a line printed twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(_RELAYED)


# How the runner's relay of a worker process's record begins (local_job_service).
_RELAYED = "Worker: "


class _QuietFailedSteps(logging.Filter):
    """Drops the records in which Beam logs a failed step with its traceback (its DoFn runner,
    or a worker process's record relayed by the runner): the pipeline's failure is then
    reported in one line (`PipelineError`, or the Ctrl-C). With TFHUB_DEBUG set, a failure's
    traceback stays (a Ctrl-C's never does)."""

    def filter(self, record: logging.LogRecord) -> bool:
        kind = record.exc_info[0] if record.exc_info else None
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
        message = record.getMessage()
        if interrupted or message.startswith("KeyboardInterrupt"):
            return False
        failure = record.exc_info is not None or _WORKER_FAILURE in message
        return not failure or constants.is_debug()


# The Beam loggers that report a failed step, traceback included, before the runner raises:
# the DoFn runner's, and the one that relays a worker process's records to this process.
_RELAY_LOGGER = "apache_beam.runners.portability.local_job_service"
_BEAM_FAILURE_LOGGERS = ("apache_beam.runners.common", _RELAY_LOGGER)
# How a worker process's relayed record of a failed step begins its traceback.
_WORKER_FAILURE = "Error processing instruction"
# A traceback's last line: an exception's class name (maybe dotted), then its message.
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)(?::|$)")


def _chain(err: BaseException) -> Iterator[BaseException]:
    """`err`, then the errors it wraps (its cause, or else its context), outermost first."""
    seen: BaseException | None = err
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _disk_full(err: BaseException) -> bool:
    """Whether a runner's error is, or wraps, a write refused for a full disk (or quota)."""
    return any(
        isinstance(seen, OSError) and seen.errno in errors.DISK_FULL_ERRNOS for seen in _chain(err)
    )


def _interrupted(err: BaseException) -> bool:
    """Whether a runner's error is a Ctrl-C that Beam wrapped (RuntimeError("KeyboardInterrupt
    [while running 'Embed']"))."""
    return any(
        isinstance(seen, KeyboardInterrupt) or str(seen).startswith("KeyboardInterrupt")
        for seen in _chain(err)
    )


def _local_runner(options: Any) -> Any:
    """The FnApiRunner, made as Beam's DirectRunner makes it: its workers get the pipeline
    options. (Named by --runner=FnApiRunner, Beam makes one without them, so the worker
    processes of --direct_running_mode=multi_processing logged at INFO, whatever
    --default_sdk_harness_log_level said.) Only the options that differ from their defaults
    are passed on (the workers' defaults are the same): Beam encodes the store_false ones
    (`--no_pipeline_type_check`) as flags that no parser knows, which each worker reported
    twice as "Discarding unparseable args"."""
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options(drop_default=True))
    provision = beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)
    return _quiet_workers_runner(fn_runner.FnApiRunner)(
        provision_info=fn_runner.ExtendedProvisionInfo(provision)
    )


# Beam's FnApiRunner starts --direct_running_mode=multi_processing workers with this command.
_BEAM_WORKER = "-m apache_beam.runners.worker.sdk_worker_main"
_QUIET_WORKER = "-m tfhub.tools.make_nearest_neighbour_index.beam_worker"


def _quiet_workers_runner(runner_class: Any) -> Any:
    """The FnApiRunner whose worker processes run `beam_worker` (Beam's worker without its
    start-up noise) instead of Beam's: `run_pipeline` sets the environment of
    multi_processing (a command line) on `_default_environment`, which this class reads back
    with `beam_worker`'s module in place of Beam's."""
    from apache_beam.transforms import environments

    class QuietWorkersRunner(runner_class):  # type: ignore[misc, valid-type]
        @property
        def _default_environment(self) -> Any:
            return self.__dict__.get("_tfhub_environment")

        @_default_environment.setter
        def _default_environment(self, environment: Any) -> None:
            command = getattr(environment, "command_string", "")
            if isinstance(command, str) and command.endswith(_BEAM_WORKER):
                quiet = command[: -len(_BEAM_WORKER)] + _QUIET_WORKER
                environment = environments.SubprocessSDKEnvironment.from_command_string(quiet)
            self.__dict__["_tfhub_environment"] = environment

    return QuietWorkersRunner


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
        local = _local_runner(options)
        runner = f"{DEFAULT_RUNNER} ({LOCAL_RUNNER})"
    logger.info("Starting the Beam pipeline (%s).", runner)
    filters: list[tuple[logging.Logger, logging.Filter]] = [
        (logging.getLogger(name), _QuietFailedSteps()) for name in _BEAM_FAILURE_LOGGERS
    ]
    if local is not None:  # Its worker processes are beam_worker's: they print their records.
        filters.append((logging.getLogger(_RELAY_LOGGER), _NoRelayedWorkerRecords()))
    for beam_logger, quiet in filters:
        beam_logger.addFilter(quiet)
    try:
        with beam.Pipeline(runner=local, options=options) as pipeline:
            build_pipeline(pipeline, config, matrix, output_dir)
    except errors.TFHubError as err:
        raise _step_error(err) from None
    except Exception as err:
        if _interrupted(err):
            raise KeyboardInterrupt from err
        lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
        cause = lines[-1] if lines else ""
        if not _EXCEPTION_LINE.match(cause):  # A worker's error ends with its traceback's.
            cause = f"{type(err).__name__}: {cause}".rstrip(": ")
        raise errors.PipelineError(
            f"The Beam pipeline failed on the {runner}: {cause} (nothing was written to "
            f"{config.embed_output_dir}).{_hint(err, cause, config)} Received: runner={runner!r}",
            runner=runner,
            cause=cause,
        ) from err
    finally:
        for beam_logger, quiet in filters:
            beam_logger.removeFilter(quiet)


def _step_error(err: errors.TFHubError) -> errors.TFHubError:
    """The tfhub error a step raised, where Beam raised a copy of it instead: the same class
    made from the message alone plus " [while running 'Embed']" (so without the fields the
    error carries, and with the message no longer ending in what was received)."""
    original = err.__context__
    if getattr(err, "_tagged_with_step", False) and type(original) is type(err):
        return original  # type: ignore[return-value]
    return err


def _hint(err: BaseException, cause: str, config: GenerateConfig) -> str:
    """What to do about a pipeline failure, where tfhub can tell (else "")."""
    if _disk_full(err):
        return (
            f" The disk of {config.embed_output_dir} is full: free space on it, or choose a "
            "folder on a disk with room."
        )
    if not cause.startswith("UnicodeDecodeError"):
        return ""
    where = input_files.first_non_utf8_line(config.data_file_pattern)
    place = f"Line {where[1]} of {where[0]}" if where else "A line of the input"
    todo = "convert the file (e.g. iconv -f latin1 -t utf-8)"
    if where and os.path.basename(where[0]).startswith("."):
        todo = (
            "it is a hidden file, which Beam's patterns match too (a shell's do not): match "
            f"your text files only (e.g. {os.path.join(os.path.dirname(where[0]), '*.txt')}), "
            f"or {todo}"
        )
    return f" {place} is not UTF-8 text: {todo}."


def _remove_beam_leftovers(folder: str) -> None:
    """Beam's temporary sub-folders are removed after a run; make sure none stays."""
    if files.is_remote(folder):
        return
    for name in os.listdir(folder):
        if name.startswith("beam-temp-"):
            logger.debug("Removing Beam's leftover %s", name)
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)

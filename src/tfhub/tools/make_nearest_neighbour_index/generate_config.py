"""`GenerateConfig`: what `generate` (embedding_generator) does, from upstream's flags."""

from __future__ import annotations

import dataclasses
from typing import Any

from .flag_values import check_whole_number, required

BATCH_SIZE = 1028  # Upstream's largest batch; every batch has this size (the last may be smaller).
SEED_MEANING = "the seed of the random projection (None: a fresh one; NumPy takes none below 0)"


def check_seed(seed: object) -> None:
    """Checks a seed of the random projection as --seed is checked: None, or an int >= 0.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) it is not an int (a bool, a float, a str).
        tfhub.errors.ArgumentError: (a ValueError) it is below 0.
    """
    if seed is not None:
        check_whole_number("seed", seed, SEED_MEANING, minimum=0)


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

    def __post_init__(self) -> None:
        """Checks the numbers as the command checks its flags, before any pipeline runs.

        Raises:
            tfhub.errors.ArgumentTypeError: (a TypeError) batch_size, projected_dim or seed is
                not an int (a bool, a float, a str); projected_dim and seed may be None.
            tfhub.errors.ArgumentError: (a ValueError) batch_size is below 1, or
                projected_dim below 0 (the command refuses it before any work; upstream's
                validate_args too), or seed below 0 (NumPy takes none).
        """
        batch = f"the largest batch the module embeds at once (default {BATCH_SIZE})"
        check_whole_number("batch_size", self.batch_size, batch)
        if self.projected_dim is not None:
            check_whole_number(
                "projected_dim",
                self.projected_dim,
                "the dimensions to project the embeddings to (None or 0: no projection)",
                minimum=0,
            )
        check_seed(self.seed)

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

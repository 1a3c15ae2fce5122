"""The make_image_classifier command: upstream's flags and defaults, parsed with argparse.

Used as the console script `make_image_classifier` (`main`) and as `tfhub make-image-classifier`
(`add_arguments` + `run`). Boolean flags accept absl's forms, as upstream's did: `--flag`,
`--noflag`, `--flag=true|false`. The command only parses and prints; the work is in `lib`.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import sys
from collections.abc import Sequence
from typing import Any

from ... import errors
from ...utils.paths import home_expanded
from ..absl_app_flags import run_with_absl_flags
from ..absl_argv import VerboseSwitch, absl_int, add_absl_app_flags, add_bool, read_as_absl
from ..hub_flags import add_hub_flags, hub_flags_applied
from .hparams import HParams, get_default_hparams

DEFAULT_MODULE = "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4"


def _add_inputs_and_outputs(parser: Any) -> None:
    parser.add_argument(
        "--image_dir",
        type=home_expanded,
        help="a folder with one sub-folder of images per class (default: the TF Flowers "
        "example images, downloaded into the tfhub cache; URL from TFHUB_FLOWERS_URL)",
    )
    parser.add_argument(
        "--tfhub_module",
        type=home_expanded,
        default=DEFAULT_MODULE,
        help="the image feature-vector module to train on top of (any handle hub.resolve "
        "takes: URL, path, ...) (default: %(default)s)",
    )
    parser.add_argument(
        "--image_size",
        type=absl_int,
        help="height and width of the images fed to the module; needed for modules of "
        "variable input size, else must equal the module's size",
    )
    for flag, help_text in (
        ("--saved_model_dir", "export the model as a SavedModel here"),
        ("--tflite_output_file", "export the model as a .tflite file here"),
        ("--labels_output_file", "write the labels here, one per line, in prediction order"),
        ("--summaries_dir", "write TensorBoard summaries here"),
    ):
        parser.add_argument(flag, type=home_expanded, help=help_text)
    parser.add_argument(
        "--assert_accuracy_at_least",
        type=float,
        help="fail with ACCURACY FAILED, exporting nothing, if the final validation accuracy "
        "is lower than this (between 0 and 1)",
    )


def _add_hparams(parser: Any, defaults: HParams) -> None:
    number = {"train_epochs": absl_int, "batch_size": absl_int, "rotation_range": float}
    helps = {
        "train_epochs": "passes over the training images",
        "batch_size": "images per training step",
        "learning_rate": "learning rate of the SGD optimizer",
        "momentum": "momentum of the SGD optimizer",
        "dropout_rate": "fraction of the feature vector dropped in training",
        "l1_regularizer": "L1 regularization of the classifier's weights",
        "l2_regularizer": "L2 regularization of the classifier's weights",
        "label_smoothing": "label smoothing of the cross-entropy loss",
        "validation_split": "fraction of each class held out for validation",
        "rotation_range": "random rotation range in degrees",
        "width_shift_range": "random horizontal shift: fraction of the width if < 1, else pixels",
        "height_shift_range": "random vertical shift: fraction of the height if < 1, else pixels",
        "shear_range": "random shear angle range in degrees",
        "zoom_range": "random zoom range: zoom in [1 - z, 1 + z]",
    }
    bools = {
        "do_fine_tuning": "train the module together with the classifier",
        "do_data_augmentation": "randomly distort the training images (the ranges below)",
        "horizontal_flip": "randomly flip training images horizontally (with augmentation)",
    }
    for name, default in defaults._asdict().items():
        if name in bools:
            add_bool(parser, name, default, bools[name])
        else:
            parser.add_argument(
                f"--{name}",
                type=number.get(name, float),
                default=default,
                help=f"{helps[name]} (default: %(default)s)",
            )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds every upstream flag of make_image_classifier, with upstream's defaults."""
    _add_inputs_and_outputs(parser)
    _add_hparams(parser, get_default_hparams())
    parser.add_argument(
        "--distribution_strategy",
        choices=["", "mirrored"],
        default=None,
        help='"mirrored" trains on all local GPUs (or devices) with MirroredStrategy',
    )
    add_bool(parser, "set_memory_growth", False, "let TensorFlow grow GPU memory as needed")
    add_hub_flags(parser)


def hparams_from_args(args: argparse.Namespace) -> HParams:
    """Returns the HParams given by the parsed flags."""
    return HParams(**{name: getattr(args, name) for name in HParams._fields})


def check_image_dir_given(image_dir: str | None) -> None:
    """Refuses an --image_dir given empty or blank (`--image_dir=$DIR` with DIR unset), which
    upstream read as omitted and trained on the downloaded TF Flowers images, silently.

    Args:
        image_dir: the flag's value; None when it was omitted (TF Flowers, as upstream).

    Raises:
        tfhub.errors.ToolFlagError: naming the flag.
    """
    if image_dir is None or image_dir.strip():
        return
    raise errors.ToolFlagError(
        "--image_dir is empty: give the folder of images (one sub-folder per class), or omit "
        f"the flag to train on the TF Flowers example images. Received: image_dir={image_dir!r}",
        flag="image_dir",
        value=image_dir,
    )


def no_collection_at_exit() -> None:
    """Has the interpreter's exit skip collecting the objects alive then (`gc.freeze` as the
    last exit handler): their memory goes back to the system with the process. After a run,
    TensorFlow's and Keras' ~330,000 tracked objects made the collections of the exit cost
    1.1-1.3 s of CPU (0.1 s frozen; benchmarks/README.md, fifty-fourth session). Handlers
    registered with `atexit` and `weakref.finalize` still run; only objects in reference
    cycles still alive at exit are no longer finalized, which Python does not promise
    either. Registered once however often it is called."""
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def run(args: argparse.Namespace) -> int:
    """Trains and exports as the flags say (upstream's --tfhub_cache_dir and
    --tfhub_model_load_format too: `hub_flags_applied`); prints progress on stdout. Returns 0.
    The process's exit then skips collecting its objects (`no_collection_at_exit`).

    Raises:
        tfhub.errors.ToolFlagError: first, for an --image_dir given empty or blank.
        Whatever `lib.train_and_export` raises.
    """
    from .export import Outputs
    from .lib import train_and_export

    check_image_dir_given(args.image_dir)
    no_collection_at_exit()  # Before TensorFlow's own exit handlers: it runs after them.

    def say(line: str) -> None:
        print(line, flush=True)

    with hub_flags_applied(args):
        train_and_export(
            args.tfhub_module,
            args.image_dir,
            hparams_from_args(args),
            outputs=Outputs(
                saved_model_dir=args.saved_model_dir,
                tflite_output_file=args.tflite_output_file,
                labels_output_file=args.labels_output_file,
                summaries_dir=args.summaries_dir,
            ),
            distribution_strategy=args.distribution_strategy,
            image_size=args.image_size,
            assert_accuracy_at_least=args.assert_accuracy_at_least,
            set_memory_growth=args.set_memory_growth,
            say=say,
            single_threaded_ops=True,  # The command's process is its own.
        )
    return 0


def run_command(args: argparse.Namespace) -> int:
    """`run` as the commands run it: the tool's own progress lines shown, tfhub's with `-v`,
    as absl's own flags say (`--only_check_args`, `-v N`, `--log_dir`: `run_with_absl_flags`)."""
    from .. import tool_progress_shown

    with tool_progress_shown():
        return run_with_absl_flags(args, lambda: run(args), prog="make_image_classifier")


def build_parser() -> argparse.ArgumentParser:
    """Returns the parser of the `make_image_classifier` console script."""
    from ... import constants
    from ...help_text import HelpFormatter, help_environment

    parser = argparse.ArgumentParser(
        prog="make_image_classifier",
        description="Trains an image classifier on top of an image feature-vector module "
        "from a folder of images with one sub-folder per class.",
        epilog=help_environment(constants.TF_USE_LEGACY_KERAS, constants.TFHUB_FLOWERS_URL),
        formatter_class=HelpFormatter,
        allow_abbrev=False,  # As upstream's absl flags: --learning is not --learning_rate.
    )
    parser.add_argument("-v", "--verbose", action=VerboseSwitch, help="log progress to stderr")
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `make_image_classifier` command.

    Returns:
        The exit code: 0 on success; an error prints one line on stderr and returns non-zero.
    """
    from ...program.report import report
    from ...program.runner import run_reported
    from ...program.stdout import parse_args

    parser = build_parser()
    add_absl_app_flags(parser)
    try:
        args = parse_args(parser, read_as_absl(sys.argv[1:] if argv is None else argv, parser))
    except errors.TFHubError as err:  # absl missing for --flagfile: one line, its code.
        return report(err)
    return run_reported(
        lambda: run_command(args),
        prog="make_image_classifier",
        verbose=args.verbose,
        tensorflow_logs=args.verbose,
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

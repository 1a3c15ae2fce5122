"""tensorflow_hub's `tools.make_image_classifier.make_image_classifier` module: the command as
upstream's absl program, for code that drives it that way::

    from tfhub.tools.make_image_classifier import make_image_classifier as retrain_script

    retrain_script.FLAGS.image_dir = "photos/"
    retrain_script.FLAGS.saved_model_dir = "out/"
    retrain_script.main(None)

`FLAGS` holds upstream's flags with upstream's defaults: absl flags of their own `FlagValues`
(readable before any command line is parsed), each also on absl's global `flags.FLAGS`, as the
same flag, where no other program's flag has its name; so code that sets them there, as
upstream's own test did (`flagsaver.flagsaver(image_dir=...)`, then `main([])`), or
`app.run(main)` with `--image_dir=...`, drives it too. `main(args)` trains and exports as
they say, raising on failure; `run_main()` is the console script. Upstream's package had this
module where tfhub's Python API has the function `make_image_classifier(module, image_dir,
hparams)`: the module is callable and calls that function, so both uses of the name work.
"""

from __future__ import annotations

import argparse
import sys
import types
from typing import Any

from .. import absl_argv
from . import cli

__all__ = ["FLAGS", "main", "run_main"]

FLAGS = absl_argv.flag_values(cli.build_parser(), purpose="make_image_classifier's FLAGS")
# Upstream defined them on absl's global FLAGS, where its own test set them (flagsaver).
_NOT_SHARED = absl_argv.share_with_absl_flags(FLAGS)


def main(args: Any) -> None:
    """Trains and exports as `FLAGS` say (upstream's absl main; `args` is unused). An empty
    `FLAGS.image_dir` means TF Flowers, as upstream's default "" did.

    Raises:
        tfhub.errors.TFHubError: subclasses say what went wrong (as the command's errors);
            upstream's "ACCURACY FAILED" as `AccuracyError`, an AssertionError.
    """
    del args
    values = {name: FLAGS[name].value for name in FLAGS}
    values["image_dir"] = values["image_dir"] or None  # Upstream's default "": TF Flowers.
    cli.run(argparse.Namespace(**values))


def run_main() -> None:
    """The console script: parses the command line and runs; exits with its status."""
    sys.exit(cli.main())


class _CallableModule(types.ModuleType):
    """This module, callable as the package's `make_image_classifier(...)` function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .lib import make_image_classifier

        return make_image_classifier(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":  # pragma: no cover
    run_main()

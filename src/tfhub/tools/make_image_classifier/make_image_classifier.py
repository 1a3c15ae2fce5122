"""tensorflow_hub's `tools.make_image_classifier.make_image_classifier` module: the command as
upstream's absl program, for code that drives it that way::

    from tfhub.tools.make_image_classifier import make_image_classifier as retrain_script

    retrain_script.FLAGS.image_dir = "photos/"
    retrain_script.FLAGS.saved_model_dir = "out/"
    retrain_script.main(None)

`FLAGS` holds upstream's flags with upstream's defaults (absl flags of their own `FlagValues`, not
absl's global one, so they clash with no program's flags); `main(args)` trains and exports as
they say, raising on failure; `run_main()` is the console script. Upstream's package had this
module where tfhub's Python API has the function `make_image_classifier(module, image_dir,
hparams)`: the module is callable and calls that function, so both uses of the name work.
"""

from __future__ import annotations

import argparse
import sys
import types
from typing import Any

from ...utils.lazy import import_optional
from . import cli

__all__ = ["FLAGS", "main", "run_main"]

_flags = import_optional("absl.flags", purpose="make_image_classifier's FLAGS")


def _define_flags() -> Any:
    """upstream's flags, made from the command line's parser (one home for names, types and
    defaults); absl boolean flags take `--noname` as the parser does."""
    values = _flags.FlagValues()
    for action in cli.build_parser()._actions:  # argparse keeps no public list of its options.
        long_names = [name for name in action.option_strings if name.startswith("--")]
        negated = long_names and long_names[0] == f"--no{action.dest}"
        if not long_names or negated or action.dest in ("help", "verbose"):
            continue
        name, text = action.dest, (action.help or "").replace("%(default)s", str(action.default))
        if action.choices:  # upstream's enum: its values other than "" (unset is None).
            choices = [choice for choice in action.choices if choice]
            _flags.DEFINE_enum(name, action.default, choices, text, flag_values=values)
        elif action.type is cli.absl_bool:
            _flags.DEFINE_bool(name, action.default, text, flag_values=values)
        elif action.type is int:
            _flags.DEFINE_integer(name, action.default, text, flag_values=values)
        elif action.type is float:
            _flags.DEFINE_float(name, action.default, text, flag_values=values)
        else:
            _flags.DEFINE_string(name, action.default, text, flag_values=values)
    values.mark_as_parsed()  # Readable and settable before any command line is parsed.
    return values


FLAGS = _define_flags()


def main(args: Any) -> None:
    """Trains and exports as `FLAGS` say (upstream's absl main; `args` is unused).

    Raises:
        tfhub.errors.TFHubError: subclasses say what went wrong (as the command's errors);
            upstream's "ACCURACY FAILED" as `AccuracyError`, an AssertionError.
    """
    del args
    cli.run(argparse.Namespace(**{name: FLAGS[name].value for name in FLAGS}))


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

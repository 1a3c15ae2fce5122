"""Command lines as upstream's absl-based tools took them, for argparse, and the tools' flags
as absl `FlagValues` for code that drives upstream's program modules.

absl flags take a long flag after one dash as well as after two (`-image_dir=photos`,
`-nodo_fine_tuning`, `-num_trees 10`); argparse only after two. Upstream's console scripts
accepted both, so scripts written for them keep working. Flagfiles are read by
`absl_flagfiles`; absl's own flags (`--logtostderr`, `-v N`, ...) are `absl_app_flags`'.
Nothing here imports TensorFlow; absl is imported only by `flag_values` (and by
`absl_flagfiles` for a `--flagfile`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .. import errors
from ..utils.lazy import import_optional
from .absl_app_flags import (
    DEBUG_SWITCHES,
    LOGGING_SWITCHES,
    logger_levels,
    stderr_threshold,
    with_verbosity_spelled,
    without_undefok,
)

# absl's integers, read by absl's `-v N` too; importable from here as before.
from .absl_app_flags import absl_int as absl_int

# Their home before absl_flagfiles held them; importable from here as before.
from .absl_flagfiles import end_of_flags as end_of_flags
from .absl_flagfiles import with_flagfiles_read as with_flagfiles_read
from .hub_flags import HUB_FLAG_NAMES

_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def absl_bool(value: str) -> bool:
    """Parses an absl boolean flag's value (true/false, 1/0, yes/no, t/f, y/n)."""
    lowered = value.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise argparse.ArgumentTypeError(f"expected true or false. Received: {value!r}")


def long_flags(parser: argparse.ArgumentParser) -> set[str]:
    """The parser's long option strings (`--image_dir`, `--nodo_fine_tuning`, ...)."""
    return {
        option
        for action in parser._actions  # argparse keeps them there; it has no public list.
        for option in action.option_strings
        if option.startswith("--")
    }


def _not_a_bool(option: str, value: str) -> str:
    """What a boolean flag (`add_bool`, `add_switch`) given a value that is no absl boolean
    says, for both kinds."""
    return f"{option} takes true or false, or no value. Received: {option[2:]}={value!r}"


class _Bool(argparse.Action):
    """`--name` or `--name BOOL` or `--name=BOOL` (`add_bool`): on, or the BOOL given."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs="?", const=True, metavar="BOOL", **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if isinstance(values, str):
            try:
                values = absl_bool(values)
            except argparse.ArgumentTypeError:
                option = option_string or self.option_strings[0]
                raise argparse.ArgumentError(None, _not_a_bool(option, values)) from None
        setattr(namespace, self.dest, values)


def add_bool(parser: Any, name: str, default: bool, help_text: str) -> None:
    """Adds `--name`, `--name=BOOL`, `--name BOOL` and `--noname`, as make_image_classifier's
    absl boolean flags: unlike a switch (`add_switch`), `--name` takes the next argument as its
    value unless it looks like a flag (`--do_fine_tuning false`; a value that is no boolean is
    refused).

    Args:
        parser: an argparse parser (or argument group).
        name: the flag's name, without dashes.
        default: its value when not given.
        help_text: its help.
    """
    parser.add_argument(
        f"--{name}",
        action=_Bool,
        default=default,
        help=f"{help_text} (default: {default}; --no{name} turns it off)",
    )
    parser.add_argument(f"--no{name}", dest=name, action="store_false", help=argparse.SUPPRESS)


class _Switch(argparse.Action):
    """`--name` and `--noname` in one option (`add_switch`): on, or off, the last one given."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, const=True, default=False, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, option_string == self.option_strings[0])


def add_switch(parser: Any, name: str, help_text: str) -> None:
    """Adds `--name`, off unless given, with absl's other forms of a boolean flag:
    `--noname`, and `--name=BOOL` (read by `double_dashed`). Unlike `--name BOOL` of `add_bool`,
    it never takes the next argument as its value, as absl's booleans did not (a positional
    argument, such as an operation, may follow it); a value that is no boolean is refused in
    the same words.

    Args:
        parser: an argparse parser (or argument group).
        name: the flag's name, without dashes.
        help_text: its help.
    """
    parser.add_argument(f"--{name}", f"--no{name}", dest=name, action=_Switch, help=help_text)


def _switches(parser: argparse.ArgumentParser) -> set[str]:
    """The long options of the parser's switches (`add_switch`) that turn them on."""
    return {
        action.option_strings[0]
        for action in parser._actions  # argparse keeps them there; it has no public list.
        if isinstance(action, _Switch)
    }


def _switch_set(arg: str, switches: set[str]) -> str:
    """`--name=BOOL` of a switch (`add_switch`) as `--name` or `--noname`; any other
    argument as given.

    Raises:
        tfhub.errors.ToolFlagError: the value is no absl boolean (true/false, 1/0, ...).
    """
    option, sep, value = arg.partition("=")
    if not sep or option not in switches:
        return arg
    try:
        on = absl_bool(value)
    except argparse.ArgumentTypeError:
        raise errors.ToolFlagError(
            _not_a_bool(option, value), flag=option[2:], value=value
        ) from None
    return option if on else f"--no{option[2:]}"


def _flags_taking_a_value(parser: argparse.ArgumentParser) -> set[str]:
    """The parser's long options that take exactly one value (not booleans, not `--noname`)."""
    return {
        option
        for action in parser._actions  # argparse keeps them there; it has no public list.
        for option in action.option_strings
        if option.startswith("--") and action.nargs is None
    }


def double_dashed(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """Returns `argv` as absl read it, written for argparse: absl's one-dash long flags of
    `parser` with two dashes (`-image_dir=x` -> `--image_dir=x`), and a flag that takes a value
    joined to the argument after it (`--image_dir -photos` -> `--image_dir=-photos`: absl takes
    the next argument whatever it looks like, argparse not one that starts with a dash), and
    a switch given a value (`add_switch`: `--allow_pickle=false` -> `--noallow_pickle`).

    Only the parser's own flags change; anything else, short flags (`-v`), and everything after
    `--` stays as given.

    Raises:
        tfhub.errors.ToolFlagError: for a flag given the value "--" (see
            `_refuse_a_bare_double_dash_value`), or a switch given a value that is no boolean.
    """
    known, taking_a_value = long_flags(parser), _flags_taking_a_value(parser)
    switches = _switches(parser)
    rewritten: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            return [*rewritten, *argv[index:]]
        one_dash = arg.startswith("-") and not arg.startswith("--")
        if one_dash and "-" + arg.split("=", 1)[0] in known:
            arg = "-" + arg
        if arg in taking_a_value and index + 1 < len(argv):
            arg, index = f"{arg}={argv[index + 1]}", index + 1
        _refuse_a_bare_double_dash_value(arg, taking_a_value)
        rewritten.append(_switch_set(arg, switches))
        index += 1
    return rewritten


def read_as_absl(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """`with_help_flags_as_help(double_dashed(with_flagfiles_read(argv), parser))`, what every
    tool's command line goes through before `parser` reads it (the console scripts, and the
    tools as `tfhub` subcommands); for a parser with absl's own flags (`add_absl_app_flags`),
    `-v N` is `--verbosity=N` first and the flags `--undefok` names are dropped then. A flag
    given '--', or a flagfile that cannot be read, is then a usage error of `parser`, as
    argparse says its own.

    Raises:
        SystemExit: 2, after `parser`'s usage and `PROG: error: ...` on stderr, for a flag
            given the value '--', a switch (`add_switch`) given a value that is no boolean
            (`--allow_pickle=maybe`), a flagfile that cannot be read (or that includes
            itself), or absl's `--helpxml`.
    """
    absl_app = "--undefok" in long_flags(parser)
    try:
        read = with_flagfiles_read(argv)
        read = double_dashed(with_verbosity_spelled(read) if absl_app else read, parser)
        read = without_undefok(read, long_flags(parser)) if absl_app else read
        return with_help_flags_as_help(read)
    except errors.ToolFlagError as err:
        parser.error(str(err))


# absl's `app.run` help flags, which upstream's tools took: each prints the flags, exit 0.
_ABSL_HELP_FLAGS = frozenset(
    dashes + name for dashes in ("-", "--") for name in ("helpfull", "helpshort")
)


def with_help_flags_as_help(argv: Sequence[str]) -> list[str]:
    """Returns `argv` with absl's help flags before a `--` (`--helpfull`, `--helpshort`, with
    one dash or two: upstream's tools ran under absl's `app.run`, whose usage errors say "Try
    --helpfull") as argparse's `--help`. Run after `double_dashed`, so that a flag's value
    (`--image_dir=-helpfull`) is not one.

    Raises:
        tfhub.errors.ToolFlagError: absl's `--helpxml` is there (its XML is not available).
    """
    end = end_of_flags(argv)
    for arg in argv[:end]:
        if arg.lstrip("-") == "helpxml" and arg.startswith("-"):
            raise errors.ToolFlagError(
                "--helpxml (absl's flags as XML) is not available: the tool lists its flags "
                "with --help (or --helpfull). Received: --helpxml",
                flag="helpxml",
                value=None,
            )
    return [
        "--help" if index < end and arg in _ABSL_HELP_FLAGS else arg
        for index, arg in enumerate(argv)
    ]


# Set on a namespace while absl's verbosity holds `verbose` on (`_Verbosity`): what `verbose`
# was before (`_UNSET`: not there, as in a `tfhub` subcommand's namespace).
_VERBOSE_BEFORE = "_tfhub_verbose_before_verbosity"
_UNSET = object()


class _Verbosity(argparse.Action):
    """absl's `--verbosity=N` (`-v N`, `--v=N`, ... are spelled so by `read_as_absl`): N, and
    tfhub's `-v` (`verbose`: TensorFlow's lines shown) on from 1 on, as absl's DEBUG; a later
    value below 1 puts `verbose` back as it was before (absl takes the last value): off, or on
    for tfhub's bare `-v` (`--verbose`) given before it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        held = vars(namespace)
        if values >= 1:
            held.setdefault(_VERBOSE_BEFORE, held.get("verbose", _UNSET))
            namespace.verbose = True
        elif _VERBOSE_BEFORE in held:
            before = held.pop(_VERBOSE_BEFORE)
            if before is _UNSET:
                del namespace.verbose  # The `tfhub` parser's value stays.
            else:
                namespace.verbose = before


class VerboseSwitch(argparse.Action):
    """tfhub's bare `-v` / `--verbose` of a tool's command (`store_true`): on, and kept on
    whatever absl `-v N` follows (`_Verbosity` puts back the value saved before a `-v 1`: a
    bare `--verbose` given after it is saved too). Off by default (a `tfhub` subcommand's:
    `argparse.SUPPRESS`, the `tfhub` parser's value)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("default", False)
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, True)
        if _VERBOSE_BEFORE in vars(namespace):
            setattr(namespace, _VERBOSE_BEFORE, True)


def add_absl_app_flags(parser: argparse.ArgumentParser) -> None:
    """Adds absl's own flags (`absl.app`'s and `absl.logging`'s, which upstream's tools took
    under `app.run`) to a tool's parser, out of its --help (docs/tools.md lists them), each
    parsed as `absl_<name>`; what they do is `absl_app_flags.run_with_absl_flags`'s. A parser
    with neither `-v` nor `--verbose` (a tool's `tfhub` subcommand) gets it as a
    `VerboseSwitch` too, as the console scripts have it, which keeps the `tfhub` parser's value
    unless given: so `-v 1 --verbose -v 0` leaves it on there as well."""
    hidden = argparse.SUPPRESS
    taken = parser._option_string_actions  # argparse keeps them there; no public list.
    if "-v" not in taken and "--verbose" not in taken:  # Either one: the parser's own stays.
        parser.add_argument("-v", "--verbose", action=VerboseSwitch, default=hidden,
                            help="log progress (and TensorFlow's) to stderr")  # fmt: skip
    for name in (*LOGGING_SWITCHES, *DEBUG_SWITCHES, "only_check_args"):
        parser.add_argument(f"--{name}", f"--no{name}", dest=f"absl_{name}", action=_Switch,
                            help=hidden)  # fmt: skip
    add = parser.add_argument
    add("--verbosity", dest="absl_verbosity", type=absl_int, action=_Verbosity, help=hidden)
    add("--stderrthreshold", dest="absl_stderrthreshold", type=stderr_threshold, help=hidden)
    add("--logger_levels", dest="absl_logger_levels", type=logger_levels, help=hidden)
    for name in ("log_dir", "profile_file", "undefok"):
        add(f"--{name}", dest=f"absl_{name}", help=hidden)


def _refuse_a_bare_double_dash_value(arg: str, taking_a_value: set[str]) -> None:
    """Refuses `--name=--`, which absl reads as the value "--": argparse drops that value
    (CPython's `_get_values` removes a '--' even from `--name=--`), so the flag would read as
    an empty list, silently.

    Raises:
        tfhub.errors.ToolFlagError: naming the flag.
    """
    option, sep, value = arg.partition("=")
    if sep and value == "--" and option in taking_a_value:
        name = option[2:]
        raise errors.ToolFlagError(
            f"{option} cannot take '--' as its value here (Python's argparse, which reads the "
            f"tools' flags, drops it); give another value. Received: {name}='--'",
            flag=name,
            value=value,
        )


def flag_values(parser: argparse.ArgumentParser, *, purpose: str) -> Any:
    """The parser's options as absl flags of their own `absl.flags.FlagValues` (not absl's
    global one, so they clash with no program's flags), with the parser's defaults, readable
    and settable at once: upstream's program modules had such a `FLAGS`.

    Each long option becomes one flag of its kind: boolean for `add_bool` flags and
    `store_true` options (`--noname` is absl's own), enum for choices (unset is None), multi
    string for repeatable options, integer, float, else string. `--help` and `--verbose` stay
    the command line's; `--tfhub_cache_dir` and `--tfhub_model_load_format` are upstream's own
    absl flags, which `import tfhub` defines on absl's global FLAGS (`hub_flags`).

    Raises:
        tfhub.errors.MissingDependencyError: absl is not installed (it comes with TensorFlow).
    """
    flags = import_optional("absl.flags", purpose=purpose)
    values = flags.FlagValues()
    for action in parser._actions:  # argparse keeps no public list of its options.
        long_names = [name for name in action.option_strings if name.startswith("--")]
        negated = long_names and long_names[0] == f"--no{action.dest}"
        if not long_names or negated or action.dest in ("help", "verbose", *HUB_FLAG_NAMES):
            continue
        name, text = action.dest, (action.help or "").replace("%(default)s", str(action.default))
        store_flag = action.nargs == 0 and isinstance(action.const, bool)  # store_true/false
        if action.choices:
            choices = [choice for choice in action.choices if choice]  # "" is unset upstream.
            flags.DEFINE_enum(name, action.default, choices, text, flag_values=values)
        elif isinstance(action, _Bool) or store_flag:
            flags.DEFINE_bool(name, action.default, text, flag_values=values)
        elif type(action).__name__ == "_AppendAction":  # action="append", argparse's class.
            flags.DEFINE_multi_string(name, action.default, text, flag_values=values)
        elif action.type in (int, absl_int):
            flags.DEFINE_integer(name, action.default, text, flag_values=values)
        elif action.type is float:
            flags.DEFINE_float(name, action.default, text, flag_values=values)
        else:
            flags.DEFINE_string(name, action.default, text, flag_values=values)
    values.mark_as_parsed()  # Readable and settable before any command line is parsed.
    return values


def share_with_absl_flags(values: Any) -> tuple[str, ...]:
    """Registers each flag of `values` (from `flag_values`) on absl's global `flags.FLAGS` too,
    as the same flag object, where that name is free there: upstream's program modules defined
    their flags on the global FLAGS, and code written for them sets them there
    (`flagsaver.flagsaver(image_dir=...)`, `app.run(main)` with `--image_dir=...`,
    `flags.FLAGS.image_dir = ...`); either `FlagValues` then reads and sets the same value.
    Each shared flag allows an override (absl's `allow_override`): a program that defines a
    flag of its name later takes the name on the global FLAGS (where upstream's raised absl's
    DuplicateFlagError), and this flag is then set through `values` only.

    Args:
        values: an absl `FlagValues` whose flags to share.

    Returns:
        The names left out because the global FLAGS has another flag of that name (another
        program's): those are set through `values` only.

    Raises:
        tfhub.errors.MissingDependencyError: absl is not installed (it comes with TensorFlow).
    """
    flags = import_optional("absl.flags", purpose="sharing flags with absl's FLAGS")
    modules = {id(flag): module for module, listed in values.flags_by_module_dict().items()
               for flag in listed}  # fmt: skip
    taken = []
    for name in values:
        flag = values[name]
        if name not in flags.FLAGS:
            flag.allow_override = True
            flags.FLAGS[name] = flag
            if id(flag) in modules:  # Listed under it, as upstream's were (--helpfull, flagfiles).
                flags.FLAGS.register_flag_by_module(modules[id(flag)], flag)
        elif flags.FLAGS[name] is not flag:
            taken.append(name)
    return tuple(taken)

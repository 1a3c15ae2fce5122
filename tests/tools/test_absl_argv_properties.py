"""Property test: the tools' console scripts read any command line of upstream's flags as
upstream's absl flags did. Each example defines the flags as tensorflow_hub 0.10.0's programs
did (name, kind, default, from their source), writes a few of them in any of absl's spellings
(`--name=value`, `--name value`, `-name value`, `--noname`, `--name=false`, ...) with values of
any kind absl takes (a path that starts with a dash, "0x20" for 32, "-1e-05"), and checks that
tfhub's parser gives every flag absl's value."""

from __future__ import annotations

import argparse
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from tests._helpers.properties import property_settings

from tfhub import errors
from tfhub.tools.absl_argv import double_dashed
from tfhub.tools.make_image_classifier import cli as classifier_cli
from tfhub.tools.make_nearest_neighbour_index import cli as nn_cli

# make_image_classifier.py at v0.10.0: name -> (kind, default).
CLASSIFIER_FLAGS: dict[str, tuple[str, Any]] = {
    "image_dir": ("string", None),
    "tfhub_module": (
        "string",
        "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4",
    ),
    "image_size": ("integer", None),
    "saved_model_dir": ("string", None),
    "tflite_output_file": ("string", None),
    "labels_output_file": ("string", None),
    "summaries_dir": ("string", None),
    "assert_accuracy_at_least": ("float", None),
    "train_epochs": ("integer", 5),
    "do_fine_tuning": ("bool", False),
    "batch_size": ("integer", 32),
    "learning_rate": ("float", 0.005),
    "momentum": ("float", 0.9),
    "dropout_rate": ("float", 0.2),
    "set_memory_growth": ("bool", False),
    "l1_regularizer": ("float", 0.0),
    "l2_regularizer": ("float", 0.0001),
    "label_smoothing": ("float", 0.1),
    "validation_split": ("float", 0.2),
    "do_data_augmentation": ("bool", False),
    # An integer flag upstream; tfhub also takes fractions of a degree (decimal integers as
    # upstream, so no "0x" here).
    "rotation_range": ("decimal", 40),
    "horizontal_flip": ("bool", True),
    "width_shift_range": ("float", 0.2),
    "height_shift_range": ("float", 0.2),
    "shear_range": ("float", 0.2),
    "zoom_range": ("float", 0.2),
    "distribution_strategy": ("enum", None),
}
# make_nearest_neighbour_index.py at v0.10.0. Its defaults of num_trees (100) and num_matches
# (10) are not tfhub's (docs/tools.md says why): only given flags are compared.
NN_FLAGS: dict[str, tuple[str, Any]] = {
    "data_file_pattern": ("string", None),
    "module_url": ("string", None),
    "projected_dim": ("integer", None),
    "embed_output_dir": ("string", None),
    "num_trees": ("integer", 100),
    "index_output_dir": ("string", None),
    "num_matches": ("integer", 10),
}
ENUM_VALUES = ["", "mirrored"]


def _absl_flags(definitions: dict[str, tuple[str, Any]]) -> Any:
    from absl import flags

    values = flags.FlagValues()
    for name, (kind, default) in definitions.items():
        if kind == "string":
            flags.DEFINE_string(name, default, "", flag_values=values)
        elif kind in ("integer", "decimal"):
            flags.DEFINE_integer(name, default, "", flag_values=values)
        elif kind == "float":
            flags.DEFINE_float(name, default, "", flag_values=values)
        elif kind == "bool":
            flags.DEFINE_bool(name, default, "", flag_values=values)
        else:
            flags.DEFINE_enum(name, default, ENUM_VALUES, "", flag_values=values)
    return values


_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


def _value(kind: str) -> st.SearchStrategy[str]:
    """What a user may write after a flag of `kind`, as absl reads it."""
    if kind == "string":  # A leading "~" is a home folder to tfhub (docs/tools.md).
        return _TEXT.filter(lambda text: not text.startswith("~"))
    if kind == "decimal":
        return st.integers(-(10**6), 10**6).map(str)
    if kind == "integer":
        return st.one_of(
            st.integers(-(10**9), 10**9).map(str),
            st.integers(0, 10**9).map(lambda n: f"0x{n:x}"),
            st.integers(0, 10**9).map(lambda n: f"0o{n:o}"),
        )
    if kind == "float":
        finite = st.floats(allow_nan=False, allow_infinity=False)
        return st.one_of(finite.map(repr), finite.map(lambda x: f"{x:e}"))
    return st.sampled_from(ENUM_VALUES)


@st.composite
def _spelled(draw: st.DrawFn, name: str, kind: str) -> list[str]:
    """One flag as absl takes it, in any of its spellings."""
    dashes = draw(st.sampled_from(["-", "--"]))
    if kind == "bool":
        value = draw(st.booleans())
        spelling = draw(st.sampled_from(["bare", "equals"]))
        if spelling == "bare":
            return [f"{dashes}{'' if value else 'no'}{name}"]
        word = draw(st.sampled_from(["true", "t", "1"] if value else ["false", "f", "0"]))
        cased = draw(st.sampled_from([word, word.upper(), word.capitalize()]))
        return [f"{dashes}{name}={cased}"]
    value = draw(_value(kind))
    if draw(st.booleans()):
        return [f"{dashes}{name}={value}"]
    return [f"{dashes}{name}", value]


@st.composite
def _command_line(
    draw: st.DrawFn, definitions: dict[str, tuple[str, Any]]
) -> tuple[list[str], set[str]]:
    """A command line of a few flags (a flag may repeat: the last one counts), and their names."""
    names = draw(st.lists(st.sampled_from(sorted(definitions)), max_size=6))
    return [arg for name in names for arg in draw(_spelled(name, definitions[name][0]))], set(names)


def _tfhub_reads(
    parser: argparse.ArgumentParser, argv: list[str], expected: Any
) -> argparse.Namespace | None:
    """What tfhub reads, or None where it refuses, as it must, the one value absl reads that
    argparse cannot: "--" (argparse drops it even from `--name=--`; absl's `expected` then
    holds "--" for the flag the error names)."""
    try:
        args, extra = parser.parse_known_args(double_dashed(argv, parser))
    except errors.ToolFlagError as err:
        assert expected[err.flag].value == "--", (err, argv)
        return None
    assert extra == [], f"{argv} left {extra} unread"
    return args


@property_settings(300)
@given(command_line=_command_line(CLASSIFIER_FLAGS))
def test_make_image_classifier_reads_every_absl_command_line_as_absl(
    command_line: tuple[list[str], set[str]],
) -> None:
    argv, _ = command_line
    expected = _absl_flags(CLASSIFIER_FLAGS)
    expected(["make_image_classifier", *argv])
    args = _tfhub_reads(classifier_cli.build_parser(), argv, expected)
    for name in CLASSIFIER_FLAGS if args is not None else ():
        assert getattr(args, name) == expected[name].value, (name, argv)


@property_settings(200)
@given(
    command_line=_command_line(NN_FLAGS),
    operation=st.sampled_from(["generate", "build", "query"]),
)
@example(command_line=(["-data_file_pattern", "--"], {"data_file_pattern"}), operation="generate")
def test_make_nearest_neighbour_index_reads_every_absl_command_line_as_absl(
    command_line: tuple[list[str], set[str]], operation: str
) -> None:
    argv, given_names = command_line
    expected = _absl_flags(NN_FLAGS)
    expected(["make_nearest_neighbour_index", operation, *argv])
    args = _tfhub_reads(nn_cli.build_parser(), [operation, *argv], expected)
    if args is None:
        return
    assert args.operation == operation
    for name in NN_FLAGS.keys() & given_names:
        assert getattr(args, name) == expected[name].value, (name, argv)


# absl's flag_type() of each kind; rotation_range is a float flag in tfhub (see above).
_FLAG_TYPES = {
    "string": "string",
    "integer": "int",
    "decimal": "float",
    "float": "float",
    "bool": "bool",
    "enum": "string enum",
}


def test_program_modules_flags_are_upstreams_kinds_and_defaults() -> None:
    """`FLAGS` of upstream's program modules: each flag of upstream's kind (an integer flag
    takes 0x20 when set from a command line) and, for the classifier, upstream's default."""
    from tfhub.tools.make_image_classifier import make_image_classifier
    from tfhub.tools.make_nearest_neighbour_index import make_nearest_neighbour_index

    for flags, definitions, same_defaults in (
        (make_image_classifier.FLAGS, CLASSIFIER_FLAGS, True),
        (make_nearest_neighbour_index.FLAGS, NN_FLAGS, False),
    ):
        for name, (kind, default) in definitions.items():
            assert flags[name].flag_type() == _FLAG_TYPES[kind], name
            assert not same_defaults or flags[name].default == default, name

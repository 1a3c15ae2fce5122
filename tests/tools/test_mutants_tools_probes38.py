"""Tests that kill mutants of the tools' rule modules which the other tests let live (session 38,
mutation testing by hand): each test fails when one decision of the module is flipped."""

from __future__ import annotations

import argparse
import errno
import functools
import os
import stat
import struct
from pathlib import Path

import numpy as np
import pytest

from tfhub import errors
from tfhub.tools import absl_argv, atomic_output, host_memory, image_headers
from tfhub.tools.make_image_classifier import cli as classifier_cli

# --- absl_argv -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("TRUE", True), ("t", True), ("Yes", True), ("y", True), (" Y ", True),
     ("0", False), ("false", False), ("F", False), ("no", False), ("n", False)],
)  # fmt: skip
def test_absl_bool_takes_each_spelling_it_documents(value: str, expected: bool) -> None:
    assert absl_argv.absl_bool(value) is expected


def test_absl_bool_refuses_anything_else() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="Received: 'maybe'"):
        absl_argv.absl_bool("maybe")


def test_a_flag_taking_a_value_given_last_is_left_for_argparse_to_refuse(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--image_dir` with nothing after it is argparse's usage error, not an IndexError."""
    parser = classifier_cli.build_parser()
    assert absl_argv.double_dashed(["-image_dir"], parser) == ["--image_dir"]
    with pytest.raises(SystemExit):
        parser.parse_args(absl_argv.read_as_absl(["-image_dir"], parser))
    assert "expected one argument" in capsys.readouterr().err


def test_only_the_parsers_own_flags_are_refused_the_value_double_dash() -> None:
    """Another option given '--' (a Beam pipeline option passed through) stays as given."""
    parser = classifier_cli.build_parser()
    assert absl_argv.double_dashed(["--runner_option=--"], parser) == ["--runner_option=--"]
    with pytest.raises(absl_argv.errors.ToolFlagError) as caught:
        absl_argv.double_dashed(["--image_dir=--"], parser)
    assert caught.value.flag == "image_dir"


def test_program_flags_hold_neither_verbose_nor_an_empty_enum_value() -> None:
    """Upstream's FLAGS had no --verbose (the command line's own), and its strategy enum had
    no "" (tfhub's parser takes "" as unset)."""
    from absl import flags

    from tfhub.tools.make_image_classifier import make_image_classifier
    from tfhub.tools.make_nearest_neighbour_index import make_nearest_neighbour_index

    assert "verbose" not in make_image_classifier.FLAGS
    assert "verbose" not in make_nearest_neighbour_index.FLAGS
    values = absl_argv.flag_values(classifier_cli.build_parser(), purpose="a test")
    assert "" not in values["distribution_strategy"].parser.enum_values
    with pytest.raises(flags.IllegalFlagValueError):
        values(["make_image_classifier", "--distribution_strategy="])


def test_program_flags_are_readable_before_any_command_line_is_parsed() -> None:
    """Upstream's scripts set and read `FLAGS.x` without parsing a command line first."""
    values = absl_argv.flag_values(classifier_cli.build_parser(), purpose="a test")
    assert values.batch_size == 32 and values.image_dir is None


# --- atomic_output, output_errors, output_leftovers, output_sync ----------------------------


def test_a_folder_output_at_a_character_device_is_refused(tmp_path: Path) -> None:
    """Only a file output may be a stream (/dev/null): a folder output there is refused as any
    other file where a folder goes."""
    with pytest.raises(errors.OutputNotWritableError, match="exists and is not a folder"):
        atomic_output.check_writable(os.devnull, is_dir=True, what="saved model dir")


def test_a_trailing_slash_is_refused_for_a_file_output_only(tmp_path: Path) -> None:
    folder = os.fspath(tmp_path / "new") + os.sep
    atomic_output.check_writable(folder, is_dir=True, what="summaries dir")
    with pytest.raises(errors.OutputNotWritableError, match="ends with a slash"):
        atomic_output.check_writable(folder, is_dir=False, what="labels output file")
    assert os.listdir(tmp_path) == []


def test_a_full_disk_naming_a_file_outside_the_new_folder_is_still_the_outputs_error(
    tmp_path: Path,
) -> None:
    """The disk (or quota) is full whatever file the block was writing: the output cannot be
    written there."""
    elsewhere = os.fspath(tmp_path / "cache" / "part")
    with pytest.raises(errors.OutputNotWritableError, match="Free space on its disk") as caught:
        with atomic_output.write_folder(os.fspath(tmp_path / "out"), what="index folder"):
            raise OSError(errno.ENOSPC, "No space left on device", elsewhere)
    assert caught.value.path == os.fspath(tmp_path / "out")
    assert os.listdir(tmp_path) == []


def test_only_a_killed_writes_exact_name_is_a_moved_aside_output(tmp_path: Path) -> None:
    (tmp_path / ".out.old-0123456789ab.bak").mkdir()
    (tmp_path / ".out.old-0123456789abcdef").mkdir()
    assert atomic_output.moved_aside(os.fspath(tmp_path / "out")) is None
    (tmp_path / ".out.old-0123456789ab").mkdir()
    expected = os.fspath(tmp_path / ".out.old-0123456789ab")
    assert atomic_output.moved_aside(os.fspath(tmp_path / "out")) == expected


@pytest.mark.parametrize("code", [errno.EINVAL, errno.ENOTSUP])
def test_a_file_system_that_cannot_flush_a_folder_is_accepted(
    code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some file systems answer a folder's fsync with EINVAL or ENOTSUP: the output is
    written all the same; any other failure of the flush is the output's error."""
    real_fsync = os.fsync

    def fsync(handle: int, *, failure: int = code) -> None:
        if stat.S_ISDIR(os.fstat(handle).st_mode):
            raise OSError(failure, os.strerror(failure))
        real_fsync(handle)

    monkeypatch.setattr(os, "fsync", fsync)
    with atomic_output.write_folder(os.fspath(tmp_path / "out"), what="output folder") as tmp:
        (Path(tmp) / "a.txt").write_text("new")
    atomic_output.write_file(os.fspath(tmp_path / "f.txt"), b"new", what="labels output file")
    assert (tmp_path / "out" / "a.txt").read_text() == "new"
    assert (tmp_path / "f.txt").read_bytes() == b"new"
    monkeypatch.setattr(os, "fsync", functools.partial(fsync, failure=errno.EIO))
    with pytest.raises(errors.OutputNotWritableError, match="Input/output error"):
        atomic_output.write_file(os.fspath(tmp_path / "g.txt"), b"new", what="labels output file")


def test_a_link_to_nothing_at_a_folder_output_is_followed_and_kept(tmp_path: Path) -> None:
    """As the write follows it (docs/tools.md: "a symbolic link at an output path is followed
    and kept"), the check before training does: it said "a file is in the way" of the link."""
    link, target = tmp_path / "out", tmp_path / "real" / "out"
    link.symlink_to(target)
    atomic_output.check_writable(os.fspath(link), is_dir=True, what="output folder")
    with atomic_output.write_folder(os.fspath(link), what="output folder") as tmp:
        (Path(tmp) / "a.txt").write_text("new")
    assert link.is_symlink() and (target / "a.txt").read_text() == "new"


# --- host_memory ---------------------------------------------------------------------------


@pytest.mark.tf
def test_peak_growth_is_counted_above_what_was_held_before() -> None:
    """A call that allocates nothing has grown the peak by nothing, however much TensorFlow's
    allocator held before it (here a 16 MB tensor)."""
    import tensorflow as tf

    held = tf.ones([4 << 20])  # noqa: F841 - held through the measure.
    (grown,) = host_memory.peak_growths([lambda: None])
    assert grown < 1 << 20, grown


@pytest.mark.tf
def test_a_calls_constant_cost_is_not_counted_per_image() -> None:
    """`run` takes 8 MB whatever the batch, plus 1 MB an image: one image costs 1 MB more."""
    import tensorflow as tf

    def run(batch: np.ndarray) -> None:
        constant = tf.ones([2_000_000])  # 8 MB.
        per_image = tf.ones([len(batch) * 250_000])  # 1 MB an image.
        del constant, per_image

    images = np.zeros((2, 1, 1, 3), np.float32)
    run(images)
    per_image = host_memory.bytes_per_image(run, images)
    assert per_image is not None and 0.9e6 <= per_image <= 2e6, per_image


def test_one_image_measures_nothing_per_image() -> None:
    """The growth of one more image cannot be told from a single image: None, not 0."""
    assert host_memory.bytes_per_image(lambda batch: None, np.zeros((1, 4, 4, 3))) is None


# --- image_headers -------------------------------------------------------------------------

_SOI = b"\xff\xd8"
_SOF0_300x200 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 300, 200, 1) + b"\x01\x11\x00"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        # A Huffman table (DHT, 0xC4) before the frame header, as some encoders write it: a
        # marker in the SOF range that holds no size.
        ("dht_first.jpg", _SOI + b"\xff\xc4\x00\x05\x00\x01\x02" + _SOF0_300x200,
         image_headers.ImageHeader("JPEG", 200, 300)),
        # A marker without a length (TEM) before the frame header.
        ("tem.jpg", _SOI + b"\xff\x01" + _SOF0_300x200,
         image_headers.ImageHeader("JPEG", 200, 300)),
        # A 32-bit BMP with bit fields (compression 3), which TensorFlow decodes; rows top-down.
        ("bitfields.bmp",
         struct.pack("<2sIHHI", b"BM", 0, 0, 0, 66) + struct.pack("<IiiHHI", 40, 5, -7, 1, 32, 3),
         image_headers.ImageHeader("BMP", 5, 7)),
        # An OS/2 1.x BMP (a 12-byte header of 16-bit sizes).
        ("os2.bmp",
         struct.pack("<2sIHHI", b"BM", 0, 0, 0, 26) + struct.pack("<IHHHH", 12, 5, 7, 1, 24),
         image_headers.ImageHeader("BMP", 5, 7)),
    ],
)  # fmt: skip
def test_headers_of_rarer_layouts_give_their_size(
    name: str, content: bytes, expected: image_headers.ImageHeader, tmp_path: Path
) -> None:
    (tmp_path / name).write_bytes(content + bytes(64))
    assert image_headers.read_header(os.fspath(tmp_path / name)) == expected

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


# --- image_decoding ------------------------------------------------------------------------


def _png(path: Path, pixels: np.ndarray) -> str:
    import tensorflow as tf

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(pixels).numpy())
    return os.fspath(path)


@pytest.mark.tf
def test_resized_pixels_are_rounded_not_cut() -> None:
    """Black and white side by side, resized to three pixels: the middle one is 127.5, which
    rounds (to even) to 128; cut to uint8 it would be 127."""
    import tempfile

    from tfhub.tools import image_decoding

    pixels = np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        path = _png(Path(folder) / "two.png", pixels)
        row = image_decoding.decode_one(image_decoding.path_tensor((path,))[0], (1, 3)).numpy()
    assert row[0, :, 0].tolist() == [0, 128, 255]


@pytest.mark.tf
def test_first_images_are_count_of_them_the_first_repeated_if_too_few(tmp_path: Path) -> None:
    from tfhub.tools import image_decoding, image_folders

    shades = [
        _png(tmp_path / "c" / f"{i}.png", np.full((2, 2, 3), i * 60, np.uint8)) for i in (1, 2, 3)
    ]
    (tmp_path / "c" / "0_broken.png").write_bytes(b"not an image")
    broken = os.fspath(tmp_path / "c" / "0_broken.png")

    def files(paths: list[str]) -> image_folders.ImageFiles:
        return image_folders.ImageFiles(
            os.fspath(tmp_path), ("c",), tuple(paths), (0,) * len(paths)
        )

    images = image_decoding.first_images(files([broken, *shades]), (2, 2), count=2)
    assert images.shape == (2, 2, 2, 3)
    assert np.allclose(images[:, 0, 0, 0], [60 / 255, 120 / 255])
    images = image_decoding.first_images(files([broken, shades[2]]), (2, 2), count=3)
    assert images.shape == (3, 2, 2, 3) and np.allclose(images, 180 / 255)


# --- image_modules, module_handles ---------------------------------------------------------


@pytest.mark.tf
def test_a_module_of_one_channel_images_is_not_an_image_module(tmp_path: Path) -> None:
    import tensorflow as tf

    from tfhub.tools import image_modules

    class OneChannel(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 1], tf.float32)])
        def __call__(self, images: tf.Tensor) -> tf.Tensor:
            return tf.reduce_mean(images, axis=[1, 2])

    handle = os.fspath(tmp_path / "grey")
    tf.saved_model.save(OneChannel(), handle)
    layer = image_modules.load_module_layer(handle, trainable=False)
    with pytest.raises(errors.NotAnImageModuleError, match="its input has 1 channels, not 3"):
        image_modules.check_image_input(layer, handle)


@pytest.mark.tf
def test_a_requested_size_must_agree_with_each_fixed_side(tmp_path: Path) -> None:
    """A module fixed at 32x24: --image_size 32 agrees with its height, not its width."""
    from tests._helpers.image_models import save_image_feature_vector

    from tfhub.tools import image_modules

    handle = save_image_feature_vector(tmp_path / "m", image_size=(32, 24))
    layer = image_modules.load_module_layer(handle, trainable=False)
    assert image_modules.image_size_for_module(layer, handle) == (32, 24)
    with pytest.raises(errors.ImageSizeError, match=r"expects images of size \(32, 24\)"):
        image_modules.image_size_for_module(layer, handle, 32)


@pytest.mark.tf
def test_a_tf1_module_taking_images_and_more_is_read_by_its_images_input(tmp_path: Path) -> None:
    import tensorflow as tf

    import tfhub as hub
    from tfhub.tools import image_modules

    def module_fn() -> None:
        images = tf.compat.v1.placeholder(tf.float32, [None, 16, 16, 3], name="images")
        scale = tf.compat.v1.placeholder(tf.float32, [None], name="scale")
        features = tf.reduce_mean(images, axis=[1, 2]) * scale[:, None]
        hub.add_signature(inputs={"images": images, "scale": scale}, outputs=features)

    handle = os.fspath(tmp_path / "tf1")
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(module_fn))
        with tf.compat.v1.Session() as session:
            module.export(handle, session)
    layer = image_modules.load_module_layer(handle, trainable=False)
    assert image_modules.check_image_input(layer, handle) == (16, 16)


def test_a_reason_of_exactly_the_limit_is_kept_whole_and_a_hint_fits_within_it() -> None:
    from tfhub.tools import image_modules

    assert image_modules.cut_with_ellipsis("x" * 40, 40) == "x" * 40
    assert image_modules.cut_with_ellipsis("x" * 41, 40) == "x" * 37 + "..."
    missing = "Could not find callback with key=pyfunc_3 in the registry. " + "y" * 400
    reason = image_modules.module_reason(ValueError(missing), limit=120)
    assert len(reason) <= 120 and reason.endswith("does not keep)"), reason


def test_a_missing_file_of_a_model_is_not_called_damaged(tmp_path: Path) -> None:
    """The loader's MissingModelFileError (a FileNotFoundError) is a model not complete, not a
    damaged one (`.damaged` False); its other DamagedModelErrors are damaged."""
    from tfhub.tools import module_handles

    handle = os.fspath(tmp_path / "m")
    for raised, damaged in (
        (errors.MissingModelFileError("gone", path=handle, problem="variables missing"), False),
        (errors.DamagedModelError("cut", path=handle, problem="saved_model.pb cut"), True),
    ):
        with pytest.raises(errors.ModuleUnavailableError) as caught:
            with module_handles.loading(handle, flag="tfhub_module"):
                raise raised
        assert caught.value.damaged is damaged


def test_an_output_not_replaced_whole_may_hold_the_module(tmp_path: Path) -> None:
    """Only an output folder that is replaced whole would delete a module inside it."""
    from tfhub.tools import module_handles

    (tmp_path / "logs" / "module").mkdir(parents=True)
    module = os.fspath(tmp_path / "logs" / "module")
    kwargs = {"what": "summaries dir", "flag": "summaries_dir", "module_flag": "tfhub_module"}
    module_handles.check_output_apart(os.fspath(tmp_path / "logs"), module, **kwargs)
    with pytest.raises(errors.OutputNotWritableError, match="holds the module's folder"):
        module_handles.check_output_apart(
            os.fspath(tmp_path / "logs"), module, **kwargs, replaced_whole=True
        )


# --- module_search -------------------------------------------------------------------------


@pytest.mark.tf
def test_a_folder_dataset_gives_its_images_at_the_size_asked_each_time(shape_images: Path) -> None:
    from tfhub.tools.module_search import lib

    dataset = lib.FolderDataset(lib.DataSpec(os.fspath(shape_images), 6))
    assert next(dataset.batches((8, 8), 4)).shape == (4, 8, 8, 3)
    assert next(dataset.batches((5, 7), 4)).shape == (4, 5, 7, 3)


def test_a_module_list_with_classic_mac_line_ends_has_a_module_a_line(tmp_path: Path) -> None:
    from tfhub.tools.module_search import lib

    (tmp_path / "list.txt").write_bytes(b"/m/one\r/m/two\r")
    assert lib.read_module_list(os.fspath(tmp_path / "list.txt")) == ["/m/one", "/m/two"]


def test_a_vector_with_minus_zero_is_a_copy_of_the_one_with_zero() -> None:
    """-0.0 and 0.0 are one number: the three rows are copies of one vector either way."""
    from tfhub.tools.module_search import lib

    labels = np.array([1, 0, 0])
    with_zeros = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    with_minus_zero = np.array([[-0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    expected = lib.loo_1nn_error(with_zeros, labels)
    assert lib.loo_1nn_error(with_minus_zero, labels) == expected == 1.0


def test_k_may_be_every_reference_sample() -> None:
    from tfhub.tools.module_search import utils

    d = utils.compute_distance_matrix(np.eye(3), np.eye(3)[:2])
    assert utils.knn_errorrate(d, [0, 0, 1], [0, 1], k=3) == 0.5
    with pytest.raises(errors.ArgumentError, match="Received: k=4"):
        utils.knn_errorrate(d, [0, 0, 1], [0, 1], k=4)


@pytest.mark.tf
def test_images_that_cannot_be_read_end_the_ranking_even_with_on_failure(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    """The dataset's failure is no module's: no other module could be scored either."""
    import shutil

    from tfhub.tools.module_search import lib

    folder = tmp_path / "images"
    shutil.copytree(shape_images, folder)
    broken = sorted((folder / "circle").iterdir())[0]
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    dataset = lib.FolderDataset(lib.DataSpec(os.fspath(folder)))
    failures: list[str] = []
    with pytest.raises(errors.CorruptImageError):
        lib.rank_modules(
            [image_modules["fixed"], image_modules["variable"]],
            dataset,
            on_failure=lambda handle, err: failures.append(handle),
        )
    assert failures == []


# --- make_nearest_neighbour_index ----------------------------------------------------------


def _nn_validate(*argv: str) -> None:
    from tfhub.tools.make_nearest_neighbour_index import cli as nn_cli

    nn_cli.validate(nn_cli.build_parser().parse_args(list(argv)), [])


def test_nn_flags_at_their_bounds() -> None:
    """--projected_dim 0 is no projection (upstream's); --num_matches must be positive."""
    generate = ["generate", "--data_file_pattern=d/*", "--module_url=m", "--embed_output_dir=e"]
    _nn_validate(*generate, "--projected_dim=0")
    with pytest.raises(errors.ToolFlagError, match="Received: projected_dim=-1"):
        _nn_validate(*generate, "--projected_dim=-1")
    with pytest.raises(errors.ToolFlagError, match="Received: num_matches=0"):
        _nn_validate("query", "--module_url=m", "--index_output_dir=i", "--num_matches=0")


def test_remote_output_folders_whose_names_share_a_start_are_apart() -> None:
    _nn_validate("build", "--embed_output_dir=gs://b/index2", "--index_output_dir=gs://b/index")
    with pytest.raises(errors.ToolFlagError, match="must be apart"):
        _nn_validate("build", "--embed_output_dir=gs://b/i/e", "--index_output_dir=gs://b/i")


@pytest.mark.parametrize(
    ("name", "flag", "expected"),
    [
        ("beam-temp-emb-3f2a", "embed_output_dir", True),
        ("emb-00000-of-00001.tfrecords", "embed_output_dir", True),
        ("embeddings.tfrecords", "embed_output_dir", False),
        ("ann.index.json", "index_output_dir", True),
        ("ann.index.mapping.json", "index_output_dir", True),
        ("notes.json", "index_output_dir", False),
    ],
)
def test_the_output_folders_own_names(name: str, flag: str, expected: bool) -> None:
    """What generate and build write (and may replace); anything else in the folder is the
    user's, which they refuse to delete."""
    from tfhub.tools.make_nearest_neighbour_index.file_names import is_output_name

    assert is_output_name(name, flag=flag) is expected


def test_remote_index_files_are_left_to_the_reading() -> None:
    from tfhub.tools.make_nearest_neighbour_index import index_files

    index_files.check_index_folder("gs://bucket/index")
    remote = index_files.IndexFiles(
        index="gs://bucket/ann.index",
        mapping="gs://bucket/ann.index.mapping",
        matrix=None,
        received="index_file='gs://bucket/ann.index'",
    )
    remote.check_exists()
    with pytest.raises(errors.IndexFilesError, match="does not exist"):
        index_files.check_index_folder("/no/such/index")


def test_a_value_that_is_not_finite_is_placed_in_its_own_record() -> None:
    """A NaN that is the first value of the second record is the second record's."""
    from tfhub.tools.make_nearest_neighbour_index.record_checks import value_problem

    values = np.array([1.0, 2.0, np.nan, 4.0], np.float32)
    found = value_problem(values, np.array([0, 2, 4]))
    assert found is not None and found[0] == 1


def test_a_pattern_matches_hidden_files_as_beam_does(tmp_path: Path) -> None:
    from tfhub.tools.make_nearest_neighbour_index import input_files

    (tmp_path / ".titles.txt").write_text("a title\n")
    input_files.check(os.fspath(tmp_path / "*"))


# --- make_image_classifier -----------------------------------------------------------------


def test_label_smoothing_may_be_1() -> None:
    from tfhub.tools.make_image_classifier.hparams import check_hparams, get_default_hparams

    check_hparams(get_default_hparams()._replace(label_smoothing=1.0))


# --- atomic_output when a rename back fails (the one case an old copy stays aside) ---------


def _renames_to_fail(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Makes every rename onto `target` fail, as on a file system gone read-only meanwhile."""
    real_rename = os.rename

    def rename(source: str, destination: str) -> None:
        if os.fspath(destination) == os.fspath(target):
            raise OSError(errno.EIO, "Input/output error", os.fspath(destination))
        real_rename(source, destination)

    monkeypatch.setattr(os, "rename", rename)


def test_an_old_folder_that_cannot_be_put_back_stays_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    _renames_to_fail(monkeypatch, out)
    with pytest.raises(errors.OutputNotWritableError, match="Input/output error"):
        with atomic_output.write_folder(os.fspath(out), what="output folder") as tmp:
            (Path(tmp) / "new.txt").write_text("new")
    aside = atomic_output.moved_aside(os.fspath(out))
    assert aside is not None and (Path(aside) / "old.txt").read_text() == "old"


def test_a_killed_writes_old_folder_that_cannot_be_put_back_stays_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, aside = tmp_path / "out", tmp_path / ".out.old-0123456789ab"
    aside.mkdir()
    (aside / "old.txt").write_text("old")
    _renames_to_fail(monkeypatch, out)
    with pytest.raises(errors.OutputNotWritableError):
        with atomic_output.write_folder(os.fspath(out), what="output folder") as tmp:
            (Path(tmp) / "new.txt").write_text("new")
    assert (aside / "old.txt").read_text() == "old" and not out.exists()

"""module_search: ranks real image feature-vector modules (TF2 served over 127.0.0.1, TF1 from a
folder) on generated class folders; bad input ends in one-line errors."""

from __future__ import annotations

import os
import pickle
import shutil
import socket

import numpy as np
import pytest
from tests._helpers import image_models, image_sets
from tests._helpers.models import save_text_embedding
from tests.tools._picky_modules import save_multiple_of_module

from tfhub import errors
from tfhub.cli.main import main as tfhub_main
from tfhub.tools import image_decoding
from tfhub.tools.module_search import lib
from tfhub.tools.module_search.cli import main as tool_main


def _brute_force_loo(x: np.ndarray, labels: np.ndarray) -> float:
    wrong = 0
    for i in range(len(x)):
        others = [j for j in range(len(x)) if j != i]
        nearest = min(others, key=lambda j: float(np.sum((x[i] - x[j]) ** 2)))
        wrong += labels[nearest] != labels[i]
    return wrong / len(x)


def test_loo_1nn_error_matches_brute_force(monkeypatch):
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(37, 5)), rng.integers(0, 3, 37)
    monkeypatch.setattr(lib, "_ROWS_PER_BLOCK", 8)  # Several blocks.
    assert lib.loo_1nn_error(x, labels) == pytest.approx(_brute_force_loo(x, labels))


def test_module_list_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", "/home/ada")
    listed = tmp_path / "modules.txt"
    listed.write_text("# candidates\n\n  https://h/m/1  \n~/models/m\n#~/skipped\n")
    assert lib.read_module_list(str(listed)) == ["https://h/m/1", "/home/ada/models/m"]


@pytest.mark.parametrize("first", ["https://h/m/1", "# candidates"])
def test_a_module_list_saved_by_notepad_starts_with_its_first_line(tmp_path, first):
    """Windows Notepad saves UTF-8 with a byte order mark, which was read as part of the first
    handle ("\ufeffhttps://...") or made a first comment line a handle."""
    listed = tmp_path / "modules.txt"
    listed.write_bytes(f"{first}\r\nhttps://h/m/2\r\n".encode("utf-8-sig"))
    assert listed.read_bytes().startswith(b"\xef\xbb\xbf")
    expected = ["https://h/m/1"] if first.startswith("https") else []
    assert lib.read_module_list(str(listed)) == [*expected, "https://h/m/2"]


def test_a_module_list_on_a_closed_stdin_says_so(tmp_path):
    """`--module_list /dev/stdin <&-` said "No such file or directory"."""
    number = os.open(os.devnull, os.O_RDONLY)
    os.close(number)
    (tmp_path / "stdin").symlink_to(f"/proc/self/fd/{number}")
    with pytest.raises(errors.ToolFlagError, match=f"it names descriptor {number}, which is cl"):
        lib.read_module_list(str(tmp_path / "stdin"))


def test_dataset_spec():
    assert lib.DataSpec.parse("./flowers#500") == lib.DataSpec("./flowers", 500)
    assert str(lib.DataSpec.parse("cifar10")) == "cifar10"
    # `#0` keeps every example, as upstream's tool (`if num_examples: ds.take(...)`).
    assert lib.DataSpec.parse("x#0") == lib.DataSpec("x") == lib.DataSpec("x", 0)
    assert str(lib.DataSpec.parse("x#0")) == "x"
    for bad in ("#5", "x#-1", "x#a"):
        with pytest.raises(errors.ToolFlagError, match="NAME#N") as caught:
            lib.DataSpec.parse(bad)
        assert pickle.loads(pickle.dumps(caught.value)).value == bad


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("", "NAME is empty"),
        ("#abc", "the NAME before '#' is empty"),
        ("my#photos#-3", "N is -3"),
        (
            "my#photos#abc",
            "'abc' follows the last '#', not a number, and no folder 'my#photos#abc'",
        ),
        ("no#such", "'such' follows the last '#', not a number, and no folder 'no#such' exists"),
        ("my#photos#", "nothing follows the last '#', not a number"),
    ],
)
def test_a_bad_dataset_spec_says_why(spec, why, tmp_path, monkeypatch):
    (tmp_path / "my#photos").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.ToolFlagError, match="NAME#N") as caught:
        lib.DataSpec.parse(spec)
    assert f": {why}" in str(caught.value) and str(caught.value).endswith(f"dataset={spec!r}")


def test_a_folder_with_a_hash_sign_in_its_name(shape_images, tmp_path, monkeypatch):
    """`--dataset='my#photos'`, an existing folder, was refused: the spec was split at its
    first '#'. A spec naming a folder is that folder; else N follows the last '#'."""
    shutil.copytree(shape_images, tmp_path / "my#photos")
    monkeypatch.chdir(tmp_path)
    assert lib.DataSpec.parse("my#photos") == lib.DataSpec("my#photos")
    assert lib.DataSpec.parse("my#photos#6") == lib.DataSpec("my#photos", 6)
    assert str(lib.DataSpec.parse("my#photos#6")) == "my#photos#6"
    assert len(lib.load_dataset(lib.DataSpec.parse("my#photos")).labels) == 60
    assert len(lib.load_dataset(lib.DataSpec.parse("my#photos#6")).labels) == 6
    with pytest.raises(errors.ImageFolderError, match="does not exist"):  # Not tfds: a '#'.
        lib.load_dataset(lib.DataSpec.parse("other#photos#6"))
    (tmp_path / "photos#6").mkdir()  # The folder itself, not 6 of "photos".
    assert lib.DataSpec.parse("photos#6") == lib.DataSpec("photos#6")


@pytest.mark.tf
def test_the_command_reads_a_folder_with_a_hash_sign(
    shape_images, image_modules, tmp_path, monkeypatch, capsys
):
    shutil.copytree(shape_images, tmp_path / "my#photos")
    monkeypatch.chdir(tmp_path)
    for spec, count in (("my#photos", 60), ("my#photos#6", 6)):
        assert tool_main([f"--dataset={spec}", f"--module={image_modules['fixed']}"]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"# Module ranking for {spec} ({count} images")


@pytest.mark.tf
def test_a_module_named_twice_is_scored_and_ranked_once(
    shape_images, image_modules, tmp_path, capsys
):
    """A module in --module and in --module_list (or repeated) was scored twice and ranked
    twice, as two rows of the same module."""
    fixed = image_modules["fixed"]
    (tmp_path / "list.txt").write_text(f"{fixed}\n")
    argv = [f"--dataset={shape_images}#6", f"--module={fixed}", f"--module={fixed}"]
    assert tool_main([*argv, f"--module_list={tmp_path / 'list.txt'}"]) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    assert len(rows) == 1 and rows[0].endswith(f"  {fixed}"), rows


@pytest.mark.tf
def test_one_module_spelled_three_ways_is_scored_and_ranked_once(
    shape_images, image_modules, tmp_path, capsys
):
    """`m`, `m/` and `file://.../m` name one model, which was scored and ranked three times; it
    is listed once, as first spelled."""
    fixed = image_modules["fixed"].rstrip("/")
    spellings = [fixed, f"{fixed}/", f"file://{fixed}"]
    argv = [f"--dataset={shape_images}#6", *(f"--module={name}" for name in spellings)]
    assert tool_main(argv) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    assert len(rows) == 1 and rows[0].endswith(f"  {fixed}"), rows


def _save_brightness_module(path: str) -> str:
    """A poor feature vector: the mean brightness only (classes differ by colour, not by it)."""
    import tensorflow as tf

    class Brightness(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            return tf.reduce_mean(images, axis=[1, 2, 3])[:, None]

    tf.saved_model.save(Brightness(), path)
    return path


@pytest.mark.tf
def test_rank_modules_over_http_and_folders(
    shape_images, image_modules, tmp_path, served_dir, server
):
    image_models.make_module_tarball(image_modules["fixed"], served_dir / "fixed.tar.gz")
    served = server.url("fixed.tar.gz")
    poor = _save_brightness_module(str(tmp_path / "brightness"))
    spec = lib.DataSpec(str(shape_images), 30)
    dataset = lib.load_dataset(spec)
    assert np.bincount(dataset.labels).tolist() == [10, 10, 10]  # #N takes classes in turn.

    scores = lib.rank_modules([poor, image_modules["tf1"], served], dataset)
    assert [s.module for s in scores[:2]] == sorted([image_modules["tf1"], served])
    assert scores[2].module == poor and scores[2].dim == 1

    images = image_decoding.decode_images(dataset.files, (32, 32)).images / 255.0
    expected = _brute_force_loo(image_models.image_features(images), dataset.labels)
    assert scores[0].error == pytest.approx(expected) and scores[0].dim == 8
    assert scores[2].error > scores[0].error


@pytest.mark.tf
def test_folder_batches_are_made_float_one_at_a_time(shape_images):
    """All images as float32 at once took 4x the kept uint8 copy: TF Flowers at 224x224,
    5.6 GB peak RSS, now 1.4 GB (benchmarks/README.md)."""
    dataset = lib.load_dataset(lib.DataSpec(str(shape_images), 30))
    batches = dataset.batches((32, 32), 8)
    assert not isinstance(batches, (list, np.ndarray))  # Made when asked for.
    batches = list(batches)
    assert [len(batch) for batch in batches] == [8, 8, 8, 6]
    assert all(batch.dtype == np.float32 for batch in batches)
    images = image_decoding.decode_images(dataset.files, (32, 32)).images / 255.0
    np.testing.assert_allclose(np.concatenate(batches), images, atol=1e-6)


@pytest.mark.tf
def test_cli_prints_ranked_table(shape_images, image_modules, tmp_path, capsys):
    module_list = tmp_path / "modules.txt"
    module_list.write_text(f"# candidates\n\n{image_modules['variable']}\n")
    argv = [f"--dataset={shape_images}#12", f"--module={image_modules['fixed']}"]
    assert (
        tfhub_main(["module-search", *argv, f"--module_list={module_list}", "--image_size=40"]) == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"# Module ranking for {shape_images}#12 (12 images")
    assert out[1].split() == ["rank", "1nn_error", "dim", "seconds", "module"]
    ranked = [line.split() for line in out[2:]]
    assert [row[0] for row in ranked] == ["1", "2"]
    assert sorted(row[4] for row in ranked) == sorted(
        [image_modules["fixed"], image_modules["variable"]]
    )
    assert float(ranked[0][1]) <= float(ranked[1][1])


@pytest.mark.tf
def test_not_an_image_module(shape_images, tmp_path, capsys):
    text = save_text_embedding(str(tmp_path / "text"))
    assert tool_main([f"--dataset={shape_images}#6", f"--module={text}"]) != 0
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(err) == 1 and "not an image feature-vector module" in err[0] and text in err[0]
    assert err[0].endswith(f"Received: module={text!r}")  # The flag of this tool.


@pytest.mark.tf
def test_a_module_that_cannot_be_scored_leaves_the_others_ranked(
    shape_images, image_modules, tmp_path, capsys
):
    """Each bad module is one error line and the others are still scored (upstream stopped at
    the first, losing the scores computed so far); the exit code is the first failure's."""
    text = save_text_embedding(str(tmp_path / "text"))
    missing = str(tmp_path / "no_such_module")
    good = image_modules["fixed"]
    argv = [f"--dataset={shape_images}#9", f"--module={text}", f"--module={good}"]
    assert tool_main([*argv, f"--module={missing}"]) == 1
    printed = capsys.readouterr()
    table = printed.out.strip().splitlines()
    assert len(table) == 3 and table[2].split()[:1] + table[2].split()[-1:] == ["1", good]
    err = [line for line in printed.err.splitlines() if not line.startswith("tfhub: Scoring")]
    assert err[0].startswith("tfhub: error: ") and "not an image feature-vector module" in err[0]
    assert err[1].startswith(f"tfhub: not found: The module {missing} does not exist")
    assert err[2] == (
        f"tfhub: 2 of 3 modules could not be scored ({text}, {missing}): see the errors above; "
        "the table ranks the others."
    )
    dataset = lib.load_dataset(lib.DataSpec(str(shape_images), 9))
    with pytest.raises(errors.NotAnImageModuleError):  # The Python API raises unless told.
        lib.rank_modules([text, good], dataset)
    assert tool_main([f"--dataset={shape_images}#9", f"--module={missing}", f"--module={text}"])
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err.strip().endswith("no module was scored.")


@pytest.mark.tf
def test_a_module_failing_at_the_image_size_says_why(shape_images, image_modules, tmp_path, capsys):
    """The error line kept only Keras' "Exception encountered when calling KerasLayer.call().."
    and dropped the module's own reason."""
    picky = save_multiple_of_module(tmp_path / "multiple_of_16", 16)
    argv = [f"--dataset={shape_images}#6", f"--module={picky}", "--image_size=20"]
    assert tool_main([*argv, f"--module={image_modules['fixed']}"]) == 1
    printed = capsys.readouterr()
    assert printed.out.splitlines()[2].split()[-1] == image_modules["fixed"]  # Still ranked.
    (line,) = [line for line in printed.err.splitlines() if line.startswith("tfhub: error: ")]
    assert line.startswith(f"tfhub: error: The module {picky} fails on images of size (20, 20)")
    assert "assertion failed: [image size must be a multiple of 16]" in line
    assert "pass --image_size=224" in line and line.endswith("Received: image_size=20")
    assert "Exception encountered" not in line


@pytest.mark.tf
def test_corrupt_jpeg_is_named(shape_images, image_modules, tmp_path):
    folder = tmp_path / "images"
    shutil.copytree(shape_images, folder)
    bad = image_sets.write_corrupt_image(folder / "circle" / "circle_000.jpg")
    dataset = lib.load_dataset(lib.DataSpec(str(folder), 9))
    with pytest.raises(errors.CorruptImageError) as caught:
        lib.rank_modules([image_modules["fixed"]], dataset)
    assert caught.value.paths == [bad] and bad in str(caught.value)
    assert "\n" not in str(caught.value)
    assert pickle.loads(pickle.dumps(caught.value)).paths == [bad]


@pytest.mark.tf
def test_an_unreadable_file_is_one_error_line_not_a_skipped_warning_too(
    shape_images, image_modules, tmp_path, capsys
):
    """The command warned "Skipped 1 file(s) that could not be read as images: ..." and then
    stopped on the same file."""
    folder = tmp_path / "images"
    shutil.copytree(shape_images, folder)
    empty = folder / "circle" / "circle_000.jpg"
    empty.write_bytes(b"")
    assert tool_main([f"--dataset={folder}#9", f"--module={image_modules['fixed']}"]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if str(empty) in line]
    assert err == [
        f"tfhub: error: Cannot decode 1 image(s) of {folder}: {empty}. Remove or replace them. "
        f"Received: dataset='{folder}#9'"
    ]


def test_images_of_one_class_only(shape_images, tmp_path, capsys):
    with pytest.raises(errors.ImageFolderError, match="class"):
        lib.load_dataset(lib.DataSpec(str(shape_images), 1))
    one = tmp_path / "one"
    shutil.copytree(shape_images / "circle", one / "circle")
    assert tool_main([f"--dataset={one}", "--module=m"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(f"Received: dataset={str(one)!r}")


def test_tfds_name_needs_internet_and_tries_no_connection(monkeypatch, capsys):
    def no_outside(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not isinstance(host, bytes):
            raise AssertionError(f"network access attempted: {address}")
        return real_connect(self, address)

    real_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", no_outside)
    with pytest.raises(errors.DatasetUnavailableError) as caught:
        lib.load_dataset(lib.DataSpec.parse("cifar10#100"))
    assert "internet" in str(caught.value) and caught.value.dataset == "cifar10#100"
    assert isinstance(caught.value, ConnectionError)
    assert tool_main(["--dataset=cifar10#100", "--module=m"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tensorflow_datasets" in err[0] and "folder" in err[0]


@pytest.mark.parametrize(
    ("content", "argv", "message"),
    [
        (None, ["--module_list={list}"], "No such file or directory"),
        (b"/models/caf\xe9\n", ["--module_list={list}"], "can't decode byte 0xe9"),
        (None, ["--module=m", "--image_size=0"], "--image_size must be a positive number"),
    ],
)
def test_unusable_flags_are_one_line_before_any_work(
    content, argv, message, shape_images, tmp_path, capsys
):
    module_list = tmp_path / "modules.txt"
    if content is not None:
        module_list.write_bytes(content)
    args = [f"--dataset={tmp_path / 'no_images'}"]
    args += [arg.format(list=module_list) for arg in argv]
    code = tool_main(args)
    (line,) = capsys.readouterr().err.strip().splitlines()
    if "No such file" in message:  # A missing file, as in every command: not found, exit 7.
        assert code == 7 and line.startswith("tfhub: not found: ") and message in line
    else:
        assert code != 0 and line.startswith("tfhub: error: ") and message in line
    flag = "module_list" if "list" in argv[0] else "image_size"
    assert f"Received: {flag}=" in line


def test_module_flags_are_required(shape_images, capsys):
    assert tool_main([f"--dataset={shape_images}"]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tfhub: ") and "--module" in line
    assert not os.path.exists("modules.txt")


def _save_nan_module(path) -> str:
    """An image module whose feature vectors are NaN (0/0): a broken module, as one that
    overflows in float16 is."""
    import tensorflow as tf

    class Nan(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 32, 32, 3], tf.float32)])
        def __call__(self, images):
            means = tf.reduce_mean(images, axis=[1, 2])
            return means * 0.0 / 0.0

    tf.saved_model.save(Nan(), os.fspath(path))
    return os.fspath(path)


@pytest.mark.tf
def test_a_module_whose_vectors_are_not_finite_is_not_ranked(
    shape_images, image_modules, tmp_path, capsys
):
    """NaN distances made argmin pick the first image: the module was ranked with an error
    rate that meant nothing (0.667 on three classes)."""
    nan = _save_nan_module(tmp_path / "nan")
    good = image_modules["fixed"]
    assert tool_main([f"--dataset={shape_images}#9", f"--module={nan}", f"--module={good}"]) == 1
    printed = capsys.readouterr()
    table = printed.out.strip().splitlines()
    assert len(table) == 3 and table[2].split()[-1] == good
    (line,) = [line for line in printed.err.splitlines() if line.startswith("tfhub: error: ")]
    assert f"{nan} is not an image feature-vector module: its feature vectors of 9 of 9" in line
    assert "hold NaN or infinity" in line and line.endswith(f"Received: module={nan!r}")


@pytest.mark.tf
def test_fewer_examples_than_classes_leave_out_classes_not_blame_their_images(
    shape_images, image_modules, capsys
):
    """`#2` of three classes takes one image of each of the first two: the third class used to
    be an error saying its folder held "no readable image" and to replace damaged files."""
    argv = [f"--dataset={shape_images}#2", f"--module={image_modules['fixed']}"]
    assert tool_main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"# Module ranking for {shape_images}#2 (2 images")
    assert out[2].split()[1] == "1.000"  # One image of each class: its neighbour is the other.

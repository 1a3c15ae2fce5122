"""Claims of docs/tools.md that no other test checked (session 36, the second pass over it), each
test naming the claim it checks. Real parts only: the tools' own parsers, pipelines and
libraries, tf_keras' ImageDataGenerator transform as upstream's reference, the tiny text
embedding's records of _nn_support."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.tools import _nn_support as nn

from tfhub import errors
from tfhub.tools.make_image_classifier import data, get_default_hparams

_SIZE = 32
_NO_DISTORTION = get_default_hparams()._replace(
    do_data_augmentation=True,
    horizontal_flip=False,
    rotation_range=0,
    shear_range=0,
    width_shift_range=0,
    height_shift_range=0,
    zoom_range=0,
)


def _vertical_line(count: int) -> np.ndarray:
    """`count` grey images [count, 32, 32, 3] in [0, 1] with a white line down columns 15-16."""
    images = np.full((count, _SIZE, _SIZE, 3), 0.5, np.float32)
    images[:, :, 15:17, :] = 1.0
    return images


def _line_columns(image: np.ndarray, row: int) -> float:
    """Where the white line crosses `row` of `image` (the mean of its bright columns)."""
    return float(np.where(image[row, :, 0] > 0.75)[0].mean())


@pytest.mark.tf
def test_a_random_shear_turns_the_image_about_its_centre_as_image_data_generator() -> None:
    """Input pipeline: augmentation "with ImageDataGenerator's meaning of the ranges" and
    "nearest" fill; `--shear_range` "shear angle in degrees, in [-s, s]". Upstream's
    ImageDataGenerator sheared about the image's centre: its middle row stays, the top and
    bottom rows move opposite ways by at most sin(s) x half the height (Keras 3's RandomShear
    shears about the top-left corner: the top row stayed and the bottom rows moved by up to the
    whole width, out of the image)."""
    hparams = _NO_DISTORTION._replace(shear_range=30)
    augment = data.make_augmenter(hparams, (_SIZE, _SIZE), seed=0)
    assert augment is not None
    sheared = np.asarray(augment(_vertical_line(64)))
    assert sheared.min() == pytest.approx(0.5)  # Filled with the nearest pixels, not black.
    reach = math.sin(math.radians(30)) * (_SIZE - 1) / 2
    tops = []
    for image in sheared:
        assert _line_columns(image, 16) == pytest.approx(15.5, abs=1.0)
        top, bottom = _line_columns(image, 0) - 15.5, _line_columns(image, _SIZE - 1) - 15.5
        assert abs(top) <= reach + 1 and top == pytest.approx(-bottom, abs=1.5), (top, bottom)
        tops.append(top)
    assert min(tops) < -reach / 2 and max(tops) > reach / 2  # Both ways, most of the range.


@pytest.mark.tf
@pytest.mark.parametrize("degrees", [10.0, -25.0, 45.0, 60.0, -120.0])
def test_a_shear_by_an_angle_is_image_data_generators(degrees: float) -> None:
    """`--shear_range`: "shear angle in degrees" with ImageDataGenerator's meaning: the image
    sheared by an angle is what upstream's `apply_affine_transform(x, shear=angle,
    fill_mode="nearest")` (tf_keras' copy of keras_preprocessing's) gives, up to the two
    libraries' bilinear rounding."""
    tf_keras_image = pytest.importorskip(
        "tf_keras.preprocessing.image", reason="tf_keras holds upstream's ImageDataGenerator"
    )
    images = np.random.default_rng(0).random((2, _SIZE, _SIZE, 3), dtype=np.float32)
    ours = np.asarray(data.shear_images(images, np.full(2, degrees, np.float32)))
    for image, sheared in zip(images, ours, strict=True):
        upstream = tf_keras_image.apply_affine_transform(
            image, shear=degrees, row_axis=0, col_axis=1, channel_axis=2, fill_mode="nearest"
        )
        np.testing.assert_allclose(sheared, upstream, atol=1e-4)


def _bright_centre(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the mean of `image`'s bright pixels."""
    rows, columns = np.where(image[:, :, 0] > 0.75)
    return float(rows.mean()), float(columns.mean())


@pytest.mark.tf
def test_rotation_shifts_and_zoom_have_image_data_generators_ranges() -> None:
    """The flag table and Input pipeline: `--rotation_range` "rotation in degrees, in [-r, r]";
    `--width_shift_range` "fraction of the width if < 1, else pixels"; `--zoom_range` "zoom in
    [1 - z, 1 + z], independently per axis" (ImageDataGenerator's meaning: about the centre);
    "nearest" fill (the grey background stays grey)."""
    centre = (_SIZE - 1) / 2
    dot = np.full((200, _SIZE, _SIZE, 3), 0.5, np.float32)
    dot[:, 15:17, 26:28, :] = 1.0  # 11 pixels right of the centre.
    rotate = data.make_augmenter(_NO_DISTORTION._replace(rotation_range=30), (_SIZE, _SIZE))
    assert rotate is not None
    turned = np.asarray(rotate(dot))
    assert turned.min() == pytest.approx(0.5)
    angles = [
        math.degrees(math.atan2(centre - r, c - centre)) for r, c in map(_bright_centre, turned)
    ]
    assert max(map(abs, angles)) <= 31 and min(angles) < -20 and max(angles) > 20

    line = _vertical_line(200)
    for shift in (8, 0.25):  # 8 pixels, or a quarter of 32.
        move = data.make_augmenter(_NO_DISTORTION._replace(width_shift_range=shift), (_SIZE, _SIZE))
        assert move is not None
        moved = [_line_columns(image, 16) - 15.5 for image in np.asarray(move(line))]
        assert max(map(abs, moved)) <= 8 and min(moved) <= -6 and max(moved) >= 6, shift

    cross = np.full((200, _SIZE, _SIZE, 3), 0.5, np.float32)
    cross[:, 15:17, 24:26, :] = 1.0  # A dot 9 pixels right of the centre and one 9 below it.
    cross[:, 24:26, 15:17, :] = 1.0
    zoom = data.make_augmenter(_NO_DISTORTION._replace(zoom_range=0.4), (_SIZE, _SIZE))
    assert zoom is not None
    scales = []
    for image in np.asarray(zoom(cross)):
        right = np.where(image[15:17, 17:, 0].max(axis=0) > 0.75)[0]
        below = np.where(image[17:, 15:17, 0].max(axis=1) > 0.75)[0]
        if len(right) and len(below):  # Still inside the image (zoomed in by at most 1 / 0.6).
            scales.append((9 / (right.mean() + 17 - centre), 9 / (below.mean() + 17 - centre)))
    across, down = np.array(scales).T
    assert across.min() >= 0.55 and across.max() <= 1.45 and down.min() >= 0.55
    assert across.min() < 0.75 and across.max() > 1.25  # Most of [0.6, 1.4].
    assert np.corrcoef(across, down)[0, 1] < 0.5  # Each axis its own factor.


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.mark.tf
def test_a_projection_matrix_that_does_not_fit_is_named_by_build_and_query(
    tmp_path: Path, text_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """make_nearest_neighbour_index's error table: for `build`, a projection matrix beside the
    records whose size is not theirs is an `EmbeddingFilesError` (run generate again); a matrix
    file that is damaged or not a 2-D matrix of numbers is an `IndexFilesError` naming it, in
    `build` and in `query` ("run generate and build again"); one line, and no output."""
    from tfhub.tools.make_nearest_neighbour_index import files
    from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

    embeds, index = tmp_path / "embed", tmp_path / "index"
    embeds.mkdir()
    vectors = np.random.default_rng(0).normal(size=(6, 4))
    nn.write_records(
        embeds / "emb-00000-of-00001.tfrecords",
        [(f"item {i}".encode(), v.tolist()) for i, v in enumerate(vectors)],
    )
    matrix = embeds / files.RANDOM_PROJECTION_NPY
    build = ["build", f"--embed_output_dir={embeds}", f"--index_output_dir={index}"]
    np.save(matrix, np.ones((8, 3)))  # The records' size is 4.
    assert tool_main(build) == 1
    line = _last_line(capsys.readouterr().err)
    assert line.startswith("tfhub: error: The embeddings in ") and "generate` again" in line
    assert "(8, 3)" in line and not index.exists()

    matrix.write_bytes(b"not a matrix")
    assert tool_main(build) == 1
    line = _last_line(capsys.readouterr().err)
    assert f"The projection matrix {matrix} is not a NumPy .npy file" in line
    assert "run generate and build again" in line and not index.exists()

    matrix.unlink()
    assert tool_main(build) == 0
    np.save(index / files.RANDOM_PROJECTION_NPY, np.array([["a", "b"]]))
    query = ["query", f"--module_url={text_module}", f"--index_output_dir={index}", "--query=x"]
    capsys.readouterr()
    assert tool_main(query) == 1
    line = _last_line(capsys.readouterr().err)
    assert "is not a matrix of numbers (it holds <U1)" in line and str(index) in line
    with pytest.raises(errors.IndexFilesError):
        from tfhub.tools.make_nearest_neighbour_index.similarity_finder import SimilarityFinder

        SimilarityFinder(text_module, str(index))


@pytest.mark.parametrize(
    ("tool", "argv", "flag", "said"),
    [
        ("make_image_classifier", ["--image_dir=."], "--batch_size=0", "--batch_size must be"),
        ("module_search", ["--dataset=d", "--module=m"], "--image_size=0", "--image_size must"),
        (
            "make_nearest_neighbour_index",
            ["build", "--embed_output_dir=e", "--index_output_dir=i"],
            "--num_trees=0",
            "--num_trees must be",
        ),
        (
            "make_nearest_neighbour_index",
            ["query", "--module_url=m", "--index_output_dir=i"],
            "--num_matches=0",
            "--num_matches must be",
        ),
    ],
)
def test_absls_flagfile_is_read_as_upstreams_tools_read_it(
    tool: str, argv: list[str], flag: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Intro: the console scripts take command lines written for upstream's absl tools: each
    tool reads the flags of a `--flagfile` (comment lines skipped) as if given there."""
    import importlib

    main = importlib.import_module(f"tfhub.tools.{tool}.cli").main
    flagfile = tmp_path / "flags.txt"
    flagfile.write_text(f"# upstream's flags\n{flag}\n")
    ended = main([*argv, f"--flagfile={flagfile}"])
    assert ended == 1
    assert said in _last_line(capsys.readouterr().err)


@pytest.mark.tf
def test_upstreams_run_main_runs_the_command_and_exits_with_its_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Upstream's program module: `retrain_script.run_main()` runs as the console script does
    (upstream's `app.run(main)`): it reads `sys.argv` (absl's forms too: `-image_dir=...`,
    `0o40`) and exits with the command's status and its one error line."""
    from tfhub.tools.make_image_classifier import make_image_classifier as retrain_script

    missing = tmp_path / "no_photos"
    argv = ["make_image_classifier", f"-image_dir={missing}", "--batch_size=0o40"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as ended:
        retrain_script.run_main()
    assert ended.value.code == 1
    line = _last_line(capsys.readouterr().err)
    assert line.startswith(f"tfhub: error: Cannot use the image folder {missing}")
    monkeypatch.setattr("sys.argv", ["make_image_classifier", "--batch_size=0o40", "--nope"])
    with pytest.raises(SystemExit) as ended:
        retrain_script.run_main()
    assert ended.value.code == 2
    assert _last_line(capsys.readouterr().err).endswith("unrecognized arguments: --nope")


@pytest.mark.tf
@pytest.mark.slow
def test_sigterm_ranks_the_modules_scored_so_far_and_exits_143(
    shape_images: Path, image_modules: dict[str, str]
) -> None:
    """module_search: "Interrupted (Ctrl-C, SIGTERM), the command still prints the table of the
    modules scored so far ... (SIGTERM: `terminated (SIGTERM)`, 143)" (Ctrl-C, 130: probes30).
    The second module's download hangs on a server that never answers; SIGTERM comes then."""
    import signal

    from tests.tools._module_search_runs import stopped_while_scoring

    fixed = image_modules["fixed"]
    stopped = stopped_while_scoring(shape_images, fixed, signal.SIGTERM)
    assert stopped.returncode == 143, stopped.before + stopped.err
    rows = stopped.out.strip().splitlines()
    assert len(rows) == 3 and rows[2].split()[-1] == fixed, stopped.out
    assert _last_line(stopped.err) == (
        "tfhub-module-search: terminated (SIGTERM). The table ranks the 1 module(s) scored before."
    )


@pytest.mark.tf
def test_an_earlier_runs_summaries_stay_in_the_summaries_dir(
    shape_images: Path, image_modules: dict[str, str], tmp_path: Path
) -> None:
    """The flag table: `--summaries_dir` "TensorBoard summaries (`train/`, `validation/`) ...;
    an earlier run's summaries in the folder stay, as upstream's did" (the folder is not
    replaced as `--saved_model_dir` is): a second run adds its event files beside the first's,
    which keep their bytes."""
    from tfhub.tools.make_image_classifier import Outputs, train_and_export

    logs = tmp_path / "logs"
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=16)

    def run() -> None:
        train_and_export(
            image_modules["fixed"],
            str(shape_images),
            hparams,
            outputs=Outputs(summaries_dir=str(logs)),
            say=lambda line: None,
        )

    def events() -> dict[str, bytes]:
        return {
            str(path.relative_to(logs)): path.read_bytes()
            for path in logs.rglob("events.out.tfevents.*")
        }

    run()
    first = events()
    assert {name.split("/")[0] for name in first} == {"train", "validation"}
    run()
    second = events()
    assert len(second) == 2 * len(first)
    assert all(second[name] == data for name, data in first.items())


def test_the_python_configs_check_their_numbers_as_the_command_checks_its_flags() -> None:
    """make_nearest_neighbour_index, Python: `GenerateConfig` and `BuildConfig` refuse a count
    that is not an integer (`ArgumentTypeError`, a TypeError) or below 1 (`ArgumentError`) when
    made, as the command refuses the flags; `projected_dim` None or 0 means no projection (as
    upstream's `if projected_dim`), and a negative one is refused there too, not after the
    module loads."""
    from tfhub.tools.make_nearest_neighbour_index import embedding_generator, index_builder

    def generate(**numbers: Any) -> Any:
        return embedding_generator.GenerateConfig("d.txt", "m", "e", **numbers)

    for no_projection in (None, 0):
        assert generate(projected_dim=no_projection).projected_dim == no_projection
    for name, wrong_type in (("batch_size", 2.0), ("projected_dim", "4"), ("batch_size", True)):
        with pytest.raises(errors.ArgumentTypeError):
            generate(**{name: wrong_type})
    for name, too_small in (("batch_size", 0), ("projected_dim", -1)):
        with pytest.raises(errors.ArgumentError) as caught:
            generate(**{name: too_small})
        assert not isinstance(caught.value, TypeError)
        assert str(caught.value).endswith(f"Received: {name}={too_small}")
    with pytest.raises(errors.ArgumentTypeError):
        index_builder.BuildConfig("e", "i", num_trees="5")  # type: ignore[arg-type]
    with pytest.raises(errors.ArgumentError, match="at least 1 "):
        index_builder.BuildConfig("e", "i", num_trees=0)


def test_a_modules_reason_is_cut_to_300_characters() -> None:
    """make_image_classifier's errors: `NotAnImageModuleError` gives "the module's own reason
    ..., cut to 300 characters" (module_search's errors give the same reason)."""
    from tfhub.tools.image_modules import module_reason

    short = "Matrix size-incompatible: In[0]: [2,5], In[1]: [8,4]"
    assert module_reason(ValueError(short)) == short
    cut = module_reason(ValueError("word " * 200))
    assert len(cut) == 300 and cut.endswith("word wo...")


def _doc_commands(program: str) -> list[list[str]]:
    """The `program` command lines of docs/tools.md's bash blocks (continuations joined, `...`
    and comments dropped), split as a shell splits them."""
    import re
    import shlex

    doc = (Path(__file__).resolve().parents[2] / "docs" / "tools.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", doc, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("#"):
                continue
            words = shlex.split(line.split(" # ")[0].replace("...", ""))
            if words[:1] == [program]:
                commands.append(words[1:])
    return commands


def test_the_beam_options_of_the_docs_examples_reach_beam() -> None:
    """`generate` is an Apache Beam pipeline: "every Beam option passes through", and "one that
    Beam does not know either ... is an error before any work": each example command of the
    section (worker processes, Flink, Spark, Dataflow) is read by the tool's parser, and what it
    leaves are options Beam knows, whose values Beam takes."""
    from tfhub.tools.make_nearest_neighbour_index import beam_options, cli

    generates = [
        argv for argv in _doc_commands("make_nearest_neighbour_index") if argv[0] == "generate"
    ]
    runners = set()
    for argv in generates:
        args, beam_args = cli.build_parser().parse_known_args(argv)
        assert args.operation == "generate"
        beam_options.check_pipeline_args(beam_args)
        runners.update(arg.split("=")[1] for arg in beam_args if arg.startswith("--runner="))
    assert runners == {"FlinkRunner", "SparkRunner", "DataflowRunner"}
    assert any("--direct_running_mode=multi_processing" in argv for argv in generates)
    with pytest.raises(errors.ToolFlagError, match="Did you mean --flink_master"):
        beam_options.check_pipeline_args(["--runner=FlinkRunner", "--flink_mastr=h:8081"])


@pytest.mark.parametrize(
    ("program", "module", "count"),
    [
        ("make_image_classifier", "make_image_classifier", 1),
        ("tfhub-module-search", "module_search", 1),
        ("make_nearest_neighbour_index", "make_nearest_neighbour_index", 9),
    ],
)
def test_every_example_command_of_the_docs_is_read_by_its_tools_parser(
    program: str, module: str, count: int
) -> None:
    """Every example command: the tool's parser reads each command line of docs/tools.md's
    examples whole (generate's Beam options: the test above), with the values the text says."""
    import importlib

    parser = importlib.import_module(f"tfhub.tools.{module}.cli").build_parser()
    commands = _doc_commands(program)
    assert len(commands) == count
    for argv in commands:
        args, rest = parser.parse_known_args(argv)
        assert rest == [] or args.operation == "generate", (argv, rest)
    if program == "tfhub-module-search":
        (args, _) = parser.parse_known_args(commands[0])
        assert args.dataset == "./flowers#500" and args.module_list == "candidates.txt"
        assert args.module == [
            "https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/feature_vector/4"
        ]
    if program == "make_nearest_neighbour_index":
        queries = [parser.parse_known_args(argv)[0].query for argv in commands]
        assert ["stocks fall", "new vaccine"] in queries


@pytest.mark.tf
def test_projected_dim_0_means_no_projection_as_upstream(
    tmp_path: Path, text_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Intro: "command lines written for upstream keep working"; upstream's validate_args took
    `--projected_dim=0` (its check was `if FLAGS.projected_dim and FLAGS.projected_dim < 1`)
    and generate then projected nothing (`if projected_dim and ...`). The command, and
    upstream's program module, refuse only a negative one, before any work."""
    from tfhub.tools.make_nearest_neighbour_index import files
    from tfhub.tools.make_nearest_neighbour_index import make_nearest_neighbour_index as hub2ann
    from tfhub.tools.make_nearest_neighbour_index.cli import main as tool_main

    data = nn.write_lines(tmp_path / "titles.txt", nn.lines(12))
    embeds = tmp_path / "embed"
    argv = ["generate", f"--data_file_pattern={data}", f"--module_url={text_module}"]
    assert tool_main([*argv, f"--embed_output_dir={embeds}", "--projected_dim=0"]) == 0
    assert f"Embeddings of size {nn.DIM} written" in capsys.readouterr().out
    assert not (embeds / files.RANDOM_PROJECTION_NPY).exists()
    assert nn.read_records(str(embeds))[1].shape[1] == nn.DIM

    refused = tmp_path / "refused"
    assert tool_main([*argv, f"--embed_output_dir={refused}", "--projected_dim=-1"]) == 1
    line = _last_line(capsys.readouterr().err)
    assert line.startswith("tfhub: error: --projected_dim must be") and line.endswith("=-1")
    assert not refused.exists()

    flags = hub2ann.FLAGS
    saved = {name: flags[name].value for name in flags}
    try:
        flags.data_file_pattern, flags.module_url = data, text_module
        flags.embed_output_dir, flags.projected_dim = str(refused), 0
        assert hub2ann.validate_args(["prog", "generate"]) == "generate"
        flags.projected_dim = -1
        with pytest.raises(errors.ToolFlagError, match="projected_dim"):
            hub2ann.validate_args(["prog", "generate"])
    finally:
        for name, value in saved.items():
            flags[name].value = value

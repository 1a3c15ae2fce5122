"""make_image_classifier's command runs each TensorFlow op on one thread when it trains on
bottlenecks (the module runs in the tf.data pipeline, several images at once, one core each),
if TensorFlow has not started yet and TF_NUM_INTRAOP_THREADS is not set; the library's
functions leave the process's threads alone unless asked."""

from __future__ import annotations

import json
import subprocess

import pytest
from tests._helpers import image_sets
from tests.tools._one_child import run_programs

pytestmark = [pytest.mark.tf]

CALLS = """
    import json, sys
    import tensorflow as tf
    from tfhub.tools.make_image_classifier import get_default_hparams
    from tfhub.tools.make_image_classifier.module_setup import (
        single_threaded_ops_for_bottlenecks as single,
    )
    hparams = get_default_hparams()
    if sys.argv[1] == "started":
        tf.constant(1.0) + 1.0  # TensorFlow's context starts: its thread pools are fixed.
    done = [single(hparams._replace(do_fine_tuning=True))]
    threads = [tf.config.threading.get_intra_op_parallelism_threads()]
    done.append(single(hparams))
    threads.append(tf.config.threading.get_intra_op_parallelism_threads())
    print(json.dumps([done, threads]))
"""


def _calls(runs: dict[str, subprocess.CompletedProcess[str]], name: str) -> list[list[object]]:
    """What the program `name` of `runs` printed last, read as JSON (it exited 0)."""
    done = runs[name]
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every program of this module, each in a process of its own with TensorFlow imported but
    not started, as a fresh `python -c "import tensorflow ..."` is: forked from one child that
    imported it (tests/tools/_one_child.py), so TensorFlow is imported once, not five times."""
    work = tmp_path_factory.mktemp("perf47")
    image_sets.make_image_folder(work / "images", per_class=5, sizes=((16, 16),))
    plan = [
        ("fresh", CALLS, ["fresh"]),
        ("started", CALLS, ["started"]),
        ("fresh_threads_set", CALLS, ["fresh"], {"TF_NUM_INTRAOP_THREADS": "2"}),
    ]
    for how in ("command", "library"):
        args = [str(work / "images"), str(work / "no_module"), str(work / f"out_{how}")]
        plan.append((how, COMMAND, [how, *args]))
    return run_programs(plan, prelude="import tensorflow", fork=True)


def test_one_thread_per_op_with_bottlenecks_only_before_tensorflow_starts(
    runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    # Fine-tuning trains the whole model: every core for its ops; bottlenecks: one each.
    assert _calls(runs, "fresh") == [[False, True], [0, 1]]
    # Too late: nothing changed, no error.
    assert _calls(runs, "started") == [[False, False], [0, 0]]
    assert _calls(runs, "fresh_threads_set") == [[False, False], [0, 0]]


COMMAND = """
    import json, sys
    import tensorflow as tf
    from tfhub import errors
    from tfhub.tools.make_image_classifier import cli, get_default_hparams, lib
    from tfhub.tools.make_image_classifier.export import Outputs
    images, missing, out = sys.argv[2:5]
    if sys.argv[1] == "command":
        code = cli.main(["--image_dir", images, "--tfhub_module", missing,
                         "--saved_model_dir", out])
    else:
        try:
            lib.train_and_export(missing, images, get_default_hparams(),
                                 outputs=Outputs(saved_model_dir=out))
        except errors.ModuleUnavailableError:  # Where the command stops too.
            code = 1
    print(json.dumps([code, tf.config.threading.get_intra_op_parallelism_threads()]))
"""


@pytest.mark.parametrize(("how", "threads"), [("command", 1), ("library", 0)])
def test_the_command_sets_it_the_library_does_not(
    runs: dict[str, subprocess.CompletedProcess[str]], how: str, threads: int
) -> None:
    # The run stops at the missing module (after the threads are chosen, before training).
    done = runs[how]
    code, intra = _calls(runs, how)
    assert code != 0 and intra == threads
    if how == "command":
        assert "no_module" in done.stderr  # It stopped at the module, as the library did.

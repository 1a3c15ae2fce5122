"""make_image_classifier's command runs each TensorFlow op on one thread when it trains on
bottlenecks (the module runs in the tf.data pipeline, several images at once, one core each),
if TensorFlow has not started yet and TF_NUM_INTRAOP_THREADS is not set; the library's
functions leave the process's threads alone unless asked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests._helpers import image_sets
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

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


def _run(forks: ForkServer, code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` run as `python -c code *args` with `child_env(**env)`, in a process forked with
    TensorFlow imported but not started (tests/tools/_one_child.py); checked to exit 0."""
    done = forks.run(code, *args, env=child_env(**env))
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def _calls(forks: ForkServer, case: str, **env: str) -> list[list[object]]:
    done = _run(forks, CALLS, case, **env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_one_thread_per_op_with_bottlenecks_only_before_tensorflow_starts(
    forks: ForkServer,
) -> None:
    # Fine-tuning trains the whole model: every core for its ops; bottlenecks: one each.
    assert _calls(forks, "fresh") == [[False, True], [0, 1]]
    # Too late: nothing changed, no error.
    assert _calls(forks, "started") == [[False, False], [0, 0]]
    assert _calls(forks, "fresh", TF_NUM_INTRAOP_THREADS="2") == [[False, False], [0, 0]]


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
    forks: ForkServer, tmp_path: Path, how: str, threads: int
) -> None:
    # The run stops at the missing module (after the threads are chosen, before training).
    image_sets.make_image_folder(tmp_path / "images", per_class=5, sizes=((16, 16),))
    args = (str(tmp_path / "images"), str(tmp_path / "no_module"), str(tmp_path / "out"))
    done = _run(forks, COMMAND, how, *args)
    code, intra = json.loads(done.stdout.strip().splitlines()[-1])
    assert code != 0 and intra == threads
    if how == "command":
        assert "no_module" in done.stderr  # It stopped at the module, as the library did.

"""review49d-F3: upstream's program module `make_image_classifier` defined its flags on absl's
global `flags.FLAGS`, and upstream's own test drove it with `flagsaver.flagsaver(image_dir=...,
...)` and `make_image_classifier.main([])`. tfhub's flags lived only in a FlagValues of their
own, so that failed with absl's "Unknown command line flag 'image_dir'" (as did `app.run(main)`
with `--image_dir=...`). Each flag is now also on the global FLAGS, as the same flag, where no
other program's flag has its name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.tools._one_child import ForkServer

_UPSTREAM_TEST = """
    import sys
    from absl.testing import flagsaver
    from tfhub.tools.make_image_classifier import make_image_classifier

    images, module, out = sys.argv[1:4]
    with flagsaver.flagsaver(
        image_dir=images, tfhub_module=module, image_size=32, train_epochs=1, batch_size=8,
        labels_output_file=out + "/labels.txt", saved_model_dir=out + "/saved",
    ):
        make_image_classifier.main([])
    print(open(out + "/labels.txt").read().split())
"""

_COMMAND_LINE = """
    import json, sys
    from absl import flags

    clash = sys.argv[1] == "clash"
    if clash:  # Another program's flag of the same name, defined first.
        flags.DEFINE_string("image_dir", "theirs", "another program's flag")
    from tfhub.tools.make_image_classifier import make_image_classifier as mic

    if sys.argv[1] == "later":  # Another program's flag of the same name, defined after.
        flags.DEFINE_string("image_dir", "theirs", "another program's flag")
    flags.FLAGS(["prog", "--batch_size=3", "--image_dir=/photos", "--nodo_fine_tuning"])
    print(json.dumps({
        "batch_size": mic.FLAGS.batch_size, "image_dir": mic.FLAGS.image_dir,
        "global_image_dir": flags.FLAGS.image_dir, "not_shared": list(mic._NOT_SHARED),
        "same_flag": flags.FLAGS["batch_size"] is mic.FLAGS["batch_size"],
    }))
"""


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_upstreams_own_test_drives_the_program_with_flagsaver(
    forks: ForkServer, image_modules: dict[str, str], shape_images: Path, tmp_path: Path
) -> None:
    done = forks.run(
        _UPSTREAM_TEST, os.fspath(shape_images), image_modules["fixed"], os.fspath(tmp_path),
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip().splitlines()[-1] == "['circle', 'square', 'triangle']"
    assert (tmp_path / "saved" / "saved_model.pb").is_file()


def test_absls_global_command_line_sets_the_programs_flags(forks: ForkServer) -> None:
    done = forks.run(_COMMAND_LINE, "alone", timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "batch_size": 3, "image_dir": "/photos", "global_image_dir": "/photos",
        "not_shared": [], "same_flag": True,
    }  # fmt: skip


def test_a_name_another_program_defined_first_stays_its_own(forks: ForkServer) -> None:
    done = forks.run(_COMMAND_LINE, "clash", timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "batch_size": 3, "image_dir": None, "global_image_dir": "/photos",
        "not_shared": ["image_dir"], "same_flag": True,
    }  # fmt: skip


def test_a_name_another_program_defines_later_becomes_its_own(forks: ForkServer) -> None:
    """Where upstream's module made it absl's DuplicateFlagError."""
    done = forks.run(_COMMAND_LINE, "later", timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "batch_size": 3, "image_dir": None, "global_image_dir": "/photos",
        "not_shared": [], "same_flag": True,
    }  # fmt: skip


def test_shared_flags_are_listed_under_their_module_as_upstream_s_were(
    forks: ForkServer,
) -> None:
    """review49f-F2: the shared flags were set on the global FLAGS without a defining module, so
    `--helpfull` and `flags_into_string()` (what flag files are written from) left them out."""
    code = """
import sys
from absl import flags
import tfhub.tools.make_image_classifier.make_image_classifier as mic
flags.FLAGS(["prog", "--train_epochs=2"])
print("--train_epochs=2" in flags.FLAGS.flags_into_string())
print(any("image_dir" in [f.name for f in flag_list]
          for flag_list in flags.FLAGS.flags_by_module_dict().values()))
print(mic.FLAGS.train_epochs)
"""
    done = forks.run(code, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "2"], done.stdout

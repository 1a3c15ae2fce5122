"""A TF1 module whose data file's shard count is not an ASCII number (a stray or hostile file
name such as `variables.data-00000-of-²`, which `str.isdigit` accepts and `int` refuses) gets
tfhub's damage error, not a bare ValueError from the check that looks for absent shards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402
from tfhub.tf1.checkpoint import absent_shard  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


@pytest.mark.parametrize(
    "count", ["²", "٣", "0000²", "9" * 5000], ids=["superscript", "arabic-indic", "mixed", "long"]
)
def test_a_data_file_not_named_as_tensorflow_names_them_is_no_shard(count: str) -> None:
    names = [f"variables.data-00000-of-{count}"]
    assert absent_shard("variables", names) == "variables.data-*"


def test_hub_module_with_a_superscript_shard_count_is_a_damaged_model(tmp_path: Path) -> None:
    def module_fn() -> None:
        w = tf1.get_variable("w", initializer=[2.0, 3.0])
        x = tf1.placeholder(tf.float32, [None, 2])
        hub.add_signature(inputs=x, outputs=x * w)

    module = tmp_path / "module"
    with tf.Graph().as_default():
        made = hub.Module(hub.create_module_spec(module_fn))
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            made.export(str(module), session)
    (shard,) = (module / "variables").glob("variables.data-*")
    shutil.move(shard, shard.with_name("variables.data-00000-of-²"))
    with pytest.raises(errors.DamagedModelError) as caught, tf.Graph().as_default():
        hub.Module(str(module))
    assert str(module) in str(caught.value)

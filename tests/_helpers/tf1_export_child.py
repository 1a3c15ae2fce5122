"""Code for a child process that exports TF1 modules (tests of exports to the GCS stand-in,
which run each scenario in a child: tests/_helpers/gcs_stand_in.run_scenarios)."""

from __future__ import annotations


def export_helpers(local_module: str) -> str:
    """Python source defining, for a child script that has imported os, tempfile, types,
    tensorflow as tf and tfhub as hub: LOCAL_MODULE (`local_module`); export_module(target),
    which exports it from a graph hub.Module; linear, a module_fn of one [2, 1] weight;
    estimator(model_dir, also=None), an Estimator stand-in for hub.LatestModuleExporter that
    registers the linear module ("linear", and `also` too) and, for a local model_dir, writes
    a checkpoint of it there; serving_input_fn."""
    return f"""
LOCAL_MODULE = {local_module!r}

def export_module(target):
    with tf.Graph().as_default():
        module = hub.Module(LOCAL_MODULE)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(target, session)

def linear():
    x = tf.compat.v1.placeholder(tf.float32, [None, 2])
    w = tf.compat.v1.get_variable("w", [2, 1], initializer=tf.compat.v1.ones_initializer())
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))

def estimator(model_dir, also=None):
    spec = hub.create_module_spec(linear)
    def model_fn(features):
        module = hub.Module(spec, name="linear")
        hub.register_module_for_export(module, "linear")
        if also:  # The same module exported again, under this name too (after "linear").
            hub.register_module_for_export(module, also)
        return types.SimpleNamespace(predictions=module(features["x"]), scaffold=None)
    made = types.SimpleNamespace(model_fn=model_fn, config=None, model_dir=model_dir)
    if "://" not in model_dir:  # A local checkpoint to export.
        with tf.Graph().as_default():
            model_fn({{"x": tf.zeros([1, 2])}})
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                saver = tf.compat.v1.train.Saver()
                saver.save(session, os.path.join(model_dir, "model.ckpt"), global_step=1)
    return made

def serving_input_fn():
    return {{"x": tf.compat.v1.placeholder(tf.float32, [None, 2])}}
"""

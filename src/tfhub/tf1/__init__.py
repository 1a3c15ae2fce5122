"""The TF1 Hub format: `hub.Module`, `hub.ModuleSpec`, `hub.create_module_spec` and helpers.

Submodules are imported on first use (through `tfhub.__getattr__`); nothing here imports
TensorFlow at import time. This is where the package is assembled: the native format's loader
is registered for `hub.load_module_spec` (see `registry.py`).
"""

from . import native_spec, registry

registry.loader.add_implementation(native_spec.Loader())

"""The TF1 Hub format: `hub.Module`, `hub.ModuleSpec`, `hub.create_module_spec` and helpers.

Submodules are imported on first use (through `tfhub.__getattr__`); nothing here imports
TensorFlow at import time.
"""

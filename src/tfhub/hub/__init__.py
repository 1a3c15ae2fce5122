"""The private hub: the docs format, validation, publishing (pack, publish, mirror), serving."""

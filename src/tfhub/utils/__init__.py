"""Small helpers: lazy imports, logging, progress bars, file locks."""

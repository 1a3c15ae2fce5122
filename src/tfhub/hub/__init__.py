"""The private hub: the docs format, validation, publishing (pack, publish, mirror), serving."""

# What the hub app imports beyond tfhub (the `hub` extra); the ASGI server comes on top:
# granian or uvicorn. Checked before serving (`tfhub serve`, `tfhub.server`, `tfhub demo`).
APP_MODULES = ("starlette", "jinja2", "markdown_it", "nh3")

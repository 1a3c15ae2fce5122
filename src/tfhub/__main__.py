"""`python -m tfhub`: the `tfhub` command, where the console script is not on PATH."""

import sys

try:
    from tfhub.cli.main import main

    code = main()
except KeyboardInterrupt:  # Between the lines here, before or after `main` (which says its own).
    if sys.stderr is not None:
        print("tfhub: interrupted", file=sys.stderr, flush=True)
    code = 130
sys.exit(code)

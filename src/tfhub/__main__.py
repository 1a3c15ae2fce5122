"""`python -m tfhub`: the `tfhub` command, where the console script is not on PATH."""

import sys

from tfhub.cli.main import main

sys.exit(main())

"""`python -m tfhub.tools.make_nearest_neighbour_index`: the tool's command line, as its
console script."""

import sys

from tfhub.tools.make_nearest_neighbour_index.cli import main

sys.exit(main())

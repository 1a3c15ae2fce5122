"""`python -m tfhub.tools.module_search`: the tool's command line, as its console script."""

import sys

from tfhub.tools.module_search.cli import main

sys.exit(main())

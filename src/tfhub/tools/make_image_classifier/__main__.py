"""`python -m tfhub.tools.make_image_classifier`: the tool's command line, as its console script."""

import sys

from tfhub.tools.make_image_classifier.cli import main

sys.exit(main())

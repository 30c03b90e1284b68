"""``python -m zgcsim.cli``: the command line."""

import sys

from zgcsim.cli import main

sys.exit(main())

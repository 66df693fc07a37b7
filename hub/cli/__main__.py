"""`python -m hub.cli ...`: the same as the `hub` command (tests start processes this way)."""

import sys

from hub.cli import main

sys.exit(main())

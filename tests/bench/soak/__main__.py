"""``python -m tests.bench.soak``: see the package's docstring for what it does."""

import sys

from tests.bench.soak.cli import main

sys.exit(main())

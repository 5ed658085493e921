"""`python -m recipe.cli`: the envport command."""

import sys

from recipe.cli import main

sys.exit(main())

"""``python -m fusion_tool.eval``: the ``fusion-tool eval`` command on its own."""

import sys

from .cli import main

sys.exit(main())

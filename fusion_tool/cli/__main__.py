"""``python -m fusion_tool.cli``: the ``fusion-tool`` command."""

import sys

from fusion_tool.cli.main import main

sys.exit(main())

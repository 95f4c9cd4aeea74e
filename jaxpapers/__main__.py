"""``python -m jaxpapers`` is the ``jaxpapers`` command."""

import sys

from jaxpapers.cli import main

sys.exit(main())

"""``python -m jaxpapers`` is the ``jaxpapers`` command."""

import sys

from jaxpapers.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m tinygrad_edu ...`` runs the ``tinygrad-edu`` command line."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

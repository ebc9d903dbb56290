"""``python -m flowimpact``: the same command line as the ``flowimpact`` console script.

For an environment whose scripts folder is not on ``PATH`` (a venv not activated, a notebook's
kernel): the interpreter alone reaches the commands, with the same exit codes.
"""

import sys

from flowimpact.cli import main

if __name__ == "__main__":
    sys.exit(main())

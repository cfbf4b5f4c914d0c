"""``python -m movierecs_streaming``: run the streaming job until SIGTERM/SIGINT (settings from MOVIERECS_*)."""

import sys

from movierecs_streaming.job import main

if __name__ == "__main__":
    sys.exit(main())

import sys

from movierecs.cli import main

sys.exit(main())

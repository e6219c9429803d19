import sys

from aigate.cli import main

sys.exit(main())

"""`python -m opp_devstack`: the local stack's command line (as `python3 deploy/local/stack.py`)."""

import sys

from opp_devstack.cli import main

sys.exit(main())

#!/usr/bin/env python3
"""The local stack's command line, runnable before any virtualenv exists: `python3 deploy/local/stack.py --help`.

The code is the stdlib-only package opp_devstack (deploy/local/src/opp_devstack/);
this file only puts it on sys.path, so that make and CI need nothing installed first.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from opp_devstack.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

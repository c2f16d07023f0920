#!/usr/bin/env python3
"""Entry point of the design card: ``python build.py [CONTENT] [-o OUT] ...`` is ``edition build ...``."""

import sys

from edition.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))

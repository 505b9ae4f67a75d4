"""The `kaido` command line (click).

May import: every layer, including sim (the only package besides tests that may).
"""

from kaido.cli.main import main

__all__ = ["main"]

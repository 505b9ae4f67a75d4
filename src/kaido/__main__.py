"""`python -m kaido` runs the command line."""

from kaido.cli import main

main(prog_name="kaido")

"""`python -m jiesu` runs the command line."""

from jiesu.cli import main

main()

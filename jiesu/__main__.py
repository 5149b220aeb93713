"""`python -m jiesu` runs the command line."""

from jiesu.cli import main

if __name__ == "__main__":  # not again in a worker process that imports it
    main()
